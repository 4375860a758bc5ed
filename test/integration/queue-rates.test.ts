/**
 * Per-queue rate limits follow the configuration (NECTAR_QUEUE_RATES) across restarts, against
 * a real redis-server started here: a limit no longer configured is removed from a queue when a
 * server first uses it, and from every queue of the prefix when the BullMQ executor starts.
 */
import { Queue } from 'bullmq';
import { join } from 'node:path';
import pino from 'pino';
import { queueName } from '../../src/distributed/protocol';
import { loadConfig } from '../../src/runtime/config';
import { Runtime } from '../../src/runtime/runtime';
import { haveRedis, redisCli, startRedis, type TestRedis } from '../helpers/redis';
import { rmDir, tempDir, writeChains } from '../helpers/runtime';
import { startWorker, stopWorkers, type TestWorker } from '../helpers/workers';

const CHAIN = `
import { p, task, type RunContext } from 'nectar';

/** On the queue whose limit the tests change. */
export class LimitedTask extends task({ i: p.int() }, { queue: 'limited' }) {
  async run(ctx: RunContext<LimitedTask>) {
    await ctx.output.write(String(this.params.i));
  }
}

export class LimitedsTask extends task({ count: p.int() }) {
  requires() {
    return Array.from({ length: this.params.count }, (_, i) => new LimitedTask({ i }));
  }
  async run(ctx: RunContext<LimitedsTask>) {
    await ctx.output.write('ok');
  }
}
`;

type Limit = { max: number; duration: number } | null;

const run = haveRedis() ? describe : describe.skip;

run('per-queue rate limits follow the configuration (real Redis)', () => {
  let redis: TestRedis;
  let dir: string;
  let chains: string;
  let n = 0;
  let prefix: string;
  const runtimes: Runtime[] = [];
  const workers: TestWorker[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    dir = tempDir('nectar-rates-');
    chains = writeChains(dir, { 'rates/limited_chain.ts': CHAIN });
  });
  afterAll(async () => {
    await redis?.stop();
    rmDir(dir);
  });
  beforeEach(() => {
    prefix = `qr${++n}`;
  });
  afterEach(async () => {
    await stopWorkers(workers.splice(0));
    await Promise.all(runtimes.splice(0).map((rt) => rt.close()));
  });

  const env = (extra: Record<string, string> = {}): Record<string, string> => ({
    NECTAR_REDIS_URL: redis.url,
    NECTAR_CHAINS: chains,
    NECTAR_TARGETS: join(dir, `targets-${n}`),
    NECTAR_QUEUE_PREFIX: prefix,
    NECTAR_QUEUE_CHECK_INTERVAL: '500',
    ...extra,
  });

  /** A server process's runtime: a new one is a restart. */
  const server = (rates?: string): Runtime => {
    const rt = new Runtime({ config: loadConfig(env(rates === undefined ? {} : { NECTAR_QUEUE_RATES: rates })), logger: pino({ level: 'silent' }) });
    runtimes.push(rt);
    return rt;
  };

  /** Reads or sets a queue's global rate limit through BullMQ's own Queue API, as another process would. */
  const onQueue = async <T>(name: string, fn: (q: Queue) => Promise<T>, p = prefix): Promise<T> => {
    const q = new Queue(queueName(name), { connection: { host: '127.0.0.1', port: redis.port }, prefix: p });
    try {
      return await fn(q);
    } finally {
      await q.close();
    }
  };
  const limitOf = (name: string, p = prefix): Promise<Limit> => onQueue(name, (q) => q.getGlobalRateLimit(), p);
  const setLimit = (name: string, max: number, durationMs: number, p = prefix): Promise<unknown> => onQueue(name, (q) => q.setGlobalRateLimit(max, durationMs), p);

  test('a limit set from the configuration is removed at start-up of a server whose configuration no longer names it', async () => {
    const first = server('limited=4/1s,gpu=2/1s');
    await first.distributed().counts(['limited', 'gpu']);
    expect(await limitOf('limited')).toEqual({ max: 4, duration: 1000 });
    expect(await limitOf('gpu')).toEqual({ max: 2, duration: 1000 });
    // The meta hash holds it: what a restart used to leave behind.
    expect(redisCli(redis.port, 'HGET', `${prefix}:${queueName('limited')}:meta`, 'max')).toBe('4');
    await first.close();

    // Restart with only gpu configured; the new server uses no queue at all.
    const second = server('gpu=2/1s');
    await second.distributed().started();
    expect(await limitOf('limited')).toBeNull();
    expect(redisCli(redis.port, 'HEXISTS', `${prefix}:${queueName('limited')}:meta`, 'duration')).toBe('0');
    expect(await limitOf('gpu')).toEqual({ max: 2, duration: 1000 });
  });

  test('a restart with no rates at all: start-up removes every limit, and a queue still works once used', async () => {
    const first = server('limited=4/1s,idle=1/1s');
    await first.distributed().counts(['limited', 'idle']);
    expect(await limitOf('idle')).toEqual({ max: 1, duration: 1000 });
    await first.close();

    const second = server();
    const ex = second.distributed();
    await ex.started();
    expect(await limitOf('limited')).toBeNull();
    expect(await limitOf('idle')).toBeNull();
    expect((await ex.counts(['limited']))['limited']).toEqual({ waiting: 0, active: 0, delayed: 0 });
    expect(await limitOf('limited')).toBeNull();
  });

  test('first use of a queue makes its limit the configured one: removed when not configured, set when configured', async () => {
    const rt = server('gpu=2/1s');
    const ex = rt.distributed();
    await ex.started();
    // Set after start-up, as a server with an older configuration would: first use still corrects it.
    await setLimit('limited', 3, 2000);
    await setLimit('gpu', 50, 1000);
    await ex.counts(['limited', 'gpu']);
    expect(await limitOf('limited')).toBeNull();
    expect(await limitOf('gpu')).toEqual({ max: 2, duration: 1000 });
  });

  test('start-up leaves other prefixes and queues that are not nectar task queues alone', async () => {
    const other = `${prefix}x`;
    await setLimit('limited', 3, 1000, other);
    // A BullMQ queue under our prefix that nectar did not make (no tasks- name).
    const foreign = new Queue('reports', { connection: { host: '127.0.0.1', port: redis.port }, prefix });
    try {
      await foreign.setGlobalRateLimit(5, 1000);
      await setLimit('limited', 3, 1000);
      await server().distributed().started();
      expect(await limitOf('limited')).toBeNull();
      expect(await limitOf('limited', other)).toEqual({ max: 3, duration: 1000 });
      expect(await foreign.getGlobalRateLimit()).toEqual({ max: 5, duration: 1000 });
    } finally {
      await foreign.close();
    }
  });

  test('a run after a restart without the limit: executing on the queue removes it, and the run succeeds on a real worker', async () => {
    workers.push(await startWorker(env(), ['--queues', 'limited,default', '--concurrency', '4']));
    const rt = server();
    await rt.distributed().started();
    await setLimit('limited', 1, 60_000);
    const r = await rt.run(rt.instantiate('rates/LimitedsTask', { count: 3 }));
    expect(r.state).toBe('SUCCEEDED');
    expect(await limitOf('limited')).toBeNull();
  });
});
