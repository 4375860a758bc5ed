/**
 * `node bin/run-ts.js bench/stop-times.ts`: how long `nectar worker --grace 2` and
 * `nectar serve --grace 2` take from SIGTERM to exit, on a redis-server started here: Redis up
 * or down, idle or with a task running that ignores its abort signal. Each bound is the grace
 * period plus a few seconds (issue 13); the figures are for the record, not a floor.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../src/runtime/config';
import { Runtime } from '../src/runtime/runtime';
import { haveRedis, startRedis, type TestRedis } from '../test/helpers/redis';
import { startProcess } from './server-process';

const NECTAR = resolve(__dirname, '../bin/nectar.js');
const CHAIN = `
import { p, task, type RunContext } from 'nectar';
export class StubbornTask extends task({ tag: p.string() }) {
  async run(ctx: RunContext<StubbornTask>) {
    await new Promise((r) => setTimeout(r, 20000));
    await ctx.output.write('late');
  }
}
`;

async function stopTime(kind: 'worker' | 'serve', redisDown: boolean, withTask: boolean, dir: string, n: number): Promise<number> {
  const redis: TestRedis = await startRedis();
  const env = { ...process.env, NECTAR_REDIS_URL: redis.url, NECTAR_CHAINS: join(dir, 'chains'), NECTAR_TARGETS: join(dir, `t${n}`), NECTAR_QUEUE_PREFIX: `stop${n}`, NECTAR_LOG_LEVEL: 'silent' };
  const args = kind === 'worker' ? [NECTAR, 'worker', '--grace', '2'] : [NECTAR, 'serve', '--port', '0', '--grace', '2'];
  const { child } = await startProcess(args, env, kind === 'worker' ? / ready: ()/ : /http:\/\/127\.0\.0\.1:(\d+)/, 'stderr');
  const worker = kind === 'serve' && withTask ? (await startProcess([NECTAR, 'worker'], env, / ready: ()/, 'stderr')).child : undefined;
  const rt = new Runtime({ config: loadConfig(env), logger: pino({ level: 'silent' }) });
  if (withTask) {
    void rt.run(rt.instantiate('stop/StubbornTask', { tag: String(n) })).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 1000));
  }
  if (redisDown) await redis.stop();
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  const t0 = performance.now();
  child.kill('SIGTERM');
  await exited;
  const ms = performance.now() - t0;
  worker?.kill('SIGKILL');
  await Promise.race([rt.close(), new Promise((r) => setTimeout(r, 3000))]);
  await redis.stop();
  return ms;
}

async function main(): Promise<void> {
  if (!haveRedis()) {
    console.log('stop times: skipped, no redis-server (apt-get install -y redis-server)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'nectar-stop-'));
  mkdirSync(join(dir, 'chains/stop'), { recursive: true });
  writeFileSync(join(dir, 'chains/stop/stop_chain.ts'), CHAIN);
  let n = 0;
  try {
    console.log('SIGTERM to exit, --grace 2 (bound: grace + 5 s = 7 s):');
    for (const kind of ['worker', 'serve'] as const) {
      for (const redisDown of [false, true]) {
        for (const withTask of [false, true]) {
          const ms = await stopTime(kind, redisDown, withTask, dir, n++);
          const what = `${kind.padEnd(6)} Redis ${redisDown ? 'down' : 'up  '}, ${withTask ? 'a task running (ignores its signal)' : 'idle'}`;
          console.log(`  ${what.padEnd(58)} ${(ms / 1000).toFixed(2)} s`);
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main().then(() => process.exit(0));
