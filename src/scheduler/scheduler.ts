import { checkComplete } from '../core/binding';
import { NectarError, isNonRetryable, serializeError, type SerializedError } from '../core/errors';
import { AttemptAbort, type Executor } from '../core/executor';
import type { ExecutorKind } from '../core/options';
import { retryDelayFor } from '../core/options';
import type { TaskState } from '../core/states';
import { isTerminal } from '../core/states';
import { type AnyTask, taskOptions } from '../core/task';
import { Dag } from '../dag/graph';
import { DynamicWaits } from './dynamic-waits';
import { ReadyQueue } from './ready-queue';
import { runResult } from './result';
import { ResourcePool } from './resources';
import { Slots } from './slots';
import type { AttemptHooks } from './shared';
import type { RunResult, SchedulerOptions, TaskRecord } from './types';

export type { RunResult, SchedulerOptions, TaskRecord } from './types';

/**
 * The run loop: resolves the DAG (complete tasks skipped and not expanded), runs the rest in
 * dependency order with bounded concurrency, resource limits and priorities, retries with
 * backoff, times attempts out, and propagates failures as UPSTREAM_FAILED while independent
 * branches go on. Every state change is an event.
 */
export class Scheduler {
  readonly dag: Dag;
  readonly #o: SchedulerOptions;
  readonly #records = new Map<string, TaskRecord>();
  readonly #waitingOn = new Map<string, number>();
  readonly #ready = new ReadyQueue();
  readonly #resources: ResourcePool;
  /** Attempts running: task id -> its abort controller. */
  readonly #running = new Map<string, AttemptAbort>();
  readonly #slots: Slots;
  readonly #dynamic = new DynamicWaits();
  readonly #retryTimers = new Set<NodeJS.Timeout>();
  readonly #failures: TaskRecord[] = [];
  #open = 0;
  #cancelled = false;
  #finish: (() => void) | undefined;

  constructor(o: SchedulerOptions) {
    this.#o = o;
    this.#slots = new Slots(Math.max(1, o.workers ?? 8));
    this.#resources = new ResourcePool(o.resources ?? {});
    this.dag = new Dag((tasks) => checkComplete(tasks, o.store));
  }

