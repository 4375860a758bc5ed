/**
 * Distributed bench (`npm run bench` runs it; alone: `node bin/run-ts.js bench/distributed.ts
 * [--quick] [--json]`). On a redis-server started here, with targets on tmpfs:
 *
 * - throughput: N no-op tasks (a fan-in, each writing its 16-byte out.txt, params.json and
 *   log) run by 2 `nectar worker` processes through BullMQ, beside N no-op BullMQ jobs run by
 *   2 bare BullMQ worker processes on the same Redis (the floor), alternating, medians;
 * - latency: a chain of tasks, each waiting for the one before, through Redis vs in-process:
 *   per step p50/p99, and what Redis adds at the median.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Queue, QueueEvents } from 'bullmq';
import Redis from 'ioredis';
import pino from 'pino';
import { loadConfig } from '../src/runtime/config';
import { Runtime } from '../src/runtime/runtime';
import { haveRedis, startRedis } from '../test/helpers/redis';
import { startProcess } from './server-process';

const { values: args } = parseArgs({ options: { quick: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } }, strict: false });
const N = args.quick ? 2000 : 10_000;
const ROUNDS = args.quick ? 1 : 3;
const CHAIN = args.quick ? 50 : 200;
/** Jobs at once per worker process, the same for both sides (32 measured a little better than 64 and 128 for both). */
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 32);
const WORKERS = 2;
const RUN_TS = resolve(__dirname, '../bin/run-ts.js');
const NECTAR = resolve(__dirname, '../bin/nectar.js');
const CHAINS = resolve(__dirname, 'chains');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

/** WORKERS processes of one command, once each has said it is ready. */
async function startWorkers(cmd: string[], env: NodeJS.ProcessEnv, ready: RegExp, stream: 'stdout' | 'stderr'): Promise<ChildProcess[]> {
  const started = await Promise.all(Array.from({ length: WORKERS }, () => startProcess(cmd, env, ready, stream)));
  return started.map((s) => s.child);
}

async function stopAll(children: ChildProcess[]): Promise<void> {
  await Promise.all(children.map((c) => new Promise<void>((res) => {
    if (c.exitCode !== null || c.signalCode !== null) return res();
    c.once('exit', () => res());
    c.kill('SIGTERM');
    setTimeout(() => c.kill('SIGKILL'), 10_000).unref();
  })));
}

/** N no-op jobs through bare BullMQ workers: jobs/s from the first add to the last completion. */
async function rawRound(url: string, round: number): Promise<number> {
  const prefix = `raw${round}`;
  const name = 'noop';
  const workers = await startWorkers([RUN_TS, resolve(__dirname, 'bullmq-worker.ts'), url, name, prefix, String(CONCURRENCY)], process.env, /ready/, 'stdout');
  const conn = new Redis(url, { maxRetriesPerRequest: null });
  const queue = new Queue(name, { connection: conn, prefix });
  const eventsConn = new Redis(url, { maxRetriesPerRequest: null });
  const events = new QueueEvents(name, { connection: eventsConn, prefix });
  await events.waitUntilReady();
  let done = 0;
  const finished = new Promise<void>((res) => events.on('completed', () => {
    if (++done === N) res();
  }));
  const t0 = performance.now();
  for (let i = 0; i < N; i += 1000) {
    await queue.addBulk(Array.from({ length: Math.min(1000, N - i) }, (_, j) => ({ name: 'noop', data: { i: i + j }, opts: { jobId: `job-${i + j}`, removeOnComplete: true, removeOnFail: true } })));
  }
  await finished;
  const rate = N / ((performance.now() - t0) / 1000);
  await stopAll(workers);
  await events.close();
  await queue.close();
  await eventsConn.quit();
  await conn.quit();
  return rate;
}

function nectarEnv(url: string, targets: string, prefix: string): Record<string, string> {
  return { NECTAR_REDIS_URL: url, NECTAR_CHAINS: CHAINS, NECTAR_TARGETS: targets, NECTAR_QUEUE_PREFIX: prefix, NECTAR_LOG_LEVEL: 'warn' };
}

