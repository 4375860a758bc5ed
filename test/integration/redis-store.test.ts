import dc from 'node:diagnostics_channel';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { RedisRunStore } from '../../src/store/redis';
import { backfillStateContract } from '../contract/backfill-state-contract';
import { runFilterContract } from '../contract/run-filter-contract';
import { scheduleStateContract } from '../contract/schedule-state-contract';
import { runRow as run, runStoreContract, taskRow as task } from '../contract/run-store-contract';
import { haveRedis, redisCli, startRedis, type TestRedis } from '../helpers/redis';
import { rmDir, tempDir, writeChains } from '../helpers/runtime';
import { call, pollDone, startTestServer } from '../helpers/server';

const CHAIN = `
import { p, task, type RunContext } from 'nectar';
export class QuickTask extends task({ n: p.int() }) {
  async run(ctx: RunContext<QuickTask>) { await ctx.output.write(String(this.params.n)); }
}
`;

const maybe = haveRedis() ? describe : describe.skip;

/** Resolves with how long `p` took, or rejects when it takes longer than `ms`. */
async function within<T>(ms: number, p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(`${what}: not done after ${ms} ms`)), ms)));
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Settles to 'pending' if `p` has not settled after `ms`. */
const stateAfter = (p: Promise<unknown>, ms: number): Promise<'settled' | 'pending'> =>
  Promise.race([p.then(() => 'settled' as const, () => 'settled' as const), new Promise<'pending'>((r) => setTimeout(() => r('pending'), ms))]);

async function waitDown(port: number): Promise<void> {
  for (let i = 0; i < 200 && redisCli(port, 'PING') === 'PONG'; i++) await new Promise((r) => setTimeout(r, 10));
  expect(redisCli(port, 'PING')).not.toBe('PONG');
}

