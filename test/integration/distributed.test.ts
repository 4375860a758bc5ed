/**
 * Distributed mode against a real redis-server started here, with real `nectar worker` child
 * processes: a 1,000-task DAG over 3 workers, queue routing by capability, a worker killed
 * mid-task, a worker stopped with SIGTERM, Redis restarting mid-run, rate limits, and one
 * execution for a task asked for twice. What every executor does (BullMQ's included) is in
 * test/contract/executor-contract.ts.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { taskFolder } from '../../src/core/binding';
import { loadConfig } from '../../src/runtime/config';
import { Runtime } from '../../src/runtime/runtime';
import { haveRedis, startRedis, type TestRedis } from '../helpers/redis';
import { rmDir, tempDir, writeChains } from '../helpers/runtime';
import { call } from '../helpers/server';
import { startServe, startWorker, stopWorkers, type TestWorker } from '../helpers/workers';

const CHAIN = `
import { appendFileSync, existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { p, task, type RunContext } from 'nectar';

/** One line per event, appended atomically: who ran what, and when. */
function journal(event: string, id: string): void {
  appendFileSync(process.env['NECTAR_TEST_JOURNAL'] as string, \`\${Date.now()} \${process.pid} \${event} \${id}\\n\`);
}

const grid = { width: p.int({ default: 100 }), ms: p.int({ default: 0 }) };

export class CellTask extends task({ layer: p.int(), i: p.int(), ...grid }) {
  requires() {
    const { layer, i, width, ms } = this.params;
    if (layer === 0) return [];
    return [new CellTask({ layer: layer - 1, i, width, ms }), new CellTask({ layer: layer - 1, i: (i + 1) % width, width, ms })];
  }
  async run(ctx: RunContext<CellTask>) {
    journal('start', ctx.taskId);
    if (this.params.ms > 0) await sleep(this.params.ms, undefined, { signal: ctx.signal });
    let sum = 1;
    for (const t of ctx.input) sum += Number(await t.readText());
    await ctx.output.write(String(sum % 1000003));
    journal('wrote', ctx.taskId);
  }
}

export class GridTask extends task({ layers: p.int({ default: 10 }), ...grid }) {
  requires() {
    const { layers, width, ms } = this.params;
    return Array.from({ length: width }, (_, i) => new CellTask({ layer: layers - 1, i, width, ms }));
  }
  async run(ctx: RunContext<GridTask>) {
    journal('start', ctx.taskId);
    let sum = 0;
    for (const t of ctx.input) sum += Number(await t.readText());
    await ctx.output.write(String(sum));
    journal('wrote', ctx.taskId);
  }
}

/** Needs a GPU: only workers offering the 'gpu' queue take it. */
export class RenderTask extends task({ n: p.int() }, { queue: 'gpu' }) {
  requires() {
    return new CellTask({ layer: 0, i: this.params.n, width: 1000, ms: 0 });
  }
  async run(ctx: RunContext<RenderTask>) {
    journal('start', ctx.taskId);
    await ctx.output.write('rendered');
    journal('wrote', ctx.taskId);
  }
}

export class RendersTask extends task({ count: p.int() }) {
  requires() {
    return Array.from({ length: this.params.count }, (_, n) => new RenderTask({ n }));
  }
  async run(ctx: RunContext<RendersTask>) {
    await ctx.output.write(String(this.params.count));
  }
}

/** Sleeps \`ms\` unless its gate file exists: a task a test can hold running. */
export class SlowTask extends task({ tag: p.string(), ms: p.int({ default: 1500 }) }, { timeout: 20000 }) {
  async run(ctx: RunContext<SlowTask>) {
    journal('start', ctx.taskId);
    await sleep(this.params.ms, undefined, { signal: ctx.signal });
    await ctx.output.write(this.params.tag);
    journal('wrote', ctx.taskId);
  }
}

export class SlowsTask extends task({ count: p.int(), ms: p.int({ default: 1500 }), tag: p.string({ default: 's' }) }) {
  requires() {
    return Array.from({ length: this.params.count }, (_, i) => new SlowTask({ tag: \`\${this.params.tag}\${i}\`, ms: this.params.ms }));
  }
  async run(ctx: RunContext<SlowsTask>) {
    await ctx.output.write('ok');
  }
}

/** On the rate-limited queue. */
export class LimitedTask extends task({ i: p.int() }, { queue: 'limited' }) {
  async run(ctx: RunContext<LimitedTask>) {
    journal('start', ctx.taskId);
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

void existsSync;
`;

interface Entry {
  at: number;
  pid: number;
  event: string;
  id: string;
}

const run = haveRedis() ? describe : describe.skip;

run('distributed mode (BullMQ on a real Redis, real worker processes)', () => {
  let redis: TestRedis;
  let dir: string;
  let chains: string;
  let journalPath: string;
  let env: Record<string, string>;
  let targetsN = 0;
  const workers: TestWorker[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    dir = tempDir('nectar-dist-');
    chains = writeChains(dir, { 'dist/grid_chain.ts': CHAIN });
    journalPath = join(dir, 'journal.log');
  });
  afterAll(async () => {
    await stopWorkers(workers.splice(0));
    await redis?.stop();
    rmDir(dir);
  });

  /** Fresh targets (and a fresh queue prefix) for each test; workers of the previous test stopped. */
  beforeEach(async () => {
    await stopWorkers(workers.splice(0));
    writeFileSync(journalPath, '');
    targetsN++;
    env = {
      NECTAR_REDIS_URL: redis.url,
      NECTAR_CHAINS: chains,
      NECTAR_TARGETS: join(dir, `targets-${targetsN}`),
      NECTAR_QUEUE_PREFIX: `t${targetsN}`,
      NECTAR_STALLED_INTERVAL: '1000',
      NECTAR_LOCK_DURATION: '2000',
      NECTAR_QUEUE_CHECK_INTERVAL: '500',
      NECTAR_TEST_JOURNAL: journalPath,
    };
  });

  const spawnWorkers = async (n: number, flags: string[] = [], extra: Record<string, string> = {}): Promise<TestWorker[]> => {
    const started = await Promise.all(Array.from({ length: n }, () => startWorker({ ...env, ...extra }, flags)));
    workers.push(...started);
    return started;
  };

  const server = (extra: Record<string, string> = {}): Runtime => {
    const config = loadConfig({ ...env, ...extra });
    return new Runtime({ config, logger: pino({ level: 'silent' }) });
  };

  const journal = (): Entry[] =>
    readFileSync(journalPath, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [at, pid, event, id] = l.split(' ') as [string, string, string, string];
        return { at: Number(at), pid: Number(pid), event, id };
      });

  const count = (entries: Entry[], event: string): Map<string, number> => {
    const m = new Map<string, number>();
    for (const e of entries) if (e.event === event) m.set(e.id, (m.get(e.id) ?? 0) + 1);
    return m;
  };

  test('a 1,000-task DAG over 3 workers completes, every output written exactly once, on every worker', async () => {
    const ws = await spawnWorkers(3, ['--concurrency', '8']);
    const rt = server();
    try {
      const root = rt.instantiate('dist/GridTask', { layers: 10, width: 100 });
      const r = await rt.run(root);
      expect(r.state).toBe('SUCCEEDED');
      const entries = journal();
      const wrote = count(entries, 'wrote');
      expect(wrote.size).toBe(1001);
      expect([...wrote.values()].every((n) => n === 1)).toBe(true);
      expect(count(entries, 'start').size).toBe(1001);
      // The work was shared: every worker ran tasks, the server none.
      const pids = new Set(entries.map((e) => e.pid));
      expect(pids).toEqual(new Set(ws.map((w) => w.pid)));
      expect(pids.has(process.pid)).toBe(false);
      // The answer is the one an in-process run gives.
      const localTargets = join(dir, `local-${targetsN}`);
      process.env['NECTAR_TEST_JOURNAL'] = join(dir, 'local.log');
      const local = new Runtime({ config: loadConfig({ NECTAR_CHAINS: chains, NECTAR_TARGETS: localTargets }), logger: pino({ level: 'silent' }) });
      const lr = await local.run(local.instantiate('dist/GridTask', { layers: 10, width: 100 }));
      expect(lr.state).toBe('SUCCEEDED');
      const answer = (targets: string): string => readFileSync(join(targets, taskFolder(root.id), 'out.txt'), 'utf8');
      expect(answer(env['NECTAR_TARGETS'] as string)).toBe(answer(localTargets));
      await local.close();
    } finally {
      await rt.close();
    }
  });

  test('a task runs only on workers offering its queue', async () => {
    const [plain] = await spawnWorkers(1, ['--queues', 'default']);
    const [gpu] = await spawnWorkers(1, ['--queues', 'gpu']);
    const rt = server();
    try {
      const r = await rt.run(rt.instantiate('dist/RendersTask', { count: 12 }));
      expect(r.state).toBe('SUCCEEDED');
      const entries = journal();
      const renders = entries.filter((e) => e.id.includes('/RenderTask/'));
      const cells = entries.filter((e) => e.id.includes('/CellTask/'));
      expect(renders.length).toBe(24);
      expect(new Set(renders.map((e) => e.pid))).toEqual(new Set([gpu!.pid]));
      expect(new Set(cells.map((e) => e.pid))).toEqual(new Set([plain!.pid]));
    } finally {
      await rt.close();
    }
  });

  test('a worker killed mid-task: its jobs stall and run again on another worker; no output is written twice or half', async () => {
    const [victim, other] = await spawnWorkers(2, ['--concurrency', '3']);
    const rt = server();
    try {
      const done = rt.run(rt.instantiate('dist/SlowsTask', { count: 12, ms: 800, tag: 'kill' }));
      // Wait until the victim has tasks running, then kill it without warning.
      for (let i = 0; i < 200 && !journal().some((e) => e.pid === victim!.pid && e.event === 'start'); i++) await new Promise((r) => setTimeout(r, 25));
      victim!.kill('SIGKILL');
      const r = await done;
      expect(r.state).toBe('SUCCEEDED');
      const entries = journal();
      const wrote = count(entries, 'wrote');
      expect(wrote.size + 0).toBeLessThanOrEqual(12);
      expect([...wrote.values()].every((n) => n === 1)).toBe(true);
      // Tasks the victim had started and not finished were started again, by the other worker.
      const started = count(entries, 'start');
      const restarted = [...started].filter(([, n]) => n > 1).map(([id]) => id);
      expect(restarted.length).toBeGreaterThan(0);
      for (const id of restarted) expect(entries.some((e) => e.id === id && e.event === 'start' && e.pid === other!.pid)).toBe(true);
      // Every output is there and whole.
      for (let i = 0; i < 12; i++) {
        const t = rt.instantiate('dist/SlowTask', { tag: `kill${i}`, ms: 800 });
        expect(readFileSync(join(env['NECTAR_TARGETS'] as string, 'chains/dist/grid_chain/SlowTask', t.id.split('/')[3]!, 'out.txt'), 'utf8')).toBe(`kill${i}`);
      }
    } finally {
      await rt.close();
    }
  });

  test('a worker stopped with SIGTERM finishes its running task, then exits 0', async () => {
    const [w] = await spawnWorkers(1, ['--concurrency', '2']);
    const rt = server();
    try {
      const done = rt.run(rt.instantiate('dist/SlowsTask', { count: 2, ms: 1200, tag: 'term' }));
      for (let i = 0; i < 200 && count(journal(), 'start').size < 2; i++) await new Promise((r) => setTimeout(r, 25));
      w!.kill('SIGTERM');
      expect(await w!.exited).toBe(0);
      expect(count(journal(), 'wrote').size).toBe(2);
      // The root task needs a worker: a new one takes it.
      await spawnWorkers(1);
      expect((await done).state).toBe('SUCCEEDED');
    } finally {
      await rt.close();
    }
  });

  test('the same task asked for by two servers at once runs once', async () => {
    await spawnWorkers(2);
    const a = server();
    const b = server();
    try {
      const [ra, rb] = await Promise.all([a.run(a.instantiate('dist/SlowTask', { tag: 'twice', ms: 600 })), b.run(b.instantiate('dist/SlowTask', { tag: 'twice', ms: 600 }))]);
      expect(ra.state).toBe('SUCCEEDED');
      expect(rb.state).toBe('SUCCEEDED');
      const entries = journal().filter((e) => e.id.includes('/SlowTask/'));
      expect(entries.filter((e) => e.event === 'start')).toHaveLength(1);
      expect(entries.filter((e) => e.event === 'wrote')).toHaveLength(1);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('Redis restarting mid-run: the run goes on when it is back', async () => {
    await spawnWorkers(2, ['--concurrency', '2']);
    const rt = server();
    try {
      const done = rt.run(rt.instantiate('dist/SlowsTask', { count: 10, ms: 400, tag: 'redis' }));
      for (let i = 0; i < 200 && count(journal(), 'wrote').size < 2; i++) await new Promise((r) => setTimeout(r, 25));
      await redis.restart(800);
      const r = await done;
      expect(r.state).toBe('SUCCEEDED');
      const wrote = count(journal(), 'wrote');
      expect(wrote.size).toBe(10);
      expect([...wrote.values()].every((n) => n === 1)).toBe(true);
    } finally {
      await rt.close();
    }
  });

  test('a per-queue rate limit holds across workers', async () => {
    await spawnWorkers(2, ['--queues', 'limited,default', '--concurrency', '8']);
    const rt = server({ NECTAR_QUEUE_RATES: 'limited=4/1s' });
    try {
      const r = await rt.run(rt.instantiate('dist/LimitedsTask', { count: 12 }));
      expect(r.state).toBe('SUCCEEDED');
      const starts = journal().filter((e) => e.event === 'start').map((e) => e.at).sort((x, y) => x - y);
      expect(starts).toHaveLength(12);
      // No window of one second saw more than 4 of them start.
      for (let i = 0; i + 4 < starts.length; i++) expect((starts[i + 4] as number) - (starts[i] as number)).toBeGreaterThanOrEqual(900);
    } finally {
      await rt.close();
    }
  });

  test('an API server killed mid-run: a new server adopts the run, which finishes; servers share the run history', async () => {
    await spawnWorkers(2, ['--concurrency', '2']);
    const extra = { NECTAR_HEARTBEAT_INTERVAL: '300' };
    const a = await startServe({ ...env, ...extra });
    workers.push(a);
    const post = await call(`${a.base}/api/chains/dist/SlowsTask?count=8&ms=500&tag=adopt`, { method: 'POST' });
    expect(post.status).toBe(202);
    const runId = post.body.data['run_id'] as string;
    for (let i = 0; i < 400 && count(journal(), 'wrote').size < 2; i++) await new Promise((r) => setTimeout(r, 25));
    a.kill('SIGKILL');
    await a.exited;
    const b = await startServe({ ...env, ...extra });
    workers.push(b);
    let state = '';
    for (let i = 0; i < 600 && state !== 'SUCCEEDED' && state !== 'FAILED'; i++) {
      state = (await call(`${b.base}/api/runs/${runId}`)).body.data['state'] as string;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(state).toBe('SUCCEEDED');
    const wrote = count(journal(), 'wrote');
    expect(wrote.size).toBe(8);
    expect([...wrote.values()].every((n) => n === 1)).toBe(true);
    // A second server on the same Redis lists the same run, with its tasks.
    const c = await startServe({ ...env, ...extra });
    workers.push(c);
    const seen = await call(`${c.base}/api/runs/${runId}`);
    expect(seen.body.data['state']).toBe('SUCCEEDED');
    expect((seen.body.data['nodes'] as unknown[]).length).toBe(9);
  });

  test('autoscale: worker processes follow the queue depth, up and back down; /metrics shows the depth per queue', async () => {
    const sup = await startWorker(env, ['--autoscale', '1..3', '--concurrency', '1', '--scale-down-after', '1']);
    workers.push(sup);
    const srv = await startServe(env);
    workers.push(srv);
    const post = await call(`${srv.base}/api/chains/dist/SlowsTask?count=9&ms=700&tag=scale`, { method: 'POST' });
    const runId = post.body.data['run_id'] as string;
    let sawDepth = false;
    let state = '';
    for (let i = 0; i < 600 && state !== 'SUCCEEDED' && state !== 'FAILED'; i++) {
      const metrics = await (await fetch(`${srv.base}/metrics`)).text();
      const m = /nectar_queue_jobs\{queue="default",state="waiting"\} (\d+)/.exec(metrics);
      if (m && Number(m[1]) > 0) sawDepth = true;
      state = (await call(`${srv.base}/api/runs/${runId}`)).body.data['state'] as string;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(state).toBe('SUCCEEDED');
    expect(sawDepth).toBe(true);
    const pids = new Set(journal().map((e) => e.pid));
    expect(pids.size).toBeGreaterThanOrEqual(2);
    expect(pids.size).toBeLessThanOrEqual(3);
    expect(sup.stderr()).toMatch(/autoscale: 1 -> [23] worker processes/);
    for (let i = 0; i < 200 && !/autoscale: 2 -> 1 worker processes/.test(sup.stderr()); i++) await new Promise((r) => setTimeout(r, 50));
    expect(sup.stderr()).toMatch(/autoscale: 2 -> 1 worker processes/);
    sup.kill('SIGTERM');
    expect(await sup.exited).toBe(0);
  });
});