  async run(roots: readonly AnyTask[]): Promise<RunResult> {
    const { events, runId, signal } = this.#o;
    const t0 = performance.now();
    const rootIds = [...new Set(roots.map((r) => r.id))];
    events.emit('run:start', { runId, rootId: rootIds[0] ?? '', at: Date.now() });
    const onAbort = (): void => this.cancel();
    signal?.addEventListener('abort', onAbort, { once: true });
    let error: SerializedError | undefined;
    try {
      const finished = new Promise<void>((res) => (this.#finish = res));
      let added: string[] | undefined;
      try {
        added = await this.dag.expand(roots, true);
      } catch (err) {
        // The DAG could not be built (a cycle, a requires() that throws): nothing runs.
        error = serializeError(err);
      }
      if (added) {
        this.#admit(added);
        if (signal?.aborted) this.cancel();
        this.#pump();
        if (this.#open > 0) await finished;
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      for (const t of this.#retryTimers) clearTimeout(t);
    }
    const result = runResult({ runId, rootIds, records: this.#records, failures: this.#failures, cancelled: this.#cancelled, error, durationMs: performance.now() - t0 });
    const { state, counts } = result;
    events.emit('run:end', error ? { runId, state, at: Date.now(), counts, error } : { runId, state, at: Date.now(), counts });
    return result;
  }

  /** Abort running attempts; pending tasks become CANCELLED and never start. */
  cancel(): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    for (const id of this.#ready.drain()) this.#settle(id, 'CANCELLED');
    for (const c of this.#running.values()) c.abort(new NectarError('CANCELLED', 'the run was cancelled'));
    for (const r of this.#records.values()) if (r.state === 'PENDING' && !this.#running.has(r.id)) this.#settle(r.id, 'CANCELLED');
    this.#checkDone();
  }

  /** New DAG nodes enter the run: complete ones DONE (skipped), the rest PENDING. */
  #admit(ids: readonly string[]): void {
    const { events, runId } = this.#o;
    const announce = events.hasListeners('task:added');
    for (const id of ids) {
      const node = this.dag.node(id);
      const rec: TaskRecord = { id, task: node.task, state: 'PENDING', skipped: false, attempts: 0, deps: node.deps ?? [] };
      this.#records.set(id, rec);
      this.#open++;
      if (announce) events.emit('task:added', { runId, taskId: id, name: node.task.constructor.name, params: node.task.params, deps: rec.deps, at: Date.now() });
    }
    for (const id of ids) {
      const rec = this.#records.get(id) as TaskRecord;
      if (this.dag.complete.has(id)) {
        rec.skipped = true;
        this.#settle(id, 'DONE');
        continue;
      }
      this.#emitState(rec, undefined);
    }
    for (const id of ids) {
      const rec = this.#records.get(id) as TaskRecord;
      if (rec.state !== 'PENDING') continue;
      let waiting = 0;
      let upstreamFailed: string | undefined;
      for (const d of rec.deps) {
        const ds = this.#records.get(d)?.state;
        if (ds === 'DONE') continue;
        if (ds === 'FAILED' || ds === 'UPSTREAM_FAILED' || ds === 'CANCELLED') upstreamFailed ??= d;
        waiting++;
      }
      if (upstreamFailed) this.#settle(id, 'UPSTREAM_FAILED', undefined, upstreamFailed);
      else if (this.#cancelled) this.#settle(id, 'CANCELLED');
      else if (waiting === 0) this.#enqueue(rec);
      else this.#waitingOn.set(id, waiting);
    }
  }

  #enqueue(rec: TaskRecord): void {
    this.#ready.push(rec.id, taskOptions(rec.task).priority);
  }

  #pump(): void {
    while (this.#slots.free) {
      if (this.#slots.resumeNext()) continue;
      if (this.#cancelled) return;
      const id = this.#ready.take((x) => this.#resources.fits(this.#optionsOf(x).resources));
      if (id === undefined) return;
      this.#start(this.#records.get(id) as TaskRecord);
    }
  }

  #optionsOf(id: string): ReturnType<typeof taskOptions> {
    return taskOptions((this.#records.get(id) as TaskRecord).task);
  }

  #start(rec: TaskRecord): void {
    const opts = taskOptions(rec.task);
    this.#slots.take();
    this.#resources.acquire(opts.resources);
    rec.attempts++;
    // On an executor that queues, the task waits for a worker first: QUEUED until one starts it.
    const queued = this.#executorOf(rec)?.queues === true;
    if (!queued) rec.startedAt ??= Date.now();
    const ctl = new AttemptAbort();
    this.#running.set(rec.id, ctl);
    const prev = rec.state;
    rec.state = queued ? 'QUEUED' : 'RUNNING';
    this.#emitState(rec, prev);
    let timer: NodeJS.Timeout | undefined;
    if (opts.timeout !== undefined) {
      timer = setTimeout(() => ctl.abort(new NectarError('TIMEOUT', `${rec.task} timed out after ${opts.timeout} ms`)), opts.timeout);
    }
    const release = (): void => {
      if (timer) clearTimeout(timer);
      this.#running.delete(rec.id);
      this.#resources.release(opts.resources);
      this.#slots.release(ctl);
    };
    this.#execute(rec, ctl).then(
      () => {
        release();
        this.#settle(rec.id, 'DONE');
        this.#pump();
      },
      (err: unknown) => {
        release();
        this.#failed(rec, err, ctl);
        this.#pump();
      },
    );
  }

  #execute(rec: TaskRecord, ctl: AttemptAbort): Promise<void> {
    const { events, runId, shared } = this.#o;
    const hooks: AttemptHooks = {
      abort: ctl,
      onLog: (line) => {
        if (events.hasListeners('task:log')) events.emit('task:log', { runId, taskId: rec.id, line });
      },
      require: (tasks) => this.#requireDynamic(rec, ctl, tasks),
      onStarted: () => {
        if (rec.state !== 'QUEUED' || this.#running.get(rec.id) !== ctl) return;
        rec.startedAt ??= Date.now();
        rec.state = 'RUNNING';
        this.#emitState(rec, 'QUEUED');
      },
    };
    return shared ? shared.join(rec.id, hooks, (h) => this.#attempt(rec, h)) : this.#attempt(rec, hooks);
  }

  #kindOf(rec: TaskRecord): ExecutorKind {
    return taskOptions(rec.task).executor ?? this.#o.executor ?? 'inprocess';
  }

  #executorOf(rec: TaskRecord): Executor | undefined {
    return this.#o.executors[this.#kindOf(rec)];
  }

  #attempt(rec: TaskRecord, hooks: AttemptHooks): Promise<void> {
    const kind = this.#kindOf(rec);
    const executor = this.#o.executors[kind];
    if (!executor) return Promise.reject(new NectarError('BAD_TASK_DEFINITION', `${rec.task} wants the '${kind}' executor, which this run does not have`));
    const { events, runId, store } = this.#o;
    const wantsLog = events.hasListeners('task:log');
    return executor.execute({ runId, task: rec.task, attempt: rec.attempts, store, abort: hooks.abort, onLog: hooks.onLog, wantsLog, require: hooks.require, onStarted: hooks.onStarted });
  }

  #failed(rec: TaskRecord, err: unknown, ctl: AttemptAbort): void {
    const opts = taskOptions(rec.task);
    const error = serializeError(err);
    // A task that threw a plain Error failed as a task: the code the error table promises.
    error.code ??= 'TASK_FAILED';
    const cancelled = this.#cancelled || (ctl.reason as NectarError | undefined)?.code === 'CANCELLED';
    if (cancelled) {
      this.#settle(rec.id, 'CANCELLED', error);
      return;
    }
    if (rec.attempts <= opts.retries && !isNonRetryable(err)) {
      const delayMs = retryDelayFor(opts, rec.attempts);
      this.#o.events.emit('task:retry', { runId: this.#o.runId, taskId: rec.id, attempt: rec.attempts, delayMs, error, at: Date.now() });
      rec.state = 'PENDING';
      this.#emitState(rec, 'RUNNING', error);
      const t = setTimeout(() => {
        this.#retryTimers.delete(t);
        if (this.#cancelled) return;
        this.#enqueue(rec);
        this.#pump();
      }, delayMs);
      this.#retryTimers.add(t);
      return;
    }
    this.#settle(rec.id, 'FAILED', error);
  }

  /** Move a task to a terminal state and let its dependants know. */
  #settle(id: string, state: TaskState, error?: SerializedError, cause?: string): void {
    const rec = this.#records.get(id) as TaskRecord;
    if (isTerminal(rec.state)) return;
    const prev = rec.skipped && state === 'DONE' ? undefined : rec.state;
    rec.state = state;
    rec.endedAt = Date.now();
    if (error) rec.error = error;
    if (state === 'FAILED') this.#failures.push(rec);
    this.#open--;
    this.#waitingOn.delete(id);
    this.#emitState(rec, prev, error, cause);
    const dependants = this.dag.graph.successors(id) ?? [];
    if (state === 'DONE') {
      for (const d of dependants) {
        const n = this.#waitingOn.get(d);
        if (n === undefined) continue;
        if (n <= 1) {
          this.#waitingOn.delete(d);
          this.#enqueue(this.#records.get(d) as TaskRecord);
        } else this.#waitingOn.set(d, n - 1);
      }
    } else {
      // Iterative, so a 100,000-deep chain does not overflow the stack.
      const stack = [...dependants];
      while (stack.length > 0) {
        const d = stack.pop() as string;
        const r = this.#records.get(d);
        if (!r || r.state !== 'PENDING' || this.#running.has(d)) continue;
        r.state = state === 'CANCELLED' ? 'CANCELLED' : 'UPSTREAM_FAILED';
        r.endedAt = Date.now();
        this.#open--;
        this.#waitingOn.delete(d);
        this.#emitState(r, 'PENDING', undefined, cause ?? id);
        stack.push(...(this.dag.graph.successors(d) ?? []));
      }
    }
    this.#notifyWaiters();
    this.#checkDone();
  }

  #emitState(rec: TaskRecord, previous: TaskState | undefined, error?: SerializedError, cause?: string): void {
    const { events, runId } = this.#o;
    if (!events.hasListeners('task:state')) return;
    const payload: Parameters<typeof events.emit<'task:state'>>[1] = { runId, taskId: rec.id, state: rec.state, previous, at: Date.now(), attempt: rec.attempts };
    if (rec.skipped) payload.skipped = true;
    if (error) payload.error = error;
    if (cause) payload.cause = cause;
    events.emit('task:state', payload);
  }

  /** ctx.require(): add the tasks to the DAG, free the caller's slot while they run, resume when all are DONE. */
  async #requireDynamic(requester: TaskRecord, ctl: AttemptAbort, tasks: readonly AnyTask[]): Promise<void> {
    const ids = new Set(tasks.map((t) => t.id));
    const added = await this.dag.expand(tasks);
    // Edges for the picture of the run; the requester is running, so they gate nothing.
    for (const id of ids) {
      if (!this.dag.graph.hasEdge(id, requester.id)) {
        this.dag.graph.setEdge(id, requester.id);
        requester.deps.push(id);
      }
    }
    this.#admit(added);
    this.#slots.park(ctl, this.#running.get(requester.id) === ctl);
    const wait = this.#dynamic.wait(ids);
    this.#notifyWaiters();
    this.#pump();
    let error: unknown;
    try {
      await wait;
    } catch (e) {
      error = e;
    }
    // The attempt ended while it waited: its slot is given back already, nothing to resume.
    if (!(await this.#slots.unpark(ctl, () => this.#pump()))) throw error ?? ctl.reason ?? new NectarError('CANCELLED', 'the attempt ended');
    if (error) throw error;
  }

  #notifyWaiters(): void {
    this.#dynamic.notify((id) => this.#records.get(id)?.state);
  }

  #checkDone(): void {
    if (this.#open === 0 && this.#finish) {
      const f = this.#finish;
      this.#finish = undefined;
      f();
    }
  }
}
