import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NonRetryableError, type RunContext, defineChain, p, task } from '../../src/index';
import { EventBus, type NectarEventMap } from '../../src/core/events';
import { FINISHED_TASK_STATES, TASK_STATES, TASK_TRANSITIONS, canTransition } from '../../src/core/states';
import type { Executor, TaskAttempt } from '../../src/core/executor';
import type { Runtime } from '../../src/runtime/runtime';
import { Scheduler } from '../../src/scheduler/scheduler';
import { SharedExecutions } from '../../src/scheduler/shared';
import { makeRuntime, rmDir, tempDir, writeChains } from '../helpers/runtime';

/** Shared state the test tasks report into (reset per test). */
const probe = { ran: [] as string[], active: 0, maxActive: 0, activeByRes: 0, maxByRes: 0, failAt: new Set<number>(), attempts: new Map<string, number>() };

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((res, rej) => {
    const t = setTimeout(res, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      rej(signal.reason);
    });
  });

/** Step i of a linear chain; fails while i is in probe.failAt. */
class StepTask extends task({ i: p.int({ min: 0 }) }) {
  requires() {
    return this.params.i > 0 ? new StepTask({ i: this.params.i - 1 }) : undefined;
  }
  async run(ctx: RunContext<StepTask>) {
    probe.ran.push(`step${this.params.i}`);
    if (probe.failAt.has(this.params.i)) throw new Error(`step ${this.params.i} broke`);
    const prev = ctx.input ? await (ctx.input as unknown as { readText(): Promise<string> }).readText() : '';
    await ctx.output.write(`${prev}${this.params.i};`);
  }
}

class SlowTask extends task({ i: p.int(), ms: p.int({ default: 30 }) }) {
  async run(ctx: RunContext<SlowTask>) {
    probe.ran.push(`slow${this.params.i}`);
    probe.active++;
    probe.maxActive = Math.max(probe.maxActive, probe.active);
    try {
      await sleep(this.params.ms, ctx.signal);
      await ctx.output.write('ok');
    } finally {
      probe.active--;
    }
  }
}

class DbTask extends task({ i: p.int() }, { resources: { db: 1 } }) {
  async run(ctx: RunContext<DbTask>) {
    probe.activeByRes++;
    probe.maxByRes = Math.max(probe.maxByRes, probe.activeByRes);
    await sleep(20);
    probe.activeByRes--;
    await ctx.output.write('db');
  }
}

class FanTask extends task({ n: p.int(), kind: p.enum(['slow', 'db'] as const) }) {
  requires() {
    return Array.from({ length: this.params.n }, (_, i) => (this.params.kind === 'slow' ? new SlowTask({ i }) : new DbTask({ i })));
  }
  async run(ctx: RunContext<FanTask>) {
    await ctx.output.write(String(ctx.input.length));
  }
}

class FlakyTask extends task({ failures: p.int() }, { retries: 3, retryDelay: 10 }) {
  async run(ctx: RunContext<FlakyTask>) {
    const n = (probe.attempts.get(this.id) ?? 0) + 1;
    probe.attempts.set(this.id, n);
    if (n <= this.params.failures) throw new Error(`flaky failure ${n}`);
    await ctx.output.write(`succeeded on attempt ${ctx.attempt}`);
  }
}

class FatalTask extends task({}, { retries: 5, retryDelay: 10 }) {
  async run() {
    probe.attempts.set('fatal', (probe.attempts.get('fatal') ?? 0) + 1);
    throw new NonRetryableError('bad input data');
  }
}

class HangTask extends task({ ignoreSignal: p.bool({ default: false }) }, { timeout: 100 }) {
  async run(ctx: RunContext<HangTask>) {
    const name = `hang:${this.params.ignoreSignal}`;
    try {
      if (this.params.ignoreSignal) await sleep(400);
      else await sleep(10_000, ctx.signal);
    } catch (err) {
      probe.ran.push(`${name}:aborted`);
      throw err;
    }
    probe.ran.push(`${name}:slept`);
    await ctx.output.write('too late');
  }
}

