/**
 * API load bench (`npm run bench` runs it after the task benches; alone:
 * `node bin/run-ts.js bench/api.ts [--quick] [--json]`). autocannon on loopback against
 * `GET /api/chainstatus` of a complete task and `POST` of an already-complete task, on a real
 * `nectar serve` process, beside a bare Express process answering the same JSON on the same
 * routes, measured alternately in one run (medians of alternating rounds). Request logs are off on both (NECTAR_LOG_LEVEL=warn).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { startProcess as start } from './server-process';

const { values: args } = parseArgs({ options: { quick: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } }, strict: false });
const RUN_TS = resolve(__dirname, '../bin/run-ts.js');
const NECTAR = resolve(__dirname, '../bin/nectar.js');
const DURATION = args.quick ? 2 : 5;
/** Alternating rounds (bare, nectar, bare, nectar, ...): the medians are reported, so a noisy moment hits both. */
const ROUNDS = args.quick ? 2 : 3;
const CONNECTIONS = 32;
const TARGET = 0.7;


interface Load {
  rps: number;
  p99: number;
  non2xx: number;
  errors: number;
}

async function load(url: string, method: 'GET' | 'POST'): Promise<Load> {
  const r = await autocannon({ url, method, connections: CONNECTIONS, duration: DURATION, pipelining: 1 });
  return { rps: r.requests.average, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors };
}

/** The run with the median rate (its p99 goes with it). */
function median(runs: Load[]): Load {
  const sorted = [...runs].sort((x, y) => x.rps - y.rps);
  return sorted[Math.floor(sorted.length / 2)] as Load;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'nectar-api-bench-'));
  const children: ChildProcess[] = [];
  try {
    const env = { ...process.env, NECTAR_TARGETS: join(dir, 'targets'), NECTAR_DB: join(dir, 'nectar.db'), NECTAR_CHAINS: resolve(__dirname, '../chains'), NECTAR_LOG_LEVEL: 'warn' };
    const nectar = await start([NECTAR, 'serve', '--port', '0'], env, /127\.0\.0\.1:(\d+)/, 'stderr');
    children.push(nectar.child);
    const base = `http://127.0.0.1:${nectar.port}`;
    const postPath = '/api/chains/testchains/HelloTask?name=bench';
    const first = (await (await fetch(base + postPath, { method: 'POST' })).json()) as { data: { status_url: string } };
    let statusBody: unknown;
    for (let i = 0; i < 200; i++) {
      statusBody = await (await fetch(first.data.status_url)).json();
      if ((statusBody as { data: { job_status: string } }).data.job_status === 'DONE') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const postRes = await fetch(base + postPath, { method: 'POST' });
    if (postRes.status !== 200) throw new Error(`POST of a complete task answered ${postRes.status}, not 200`);
    const postBody = await postRes.json();
    const statusPath = new URL(first.data.status_url).pathname + new URL(first.data.status_url).search;
    const bare = await start([RUN_TS, resolve(__dirname, 'bare-express.ts'), JSON.stringify({ statusBody, postBody })], process.env, /listening (\d+)/, 'stdout');
    children.push(bare.child);
    const bareBase = `http://127.0.0.1:${bare.port}`;

    const figures: Record<string, { nectar: Load; bare: Load; ratio: number; met: boolean }> = {};
    for (const [name, method, path] of [['api-chainstatus', 'GET', statusPath], ['api-post-complete', 'POST', postPath]] as const) {
      const bs: Load[] = [];
      const ns: Load[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        bs.push(await load(bareBase + path, method));
        ns.push(await load(base + path, method));
      }
      const b = median(bs);
      const n = median(ns);
      if (ns.some((x) => x.non2xx > 0 || x.errors > 0)) throw new Error(`${name}: nectar answered ${n.non2xx} non-2xx and ${n.errors} errors`);
      const ratio = n.rps / b.rps;
      figures[name] = { nectar: n, bare: b, ratio, met: ratio >= TARGET };
      if (!args.json) {
        process.stdout.write(
          `${name}: ${Math.round(n.rps)} req/s, p99 ${n.p99} ms (${ratio.toFixed(2)} of bare Express ${Math.round(b.rps)} req/s, p99 ${b.p99} ms; target >= ${TARGET}${ratio >= TARGET ? '' : ' MISSED'})\n`,
        );
      }
    }
    if (args.json) process.stdout.write(`${JSON.stringify({ bench: 'api', durationS: DURATION, connections: CONNECTIONS, figures })}\n`);
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`api bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