/** The same number of no-op nectar tasks (a fan-in) through `nectar worker`s: tasks/s. */
async function nectarRound(url: string, dir: string, round: number): Promise<number> {
  const env = nectarEnv(url, join(dir, `targets-${round}`), `nec${round}`);
  const workers = await startWorkers([NECTAR, 'worker', '--concurrency', String(CONCURRENCY)], { ...process.env, ...env }, / ready: /, 'stderr');
  const rt = new Runtime({ config: loadConfig(env), logger: pino({ level: 'silent' }) });
  const r = await rt.run(rt.instantiate('benchdist/RootTask', { n: N }));
  if (r.state !== 'SUCCEEDED') throw new Error(`nectar run ${r.state}`);
  await rt.close();
  await stopAll(workers);
  return (N + 1) / (r.durationMs / 1000);
}

/** Per-step times of a chain (DONE to DONE), with the executor given. */
async function chainSteps(env: Record<string, string>): Promise<number[]> {
  const rt = new Runtime({ config: loadConfig(env), logger: pino({ level: 'silent' }) });
  const done: number[] = [];
  const off = rt.events.on('task:state', (e) => {
    if (e.state === 'DONE') done.push(performance.now());
  });
  const r = await rt.run(rt.instantiate('benchdist/LinkTask', { i: CHAIN - 1, n: CHAIN }));
  off();
  await rt.close();
  if (r.state !== 'SUCCEEDED') throw new Error(`chain ${r.state}`);
  return done.slice(1).map((t, i) => t - (done[i] as number));
}

async function main(): Promise<void> {
  if (!haveRedis()) {
    console.log('distributed: skipped, no redis-server (apt-get install -y redis-server)');
    return;
  }
  const redis = await startRedis();
  const dir = mkdtempSync('/dev/shm/nectar-bench-dist-');
  try {
    const raw: number[] = [];
    const nec: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      raw.push(await rawRound(redis.url, round));
      process.stderr.write(`  round ${round + 1}: raw BullMQ ${Math.round(raw[round] as number)} jobs/s\n`);
      nec.push(await nectarRound(redis.url, dir, round));
      process.stderr.write(`  round ${round + 1}: nectar ${Math.round(nec[round] as number)} tasks/s\n`);
    }
    const rawRate = median(raw);
    const necRate = median(nec);
    const ratio = necRate / rawRate;

    const env = nectarEnv(redis.url, join(dir, 'chain-dist'), 'chain');
    const workers = await startWorkers([NECTAR, 'worker', '--concurrency', String(CONCURRENCY)], { ...process.env, ...env }, / ready: /, 'stderr');
    const dist = await chainSteps(env);
    await stopAll(workers);
    const local = await chainSteps({ NECTAR_CHAINS: CHAINS, NECTAR_TARGETS: join(dir, 'chain-local'), NECTAR_LOG_LEVEL: 'warn' });
    const added = median(dist) - median(local);

    const verdict = (ok: boolean): string => (ok ? 'met' : 'MISSED');
    console.log(`distributed (${WORKERS} worker processes x concurrency ${CONCURRENCY}, redis-server ${redis.port}, targets on tmpfs; medians of ${ROUNDS}):`);
    console.log(`raw-bullmq/noop-${N}: ${Math.round(rawRate)} jobs/s (the floor)`);
    console.log(`distributed/fanin-${N}: ${Math.round(necRate)} tasks/s (${ratio.toFixed(2)} of raw BullMQ; targets >= 0.5 ${verdict(ratio >= 0.5)}, >= 2000 tasks/s ${verdict(necRate >= 2000)})`);
    console.log(`distributed/chain-${CHAIN} step: p50 ${median(dist).toFixed(2)} ms, p99 ${pct(dist, 99).toFixed(2)} ms (in-process p50 ${median(local).toFixed(2)} ms, p99 ${pct(local, 99).toFixed(2)} ms; added by Redis at p50 ${added.toFixed(2)} ms, target < 10 ms ${verdict(added < 10)})`);
    if (args.json) console.log(JSON.stringify({ distributed: { n: N, rounds: ROUNDS, rawJobsPerSec: rawRate, tasksPerSec: necRate, ratio, chain: CHAIN, stepP50: median(dist), stepP99: pct(dist, 99), localP50: median(local), addedP50: added } }));
  } finally {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