/** Two branches under one root: `bad` fails, `good` must still run. */
class BranchTask extends task({ name: p.string(), fail: p.bool({ default: false }) }) {
  async run(ctx: RunContext<BranchTask>) {
    probe.ran.push(this.params.name);
    if (this.params.fail) throw new Error(`${this.params.name} failed`);
    await ctx.output.write(this.params.name);
  }
}
class JoinTask extends task({}) {
  requires() {
    return { good: new BranchTask({ name: 'good' }), bad: new BranchTask({ name: 'bad', fail: true }) };
  }
  async run(ctx: RunContext<JoinTask>) {
    await ctx.output.write('joined');
  }
}
class AfterGoodTask extends task({}) {
  requires() {
    return new BranchTask({ name: 'good' });
  }
  async run(ctx: RunContext<AfterGoodTask>) {
    await ctx.output.write('after good');
  }
}
class TopTask extends task({}) {
  requires() {
    return [new JoinTask(), new AfterGoodTask()];
  }
  async run(ctx: RunContext<TopTask>) {
    await ctx.output.write('top');
  }
}

class LowTask extends task({ i: p.int() }, { priority: 0 }) {
  async run(ctx: RunContext<LowTask>) {
    probe.ran.push(`low${this.params.i}`);
    await ctx.output.write('low');
  }
}
class HighTask extends task({ i: p.int() }, { priority: 10 }) {
  async run(ctx: RunContext<HighTask>) {
    probe.ran.push(`high${this.params.i}`);
    await ctx.output.write('high');
  }
}
class MixTask extends task({}) {
  requires() {
    return [new LowTask({ i: 1 }), new LowTask({ i: 2 }), new HighTask({ i: 1 }), new HighTask({ i: 2 })];
  }
  async run(ctx: RunContext<MixTask>) {
    await ctx.output.write('mix');
  }
}

/** Asks for its requirements from inside run (dynamic dependencies). */
class DynamicTask extends task({ n: p.int() }) {
  async run(ctx: RunContext<DynamicTask>) {
    const outs = await ctx.require(Array.from({ length: this.params.n }, (_, i) => new StepTask({ i })));
    const texts = await Promise.all(outs.map((t) => t.readText()));
    await ctx.output.write(texts.join('|'));
  }
}

/** Held until the test lets it go; counts as running work (probe.active). */
let letHeldGo: () => void = () => undefined;
class HeldTask extends task({ i: p.int() }, { priority: 5 }) {
  async run(ctx: RunContext<HeldTask>) {
    probe.active++;
    probe.maxActive = Math.max(probe.maxActive, probe.active);
    await new Promise<void>((res) => (letHeldGo = res));
    probe.active--;
    await ctx.output.write('held');
  }
}
/** Times out while it waits in ctx.require() for a HeldTask; goes first (priority). */
class WaitsTask extends task({}, { timeout: 50, retries: 0, priority: 10 }) {
  async run(ctx: RunContext<WaitsTask>) {
    await ctx.require([new HeldTask({ i: 0 })]);
    await ctx.output.write('never');
  }
}
class WaitsAndSlowTask extends task({}) {
  requires() {
    return [new WaitsTask(), new SlowTask({ i: 99, ms: 5 })];
  }
  async run(ctx: RunContext<WaitsAndSlowTask>) {
    await ctx.output.write('both');
  }
}

class FailsTask extends task({}) {
  async run() {
    throw new Error('failed');
  }
}
/** Fails when the test lets it. */
let failLater: () => void = () => undefined;
let failLaterGate = Promise.resolve();
class FailsLaterTask extends task({}) {
  async run() {
    await failLaterGate;
    throw new Error('failed later');
  }
}
/** Requires both from run(): fails with the first, and waits for its retry while the other fails. */
class RetriesRequirerTask extends task({}, { retries: 1, retryDelay: 50 }) {
  async run(ctx: RunContext<RetriesRequirerTask>) {
    await ctx.require([new FailsTask(), new FailsLaterTask()]);
    await ctx.output.write('never');
  }
}
class RetriesRequirerAndHeldTask extends task({}) {
  requires() {
    return [new RetriesRequirerTask(), new HeldTask({ i: 1 })];
  }
  async run(ctx: RunContext<RetriesRequirerAndHeldTask>) {
    await ctx.output.write('both');
  }
}