maybe('RedisRunStore', () => {
  let redis: TestRedis;
  let n = 0;
  const open: RedisRunStore[] = [];
  /** A store under a prefix of its own, so that tests sharing the server never meet. */
  const openStore = (prefix = `t${++n}`): RedisRunStore => {
    const s = new RedisRunStore(redis.url, prefix);
    open.push(s);
    return s;
  };

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });
  afterAll(async () => {
    await redis?.stop();
  });

  /** A fresh store under a prefix of its own, for each contract test. */
  const freshStore = async () => {
    const store = openStore();
    return { store, cleanup: () => store.close() };
  };
  runStoreContract('RedisRunStore', freshStore);
  scheduleStateContract('RedisRunStore', freshStore);
  backfillStateContract('RedisRunStore', freshStore);
  runFilterContract('RedisRunStore', freshStore);

  it('keeps its keys under the prefix', async () => {
    const store = openStore('layout');
    await store.putRun(run('r1', 10, { state: 'RUNNING', owner: 'srv' }));
    await store.putTasks([task('r1', 't/c/A/1'), task('r1', 't/c/B/1')]);
    await store.heartbeat('srv', 60_000);
    expect(redisCli(redis.port, 'HGET', 'layout:run:r1', 'owner')).toBe('srv');
    expect(JSON.parse(redisCli(redis.port, 'HGET', 'layout:run:r1', 'json'))).toMatchObject({ id: 'r1', state: 'RUNNING' });
    expect(redisCli(redis.port, 'ZSCORE', 'layout:runs:by-created', 'r1')).toBe('10');
    expect(redisCli(redis.port, 'ZSCORE', 'layout:runs:state:RUNNING', 'r1')).toBe('10');
    expect(redisCli(redis.port, 'HLEN', 'layout:run:r1:tasks')).toBe('2');
    expect(redisCli(redis.port, 'ZRANGE', 'layout:run:r1:order', '0', '-1').split('\n')).toEqual(['t/c/A/1', 't/c/B/1']);
    expect(redisCli(redis.port, 'GET', 'layout:task-latest:t/c/B/1')).toBe('r1');
    expect(redisCli(redis.port, 'ZRANGE', 'layout:task-runs:t/c/B/1', '0', '-1', 'WITHSCORES').split('\n')).toEqual(['r1', '10']); // scored by the run's creation
    expect(Number(redisCli(redis.port, 'PTTL', 'layout:runs:owner:srv'))).toBeGreaterThan(50_000);
    expect(redisCli(redis.port, 'KEYS', 'nectar:*')).toBe('');
  });

  it("keeps a task's runs bounded at its newest 100, and a pruned run leaves no id behind", async () => {
    const store = openStore('history');
    const X = 'etl/daily_chain/LoadTask/0123456789abcdef0123456789abcdef';
    const ids = Array.from({ length: 130 }, (_, i) => `r${String(i).padStart(3, '0')}`);
    // Created in order, their rows written in another: the set keeps the newest runs, not the last written.
    for (const [i, id] of ids.entries()) await store.putRun(run(id, 1000 + i, { state: 'SUCCEEDED' }));
    for (const id of [...ids].reverse()) await store.putTasks([task(id, X, { state: 'DONE' }), task(id, 'etl/daily_chain/Other/1')]);
    const members = (): string[] => redisCli(redis.port, 'ZRANGE', `history:task-runs:${X}`, '0', '-1').split('\n').filter(Boolean);
    expect(members()).toEqual(ids.slice(-100));
    await store.putTasks(ids.map((id) => task(id, X, { state: 'DONE', attempts: 1 }))); // rows written again add nothing
    expect(members()).toHaveLength(100);
    const all = await store.taskRuns(X, 1000);
    expect(all.map((x) => x.run.id)).toEqual(ids.slice(-100).reverse());
    expect(all.every((x) => x.task.attempts === 1)).toBe(true);

    expect(await store.pruneRuns(1000 + 120)).toBe(120);
    expect(members()).toEqual(ids.slice(120));
    expect((await store.taskRuns(X, 20)).map((x) => x.run.id)).toEqual(ids.slice(120).reverse());
    expect(redisCli(redis.port, 'ZRANGE', 'history:task-runs:etl/daily_chain/Other/1', '0', '-1').split('\n')).toEqual(ids.slice(120));
    expect(await store.pruneRuns(5000)).toBe(10);
    // Every run of these tasks gone: their sets with them, no dangling id anywhere.
    expect(redisCli(redis.port, 'EXISTS', `history:task-runs:${X}`, 'history:task-runs:etl/daily_chain/Other/1')).toBe('0');
    expect(redisCli(redis.port, 'KEYS', 'history:task-runs:*')).toBe('');
    expect(await store.taskRuns(X, 20)).toEqual([]);
  });

  it('skips ids whose run is gone without a prune (deleted by hand)', async () => {
    const store = openStore();
    const X = 'etl/daily_chain/LoadTask/0123456789abcdef0123456789abcdef';
    await store.putRun(run('kept', 2, { state: 'SUCCEEDED' }));
    await store.putRun(run('lost', 1, { state: 'SUCCEEDED' }));
    await store.putTasks([task('kept', X), task('lost', X)]);
    redisCli(redis.port, 'DEL', `t${n}:run:lost`);
    expect((await store.taskRuns(X, 20)).map((x) => x.run.id)).toEqual(['kept']);
  });

  it('writes and reads back a 5,000-task run in a handful of commands', async () => {
    const store = openStore();
    await store.putRun(run('big', 1, { state: 'RUNNING' }));
    await store.getRun('big'); // connected and scripts warm
    const ids = Array.from({ length: 5000 }, (_, i) => `testing/big/T/${String(i).padStart(5, '0')}`);
    const rows = ids.map((id, i) => task('big', id, { params: { i, label: `task ${i}` }, deps: i > 0 ? [ids[i - 1] ?? ''] : [] }));
    // Reverse lexical order of ids must not matter: rows come back in the order first written.
    rows.reverse();

    let commands = 0;
    const count = (msg: unknown): void => {
      if (typeof msg === 'object' && msg !== null && 'serverPort' in msg && msg.serverPort === redis.port) commands++;
    };
    dc.subscribe('tracing:ioredis:command:start', count);
    let t0 = performance.now();
    try {
      await store.putTasks(rows);
    } finally {
      dc.unsubscribe('tracing:ioredis:command:start', count);
    }
    const writeMs = performance.now() - t0;
    t0 = performance.now();
    const back = await store.getTasks('big');
    const readMs = performance.now() - t0;
    // The run ends: every row written again in one batch, as the recorder's finish does.
    t0 = performance.now();
    await store.putTasks(rows.map((r) => ({ ...r, state: 'DONE', attempts: 1 })));
    const rewriteMs = performance.now() - t0;
    console.log(
      `RedisRunStore 5,000-row putTasks: ${writeMs.toFixed(1)} ms in ${commands} commands; getTasks ${readMs.toFixed(1)} ms; rewrite ${rewriteMs.toFixed(1)} ms`,
    );

    expect(commands).toBeGreaterThan(0); // the tracing channel works here, so the count means something
    expect(commands).toBeLessThanOrEqual(10);
    expect(back).toHaveLength(5000);
    expect(back.map((t) => t.taskId)).toEqual([...ids].reverse());
    expect(back[0]).toStrictEqual(rows[0]);
    const done = await store.getTasks('big');
    expect(done.map((t) => t.taskId)).toEqual([...ids].reverse());
    expect(done.every((t) => t.state === 'DONE')).toBe(true);
    expect(await store.latestTask(ids[1234] ?? '')).toMatchObject({ runId: 'big', state: 'DONE', params: { i: 1234 } });
  });

  it('does not lose writes made while Redis is restarting: they wait and land once it is back', async () => {
    const store = openStore();
    await store.putRun(run('before', 1)); // connected; this row is lost with the restart (no persistence)

    const restarting = redis.restart(1000);
    // Written the moment the kill is sent: the socket may not know yet that it is dead.
    const first = store.putTasks([task('during', 'A', { state: 'RUNNING' })]);
    await waitDown(redis.port);
    // Written while Redis is down: into the client's offline queue.
    const rows = Array.from({ length: 100 }, (_, i) => task('during', `t/c/T/${i}`, { params: { i } }));
    const writes = Promise.all([
      first,
      store.putRun(run('during', 2, { state: 'RUNNING', startedAt: 3, owner: 'srv' })),
      store.putTasks(rows),
      store.putTasks([task('during', 'A', { state: 'DONE', attempts: 1 })]),
      store.heartbeat('srv', 60_000),
    ]);
    expect(await stateAfter(writes, 200)).toBe('pending'); // they wait instead of failing
    await restarting;
    await within(15_000, writes, 'writes queued during the restart');

    expect(redisCli(redis.port, 'EXISTS', `t${n}:run:before`)).toBe('0'); // a fresh, empty Redis indeed
    expect(await store.getRun('during')).toStrictEqual(run('during', 2, { state: 'RUNNING', startedAt: 3, owner: 'srv' }));
    const back = await store.getTasks('during');
    expect(back.map((t) => t.taskId)).toEqual(['A', ...rows.map((r) => r.taskId)]);
    expect(back[0]).toMatchObject({ state: 'DONE', attempts: 1 });
    expect((await store.listRuns({})).total).toBe(1);
    expect(await store.liveOwners()).toEqual(new Set(['srv']));
  });

  it('heartbeats: markInterrupted leaves the runs of live owners alone', async () => {
    const a = openStore('hb');
    const b = openStore('hb'); // a second server on the same Redis and prefix
    await a.heartbeat('srv-a', 60_000);
    await b.heartbeat('srv-b', 300);
    expect(await a.liveOwners()).toEqual(new Set(['srv-a', 'srv-b']));

    await a.putRun(run('a1', 1, { state: 'RUNNING', owner: 'srv-a' }));
    await a.putRun(run('a2', 2, { state: 'QUEUED', owner: 'srv-a' }));
    await b.putRun(run('b1', 3, { state: 'RUNNING', owner: 'srv-b' }));
    await b.putRun(run('b2', 4, { state: 'SUCCEEDED', owner: 'srv-b' }));
    await b.putRun(run('n1', 5, { state: 'QUEUED' })); // no owner: not live
    await a.putTasks([task('a1', 'A', { state: 'RUNNING' }), task('a2', 'B'), task('b1', 'C', { state: 'RUNNING' }), task('n1', 'D')]);

    expect(await a.markInterrupted(100)).toEqual(['n1']); // srv-b still live
    await new Promise((r) => setTimeout(r, 400)); // srv-b stops heartbeating
    expect(await a.liveOwners()).toEqual(new Set(['srv-a']));
    expect(redisCli(redis.port, 'SMEMBERS', 'hb:runs:owners')).toBe('srv-a'); // the dead owner is forgotten

    expect(await a.markInterrupted(200)).toEqual(['b1']);
    expect(await b.getRun('b1')).toMatchObject({ state: 'FAILED', interrupted: true, endedAt: 200, owner: 'srv-b' });
    expect((await b.getTasks('b1'))[0]).toMatchObject({ state: 'FAILED', endedAt: 200 });
    expect(await b.getRun('b2')).toStrictEqual(run('b2', 4, { state: 'SUCCEEDED', owner: 'srv-b' }));
    expect(await b.getRun('a1')).toStrictEqual(run('a1', 1, { state: 'RUNNING', owner: 'srv-a' }));
    expect(await b.getRun('a2')).toStrictEqual(run('a2', 2, { state: 'QUEUED', owner: 'srv-a' }));
    expect((await b.getTasks('a1'))[0]).toStrictEqual(task('a1', 'A', { state: 'RUNNING' }));
    expect((await b.getTasks('a2'))[0]).toStrictEqual(task('a2', 'B'));
    expect((await b.listRuns({ state: 'RUNNING' })).runs.map((r) => r.id)).toEqual(['a1']);
  });

  it('markInterrupted by two servers at once marks each run once', async () => {
    const a = openStore('twice');
    const b = openStore('twice');
    const ids = Array.from({ length: 30 }, (_, i) => `r${String(i).padStart(2, '0')}`);
    await Promise.all(ids.map((id, i) => a.putRun(run(id, i, { state: i % 2 ? 'RUNNING' : 'QUEUED', owner: 'gone' }))));
    await a.putTasks(ids.map((id) => task(id, 'T', { state: 'RUNNING' })));
    const [byA, byB] = await Promise.all([a.markInterrupted(10), b.markInterrupted(20)]);
    expect([...byA, ...byB].sort()).toEqual(ids);
    for (const id of byA) expect(await a.getRun(id)).toMatchObject({ state: 'FAILED', endedAt: 10 });
    for (const id of byB) expect(await a.getRun(id)).toMatchObject({ state: 'FAILED', endedAt: 20 });
  });

  it('claimRun: only when the owner is not live or is the claimant, and only one of two at once', async () => {
    const a = openStore('claim');
    const b = openStore('claim');
    await a.heartbeat('A', 60_000);
    await b.heartbeat('B', 60_000);
    const ids = Array.from({ length: 50 }, (_, i) => `r${i}`);
    await Promise.all(ids.map((id, i) => a.putRun(run(id, i, { state: 'RUNNING', owner: 'dead' }))));

    for (const id of ids) {
      const [wonA, wonB] = await Promise.all([a.claimRun(id, 'A'), b.claimRun(id, 'B')]);
      expect(wonA !== wonB).toBe(true); // exactly one
      expect((await a.getRun(id))?.owner).toBe(wonA ? 'A' : 'B');
    }

    await a.putRun(run('x', 1, { state: 'RUNNING', owner: 'A' }));
    expect(await b.claimRun('x', 'B')).toBe(false); // A is live
    expect(await a.claimRun('x', 'A')).toBe(true); // already A's
    expect((await a.getRun('x'))?.owner).toBe('A');
    await a.heartbeat('A', 1);
    await new Promise((r) => setTimeout(r, 20));
    expect(await b.claimRun('x', 'B')).toBe(true); // A stopped heartbeating
    expect(await a.getRun('x')).toStrictEqual(run('x', 1, { state: 'RUNNING', owner: 'B' }));

    await a.putRun(run('free', 2, { state: 'QUEUED' }));
    expect(await a.claimRun('free', 'A')).toBe(true);
    expect(await a.claimRun('missing', 'A')).toBe(false);
    expect(await a.getRun('missing')).toBeUndefined();
  });

  it('claimBackfill: a RUNNING backfill whose owner is not live goes to exactly one of two claimants', async () => {
    const a = openStore('bclaim');
    const b = openStore('bclaim');
    await a.heartbeat('A', 60_000);
    await b.heartbeat('B', 60_000);
    const backfill = (id: string, owner?: string, state: 'RUNNING' | 'SUCCEEDED' = 'RUNNING') => ({
      id, ref: 'sales/daily_chain/DayTask', over: 'day', values: ['2012-01-01', '2012-01-02'], params: {}, concurrency: 2,
      range: '2012-01-01..2012-01-02 by day', state, createdAt: 1_764_633_600_000, ...(owner ? { owner } : {}),
    });
    for (let i = 0; i < 30; i++) {
      await a.putBackfill(backfill(`b${i}`, i % 2 === 0 ? 'dead' : undefined));
      const [wonA, wonB] = await Promise.all([a.claimBackfill(`b${i}`, 'A'), b.claimBackfill(`b${i}`, 'B')]);
      expect([wonA === undefined, wonB === undefined].sort()).toEqual([false, true]); // exactly one
      const winner = wonA ? 'A' : 'B';
      expect(await a.getBackfill(`b${i}`)).toStrictEqual(backfill(`b${i}`, winner));
      expect(wonA ?? wonB).toStrictEqual(backfill(`b${i}`, winner));
    }
    await a.putBackfill(backfill('live', 'A'));
    expect(await b.claimBackfill('live', 'B')).toBeUndefined(); // A is live
    expect(await a.claimBackfill('live', 'A')).toStrictEqual(backfill('live', 'A')); // already A's
    await a.putBackfill(backfill('done', 'dead', 'SUCCEEDED'));
    expect(await a.claimBackfill('done', 'A')).toBeUndefined(); // not running
    expect(await a.claimBackfill('missing', 'A')).toBeUndefined();
  });

  it('startServer uses it when NECTAR_REDIS_URL is set: two servers show the same runs', async () => {
    const dirs = [tempDir('nectar-redis-a-'), tempDir('nectar-redis-b-')];
    const env = { NECTAR_REDIS_URL: redis.url, NECTAR_EXECUTOR: 'inprocess', NECTAR_QUEUE_PREFIX: 'api' };
    const servers: Awaited<ReturnType<typeof startTestServer>>[] = [];
    try {
      const shared = dirs[0] ?? '';
      const chains = writeChains(shared, { 'shared/quick_chain.ts': CHAIN });
      // Both over the same targets (as distributed servers share S3); each with a SQLite path of its own that must stay unused.
      for (const dir of dirs) servers.push(await startTestServer(chains, dir, { ...env, NECTAR_TARGETS: join(shared, 'targets') }));
      const [a, b] = servers;
      if (!a || !b) throw new Error('servers did not start');
      const sub = await call(`${a.base}/api/chains/shared/QuickTask?n=7`, { method: 'POST' });
      expect(sub.status).toBe(202);
      await pollDone(sub.body.data['status_url'] as string);
      const runId = sub.body.data['run_id'] as string;
      await a.srv.runs.recorder.flush();
      const listed = await call(`${b.base}/api/runs`);
      expect((listed.body.data['runs'] as { run_id: string; state: string }[]).map((r) => [r.run_id, r.state])).toEqual([[runId, 'SUCCEEDED']]);
      const detail = await call(`${b.base}/api/runs/${runId}`);
      expect((detail.body.data['nodes'] as { name: string; state: string }[]).map((nd) => `${nd.name}:${nd.state}`)).toEqual(['QuickTask:DONE']);
      expect(redisCli(redis.port, 'ZCARD', 'api:runs:by-created')).toBe('1');
      // Filters and a task's history, answered by the other server from Redis.
      const filtered = async (q: string) => ((await call(`${b.base}/api/runs?${q}`)).body.data['runs'] as { run_id: string }[]).map((r) => r.run_id);
      expect(await filtered('task=shared/QuickTask&params=n=7&from=2000-01-01')).toEqual([runId]);
      expect(await filtered('task=QuickTask&params=n=8')).toEqual([]);
      const taskId = sub.body.data['task_id'] as string;
      const hist = await call(`${b.base}/api/tasks/${taskId}/runs`);
      expect(hist.body.data).toEqual({ task_id: taskId, runs: [expect.objectContaining({ run_id: runId, root: true, state: 'DONE', run_state: 'SUCCEEDED', skipped: false })] });
      expect(await a.srv.runs.store.getRun(runId)).toMatchObject({ id: runId, state: 'SUCCEEDED' });
      for (const dir of dirs) expect(existsSync(join(dir, 'nectar.db'))).toBe(false);
    } finally {
      for (const s of servers) await s.srv.close();
      for (const dir of dirs) rmDir(dir);
    }
  });

  it('close() does not hang when Redis is gone, even with writes waiting', async () => {
    const own = await startRedis();
    try {
      const store = new RedisRunStore(own.url, 'gone');
      await store.putRun(run('r', 1));
      await own.stop();
      const waiting = store.putRun(run('r', 1, { state: 'RUNNING' }));
      waiting.catch(() => undefined);
      const t0 = Date.now();
      await within(5000, store.close(), 'close with Redis gone');
      expect(Date.now() - t0).toBeLessThan(4000);
      await expect(waiting).rejects.toThrow();
      await store.close();
    } finally {
      await own.stop();
    }
  });
});