class NoWriteTask extends task({}) {
  async run() {}
}

class CycleATask extends task({}) {
  requires() {
    return new CycleBTask();
  }
  run() {}
}
class CycleBTask extends task({}) {
  requires() {
    return new CycleATask();
  }
  run() {}
}

class BoomTask extends task({}) {
  async run() {
    throw new Error('boom');
  }
}

/** Run by the GateExecutor below, never by itself. */
class GateTask extends task({ n: p.int() }) {
  run() {}
}
/** The same id as GateTask (same location, same params), as an edited copy of its class would have, with a timeout. */
class GateTimeoutTask extends task({ n: p.int() }, { timeout: 50, retries: 0 }) {
  run() {}
}
defineChain('unit', 'gate_chain', { GateTask });
defineChain('unit', 'gate_chain', { GateTask: GateTimeoutTask });

/**
 * An executor the test drives: an attempt ends when the test opens its task's gate, or at
 * once when its abort fires (as real executors do), unless it lingers: then it ends only at
 * the gate, failing if it was aborted meanwhile.
 */
class GateExecutor implements Executor {
  readonly kind = 'gate';
  readonly attempts: TaskAttempt[] = [];
  readonly #gates = new Map<string, { promise: Promise<void>; open(): void }>();
  readonly #onStart: ((a: TaskAttempt) => void)[] = [];
  constructor(private readonly linger = false) {}
  #gate(id: string): { promise: Promise<void>; open(): void } {
    let g = this.#gates.get(id);
    if (!g) {
      let open = (): void => undefined;
      const promise = new Promise<void>((res) => (open = res));
      g = { promise, open };
      this.#gates.set(id, g);
    }
    return g;
  }
  open(id: string): void {
    this.#gate(id).open();
  }
  /** Resolves when an attempt of the task starts. */
  started(id: string): Promise<TaskAttempt> {
    const seen = this.attempts.find((a) => a.task.id === id);
    if (seen) return Promise.resolve(seen);
    return new Promise((res) => this.#onStart.push((a) => a.task.id === id && res(a)));
  }
  execute(a: TaskAttempt): Promise<void> {
    this.attempts.push(a);
    for (const f of this.#onStart) f(a);
    const gate = this.#gate(a.task.id).promise;
    if (!this.linger) return Promise.race([gate, a.abort.aborted]);
    return gate.then(() => {
      if (a.abort.reason) throw a.abort.reason;
    });
  }
  async close(): Promise<void> {}
}

/** Resolves when a run's task reaches a state. */
const reached = (events: EventBus, runId: string, taskId: string, state: string): Promise<void> =>
  new Promise((res) => {
    const off = events.on('task:state', (e) => {
      if (e.runId === runId && e.taskId === taskId && e.state === state) {
        off();
        res();
      }
    });
  });

defineChain('unit', 'sched_chain', {
  BoomTask,
  StepTask, SlowTask, DbTask, FanTask, FlakyTask, FatalTask, HangTask, BranchTask, JoinTask, AfterGoodTask, TopTask, LowTask, HighTask, MixTask, DynamicTask, HeldTask, WaitsTask, WaitsAndSlowTask, FailsTask, FailsLaterTask, RetriesRequirerTask, RetriesRequirerAndHeldTask, NoWriteTask, CycleATask, CycleBTask,
});

/** State changes of the runs under test that the transition table does not allow (there must be none). */
let illegal: string[] = [];
const checkTransitions = (events: EventBus): void => {
  events.on('task:state', (e) => {
    if (!canTransition(e.previous ?? 'NEW', e.state)) illegal.push(`${e.taskId}: ${e.previous ?? 'NEW'} -> ${e.state}`);
  });
};

describe('the task-state transition table', () => {
  it('lets a task enter PENDING, skipped DONE or (stale, by policy) FAILED, and never leave a finished state', () => {
    expect(TASK_TRANSITIONS.NEW).toEqual(['PENDING', 'DONE', 'FAILED']);
    for (const s of FINISHED_TASK_STATES) for (const to of TASK_STATES) expect(canTransition(s, to)).toBe(false);
  });

  it('allows what attempts do and refuses the rest', () => {
    for (const [from, to] of [['PENDING', 'RUNNING'], ['PENDING', 'QUEUED'], ['QUEUED', 'RUNNING'], ['QUEUED', 'PENDING'], ['RUNNING', 'PENDING'], ['QUEUED', 'DONE'], ['RUNNING', 'CANCELLED'], ['PENDING', 'UPSTREAM_FAILED']] as const) {
      expect(canTransition(from, to)).toBe(true);
    }
    for (const [from, to] of [['NEW', 'RUNNING'], ['PENDING', 'DONE'], ['PENDING', 'FAILED'], ['RUNNING', 'QUEUED'], ['RUNNING', 'UPSTREAM_FAILED'], ['UPSTREAM_FAILED', 'RUNNING'], ['DONE', 'PENDING']] as const) {
      expect(canTransition(from, to)).toBe(false);
    }
  });
});

describe('scheduler', () => {
  let dir: string;
  let rt: Runtime;
  beforeEach(() => {
    dir = tempDir();
    rt = makeRuntime(writeChains(dir, {}), join(dir, 'targets'));
    illegal = [];
    checkTransitions(rt.events);
    probe.ran = [];
    probe.active = probe.maxActive = probe.activeByRes = probe.maxByRes = 0;
    probe.failAt = new Set();
    probe.attempts = new Map();
  });
  afterEach(async () => {
    await rt.close();
    rmDir(dir);
    // Every state change the scheduler made in the test was one the table allows.
    expect(illegal).toEqual([]);
  });

  const read = (t: { id: string }, name = 'out.txt'): string => readFileSync(join(dir, 'targets/chains', t.id, name), 'utf8');

  it('runs in dependency order and writes outputs, params.json and log', async () => {
    const root = new StepTask({ i: 4 });
    const r = await rt.run(root);
    expect(r.state).toBe('SUCCEEDED');
    expect(probe.ran).toEqual(['step0', 'step1', 'step2', 'step3', 'step4']);
    expect(read(root)).toBe('0;1;2;3;4;');
    expect(JSON.parse(read(root, 'params.json'))).toEqual({ i: 4 });
    const logLines = read(root, 'log').trim().split('\n').map((l) => JSON.parse(l) as { msg: string; task: string });
    expect(logLines[0]?.msg).toContain('started');
    expect(logLines.every((l) => l.task === root.id)).toBe(true);
  });

  it('a second run executes nothing', async () => {
    await rt.run(new StepTask({ i: 4 }));
    probe.ran = [];
    const r = await rt.run(new StepTask({ i: 4 }));
    expect(r.state).toBe('SUCCEEDED');
    expect(probe.ran).toEqual([]);
    expect(r.ran).toBe(0);
    expect(r.skipped).toBe(1); // the complete root: its requirements are not even looked at
  });

  it('resumes a 5-step chain at the failed step after the fix', async () => {
    probe.failAt.add(2);
    const r1 = await rt.run(new StepTask({ i: 4 }));
    expect(r1.state).toBe('FAILED');
    expect(probe.ran).toEqual(['step0', 'step1', 'step2']);
    expect(r1.failures.map((f) => f.id)).toEqual([new StepTask({ i: 2 }).id]);
    expect(r1.failures[0]?.error?.message).toBe('step 2 broke');
    expect(r1.failures[0]?.error?.stack).toContain('scheduler.test.ts');
    expect(r1.counts.UPSTREAM_FAILED).toBe(2);
    expect(() => read(new StepTask({ i: 2 }))).toThrow(); // no output from the failed step
    expect(read(new StepTask({ i: 2 }), 'log')).toContain('step 2 broke'); // but its log is there
    probe.failAt.clear();
    probe.ran = [];
    const r2 = await rt.run(new StepTask({ i: 4 }));
    expect(r2.state).toBe('SUCCEEDED');
    expect(probe.ran).toEqual(['step2', 'step3', 'step4']);
    expect(read(new StepTask({ i: 4 }))).toBe('0;1;2;3;4;');
  });

  it('marks dependants UPSTREAM_FAILED while independent branches go on', async () => {
    const events: NectarEventMap['task:state'][] = [];
    rt.events.on('task:state', (e) => events.push(e));
    const r = await rt.run(new TopTask(), { workers: 1 });
    expect(r.state).toBe('FAILED');
    const state = (t: { id: string }): string | undefined => r.tasks.get(t.id)?.state;
    expect(state(new BranchTask({ name: 'bad', fail: true }))).toBe('FAILED');
    expect(state(new BranchTask({ name: 'good' }))).toBe('DONE');
    expect(state(new AfterGoodTask())).toBe('DONE');
    expect(state(new JoinTask())).toBe('UPSTREAM_FAILED');
    expect(state(new TopTask())).toBe('UPSTREAM_FAILED');
    const join = events.find((e) => e.taskId === new JoinTask().id && e.state === 'UPSTREAM_FAILED');
    expect(join?.cause).toBe(new BranchTask({ name: 'bad', fail: true }).id);
  });

  it('runs at most N tasks at once', async () => {
    const r = await rt.run(new FanTask({ n: 12, kind: 'slow' }), { workers: 3 });
    expect(r.state).toBe('SUCCEEDED');
    expect(probe.maxActive).toBe(3);
  });

  it('limits tasks holding a resource', async () => {
    const r = await rt.run(new FanTask({ n: 8, kind: 'db' }), { workers: 8, resources: { db: 2 } });
    expect(r.state).toBe('SUCCEEDED');
    expect(probe.maxByRes).toBe(2);
  });

  it('retries with backoff, then succeeds', async () => {
    const retries: number[] = [];
    rt.events.on('task:retry', (e) => retries.push(e.delayMs));
    const t = new FlakyTask({ failures: 2 });
    const r = await rt.run(t);
    expect(r.state).toBe('SUCCEEDED');
    expect(r.tasks.get(t.id)?.attempts).toBe(3);
    expect(retries).toEqual([10, 20]);
    expect(read(t)).toBe('succeeded on attempt 3');
  });

  it('gives up after the retries and does not retry a NonRetryableError', async () => {
    const r = await rt.run(new FlakyTask({ failures: 10 }));
    expect(r.state).toBe('FAILED');
    expect(r.failures[0]?.attempts).toBe(4);
    const f = await rt.run(new FatalTask());
    expect(f.state).toBe('FAILED');
    expect(probe.attempts.get('fatal')).toBe(1);
    expect(f.failures[0]?.error?.message).toBe('bad input data');
  });

  it('times out a task and leaves no output, even one that ignores the signal', async () => {
    for (const ignoreSignal of [false, true]) {
      const r = await rt.run(new HangTask({ ignoreSignal }));
      expect(r.state).toBe('FAILED');
      expect(r.failures[0]?.error?.code).toBe('TIMEOUT');
    }
    // The run ended while the signal-ignoring task was still asleep; the other one was woken by its signal.
    expect(probe.ran).toEqual(['hang:false:aborted']);
    await sleep(450); // the task that ignored its signal tries to write now, and must not be able to
    expect(probe.ran).toEqual(['hang:false:aborted', 'hang:true:slept']);
    expect(() => read(new HangTask({ ignoreSignal: true }))).toThrow();
    expect(() => read(new HangTask({ ignoreSignal: false }))).toThrow();
  });

  it('runs higher priority tasks first', async () => {
    await rt.run(new MixTask(), { workers: 1 });
    expect(probe.ran).toEqual(['high1', 'high2', 'low1', 'low2']);
  });

  it('a task that times out while paused in ctx.require() does not free its slot twice', async () => {
    const states: NectarEventMap['task:state'][] = [];
    rt.events.on('task:state', (e) => states.push(e));
    const done = rt.run(new WaitsAndSlowTask(), { workers: 1 });
    // WaitsTask parks (its slot goes to HeldTask), then times out while HeldTask still runs.
    for (let i = 0; i < 200 && !states.some((e) => e.state === 'FAILED'); i++) await new Promise((r) => setTimeout(r, 10));
    expect(states.find((e) => e.state === 'FAILED')?.error?.code).toBe('TIMEOUT');
    // One slot: SlowTask must not have started beside HeldTask.
    expect(probe.ran).not.toContain('slow99');
    letHeldGo();
    const r = await done;
    expect(r.state).toBe('FAILED');
    expect(probe.ran).toContain('slow99');
    expect(probe.maxActive).toBe(1);
  });

  it('runs dynamic dependencies requested from run, even with one worker', async () => {
    const t = new DynamicTask({ n: 3 });
    const r = await rt.run(t, { workers: 1 });
    expect(r.state).toBe('SUCCEEDED');
    expect(read(t)).toBe('0;|0;1;|0;1;2;');
    expect(r.tasks.get(t.id)?.deps).toHaveLength(3);
  });

  it('a task waiting for its retry when a dynamic requirement of it fails ends UPSTREAM_FAILED, and is not started again', async () => {
    failLaterGate = new Promise<void>((res) => (failLater = res));
    const requirer = new RetriesRequirerTask();
    const retrying = new Promise<void>((res) => rt.events.on('task:retry', () => res()));
    const stranded = new Promise<void>((res) => rt.events.on('task:state', (e) => e.taskId === requirer.id && e.state === 'UPSTREAM_FAILED' && res()));
    const done = rt.run(new RetriesRequirerAndHeldTask());
    await retrying;
    failLater();
    await stranded;
    await sleep(150); // past the retry delay: the stranded task must not start again
    letHeldGo();
    const r = await done;
    expect(r.state).toBe('FAILED');
    expect(r.tasks.get(requirer.id)?.state).toBe('UPSTREAM_FAILED');
    expect(r.tasks.get(requirer.id)?.attempts).toBe(1);
    expect(r.tasks.get(new HeldTask({ i: 1 }).id)?.state).toBe('DONE');
    expect(r.tasks.get(new RetriesRequirerAndHeldTask().id)?.state).toBe('UPSTREAM_FAILED');
  });

  it('fails a task whose run() did not write its outputs', async () => {
    const r = await rt.run(new NoWriteTask());
    expect(r.failures[0]?.error?.message).toContain('did not write out.txt');
  });

  it('reports a cycle naming its tasks, and runs nothing', async () => {
    const ends: unknown[] = [];
    rt.events.on('run:end', (e) => ends.push(e));
    const r = await rt.run(new CycleATask());
    expect(r.state).toBe('FAILED');
    expect(r.tasks.size).toBe(0);
    expect(r.error?.code).toBe('CYCLE');
    expect(r.error?.message).toMatch(/cycle: unit\/sched_chain\/CycleATask\/\w+ -> unit\/sched_chain\/CycleBTask\/\w+ -> unit\/sched_chain\/CycleATask/);
    expect(ends).toEqual([expect.objectContaining({ state: 'FAILED', error: expect.objectContaining({ code: 'CYCLE' }) })]);
  });

  it('cancels: running tasks are aborted, pending ones never start', async () => {
    const ctl = new AbortController();
    const states: string[] = [];
    rt.events.on('task:state', (e) => states.push(e.state));
    setTimeout(() => ctl.abort(), 50);
    const r = await rt.run(new FanTask({ n: 10, kind: 'slow' }), { workers: 2, signal: ctl.signal });
    expect(r.state).toBe('CANCELLED');
    expect(r.counts.CANCELLED).toBe(r.tasks.size - r.counts.DONE);
    expect(r.counts.DONE).toBeLessThan(10);
    expect(probe.active).toBe(0);
  });

  it('emits a typed event for every state change', async () => {
    const seen: string[] = [];
    rt.events.on('task:state', (e) => seen.push(`${e.taskId.split('/')[2]}:${e.previous ?? '-'}>${e.state}`));
    rt.events.on('task:state', () => {
      throw new Error('a broken listener must not break the run');
    });
    const r = await rt.run(new StepTask({ i: 1 }));
    expect(r.state).toBe('SUCCEEDED');
    expect(seen).toEqual(['StepTask:->PENDING', 'StepTask:->PENDING', 'StepTask:PENDING>RUNNING', 'StepTask:RUNNING>DONE', 'StepTask:PENDING>RUNNING', 'StepTask:RUNNING>DONE']);
  });

  it('shares one execution between two runs needing the same task at once', async () => {
    const [a, b] = await Promise.all([rt.run(new FanTask({ n: 4, kind: 'slow' })), rt.run(new SlowTask({ i: 2 }))]);
    expect(a.state).toBe('SUCCEEDED');
    expect(b.state).toBe('SUCCEEDED');
    // SlowTask i=2 ran once: the second run waited on the first's execution.
    expect(probe.ran.filter((x) => x === 'slow2')).toHaveLength(1);
    expect(probe.ran).toHaveLength(4);
  });

  it('gives a task that throws a plain Error the code TASK_FAILED; coded errors keep theirs', async () => {
    const retries: (string | undefined)[] = [];
    rt.events.on('task:retry', (e) => retries.push(e.error.code));
    const r = await rt.run(new BoomTask());
    expect(r.failures[0]?.error).toEqual(expect.objectContaining({ name: 'Error', code: 'TASK_FAILED', message: 'boom' }));
    expect(r.failures[0]?.error?.stack).toContain('scheduler.test.ts');
    const f = await rt.run(new FatalTask());
    expect(f.failures[0]?.error?.code).toBe('NON_RETRYABLE');
    expect((await rt.run(new FlakyTask({ failures: 1 }))).state).toBe('SUCCEEDED');
    expect(retries).toEqual(['TASK_FAILED']);
  });

  describe('a shared execution', () => {
    let events: EventBus;
    let shared: SharedExecutions;
    let gx: GateExecutor;
    const x = new GateTask({ n: 1 });
    beforeEach(() => {
      events = new EventBus();
      checkTransitions(events);
      shared = new SharedExecutions();
      gx = new GateExecutor();
    });
    const run = (runId: string, root: GateTask | GateTimeoutTask, signal?: AbortSignal): ReturnType<Scheduler['run']> =>
      new Scheduler({ runId, store: rt.store, events, executors: { inprocess: gx }, shared, ...(signal ? { signal } : {}) }).run([root]);
    /** Run A starts X, run B joins it. */
    const startBoth = async (b: GateTask | GateTimeoutTask = x): Promise<{ a: ReturnType<typeof run>; b: ReturnType<typeof run>; ca: AbortController; cb: AbortController }> => {
      const ca = new AbortController();
      const cb = new AbortController();
      const a = run('A', x, ca.signal);
      await gx.started(x.id);
      const joined = reached(events, 'B', x.id, 'RUNNING');
      const pb = run('B', b, cb.signal);
      await joined;
      return { a, b: pb, ca, cb };
    };

    it('ends the wait of a joining run cancelled, and goes on for the run that started it', async () => {
      const { a, b, cb } = await startBoth();
      cb.abort();
      const rb = await b; // while X's gate is still shut
      expect(rb.state).toBe('CANCELLED');
      expect(rb.tasks.get(x.id)?.state).toBe('CANCELLED');
      expect(rb.tasks.get(x.id)?.error?.code).toBe('CANCELLED');
      expect(gx.attempts).toHaveLength(1);
      expect(gx.attempts[0]?.abort.reason).toBeUndefined();
      gx.open(x.id);
      const ra = await a;
      expect(ra.state).toBe('SUCCEEDED');
      expect(ra.tasks.get(x.id)?.state).toBe('DONE');
      expect(shared.size).toBe(0);
    });

    it('goes on for a joined run when the run that started it is cancelled', async () => {
      const { a, b, ca } = await startBoth();
      ca.abort();
      const ra = await a;
      expect(ra.state).toBe('CANCELLED');
      expect(ra.tasks.get(x.id)?.state).toBe('CANCELLED');
      expect(gx.attempts[0]?.abort.reason).toBeUndefined();
      gx.open(x.id);
      const rb = await b;
      expect(rb.state).toBe('SUCCEEDED');
      expect(gx.attempts).toHaveLength(1);
    });

    it('is aborted once no run wants it, with the last reason', async () => {
      const { a, b, ca, cb } = await startBoth();
      ca.abort();
      expect((await a).state).toBe('CANCELLED');
      const attempt = gx.attempts[0];
      expect(attempt?.abort.reason).toBeUndefined();
      cb.abort();
      const rb = await b;
      expect(rb.state).toBe('CANCELLED');
      expect(rb.tasks.get(x.id)?.error?.code).toBe('CANCELLED');
      expect(attempt?.abort.signal.aborted).toBe(true);
      expect(attempt?.abort.reason).toEqual(expect.objectContaining({ code: 'CANCELLED' }));
      expect(shared.size).toBe(0);
    });

    it('ends the wait of a joined run at its attempt timeout while the other goes on', async () => {
      const xt = new GateTimeoutTask({ n: 1 });
      expect(xt.id).toBe(x.id);
      const { a, b } = await startBoth(xt);
      const rb = await b; // B's 50 ms timeout, X's gate still shut
      expect(rb.state).toBe('FAILED');
      expect(rb.tasks.get(x.id)?.state).toBe('FAILED');
      expect(rb.tasks.get(x.id)?.error?.code).toBe('TIMEOUT');
      expect(gx.attempts[0]?.abort.reason).toBeUndefined();
      gx.open(x.id);
      expect((await a).state).toBe('SUCCEEDED');
      expect(gx.attempts).toHaveLength(1);
    });

    it('sends dynamic requirements to a run still wanting it once its starter is gone', async () => {
      const dep = new GateTask({ n: 2 });
      gx.open(dep.id);
      const { a, b, ca } = await startBoth();
      ca.abort();
      expect((await a).state).toBe('CANCELLED');
      await gx.attempts[0]?.require([dep]);
      gx.open(x.id);
      const rb = await b;
      expect(rb.state).toBe('SUCCEEDED');
      expect(rb.tasks.get(dep.id)?.state).toBe('DONE');
      expect(rb.tasks.get(x.id)?.deps).toEqual([dep.id]);
    });

    it('starts afresh for a run arriving while an aborted one winds down, once that one has settled', async () => {
      gx = new GateExecutor(true);
      const ca = new AbortController();
      const a = run('A', x, ca.signal);
      await gx.started(x.id);
      ca.abort();
      await gx.attempts[0]?.abort.aborted.catch(() => undefined);
      const c = run('C', x);
      await reached(events, 'C', x.id, 'RUNNING');
      expect(gx.attempts).toHaveLength(1); // the aborted attempt has not settled yet
      gx.open(x.id);
      expect((await a).state).toBe('CANCELLED');
      const rc = await c;
      expect(rc.state).toBe('SUCCEEDED');
      expect(gx.attempts).toHaveLength(2);
      expect(gx.attempts[1]?.abort.reason).toBeUndefined();
    });
  });
});
