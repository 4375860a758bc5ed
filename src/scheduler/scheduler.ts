import { checkComplete, deleteOutputs } from '../core/binding';
import { NectarError, serializeError, type SerializedError } from '../core/errors';
import { AttemptAbort } from '../core/executor';
import type { StalePolicy } from '../core/options';
import { type FINISHED_TASK_STATES, isFailedLike, isTerminal } from '../core/states';
import { type AnyTask, taskOptions } from '../core/task';
import { type CompletenessCheck, Dag } from '../dag/graph';
import { attempt, executorKind } from './attempt';
import { DynamicRequirements } from './dynamic';
import { FailurePropagation, afterFailure } from './failures';
import { ReadyQueue } from './ready-queue';
import { TaskRecords } from './records';
import { runResult } from './result';
import { Slots } from './slots';
import type { AttemptHooks } from './shared';
import type { FreshnessHook, RunResult, SchedulerOptions, TaskRecord } from './types';
import type { TargetStore } from '../core/target';

export type { RunResult, SchedulerOptions, TaskRecord } from './types';

/** Which tasks are complete, taking those the caller has just found incomplete as they are. */
function completeness(store: TargetStore, known: ReadonlySet<string> | undefined): CompletenessCheck {
  if (!known || known.size === 0) return (tasks) => checkComplete(tasks, store);
  return async (tasks) => {
    const ask = tasks.filter((t) => !known.has(t.id));
    const answers = ask.length > 0 ? await checkComplete(ask, store) : [];
    let i = 0;
    return tasks.map((t) => (known.has(t.id) ? false : (answers[i++] ?? false)));
  };
}

/** What a run does with a stale task: its class's choice, else the run's. */
export function stalePolicyOf(task: AnyTask, run: StalePolicy | undefined): StalePolicy {
  return taskOptions(task).stale ?? run ?? 'rebuild';
}

/**
 * Completeness with freshness: complete tasks that are stale are noted in `stale`, and those
 * to rebuild (by their class's policy, else `policy`) count as incomplete, so the DAG expands
 * them and they run. What a run and `nectar plan` both resolve the DAG with.
 */
export function withFreshness(check: CompletenessCheck, freshness: FreshnessHook | undefined, policy: StalePolicy | undefined, stale: Map<string, readonly string[]>): CompletenessCheck {
  if (!freshness) return check;
  return async (tasks) => {
    const done = await check(tasks);
    const complete = tasks.filter((_, i) => done[i]);
    if (complete.length === 0) return done;
    const found = await freshness.stale(complete);
    if (found.size === 0) return done;
    return tasks.map((t, i) => {
      const why = found.get(t.id);
      if (!why) return done[i] ?? false;
      stale.set(t.id, why);
      return stalePolicyOf(t, policy) !== 'rebuild';
    });
  };
}

/**
 * The run loop: resolves the DAG (complete tasks skipped and not expanded), runs the rest in
 * dependency order with bounded concurrency, resource limits and priorities, retries with
 * backoff, times attempts out, and propagates failures as UPSTREAM_FAILED while independent
 * branches go on. Every state change goes through the transition table (TaskRecords) and is
 * an event.
 */
export class Scheduler {
  readonly dag: Dag;
  readonly #o: SchedulerOptions;
  readonly #records: TaskRecords;
  readonly #waitingOn = new Map<string, number>();
  readonly #ready = new ReadyQueue();
  /** Attempts running: task id -> its abort controller. */
  readonly #running = new Map<string, AttemptAbort>();
  readonly #slots: Slots;
  readonly #dynamic: DynamicRequirements;
  readonly #propagation: FailurePropagation;
  readonly #retryTimers = new Set<NodeJS.Timeout>();
  /** Complete tasks found stale, and why. */
  readonly #stale = new Map<string, readonly string[]>();
  #cancelled = false;
  #finish: (() => void) | undefined;
  /** Whether a ready task's resources are free now: made once, not per pick. */
  readonly #fits = (id: string): boolean => this.#slots.fits(taskOptions(this.#records.get(id).task).resources);

  constructor(o: SchedulerOptions) {
    this.#o = o;
    this.#records = new TaskRecords(o.events, o.runId);
    this.#slots = new Slots(Math.max(1, o.workers ?? 8), o.resources ?? {});
    this.dag = new Dag(withFreshness(completeness(o.store, o.knownIncomplete), o.freshness, o.stale, this.#stale));
    this.#dynamic = new DynamicRequirements({
      dag: this.dag,
      slots: this.#slots,
      admit: (ids) => this.#admit(ids),
      holds: (id, ctl) => this.#running.get(id) === ctl,
      pump: () => this.#pump(),
      stateOf: (id) => this.#records.byId.get(id)?.state,
    });
    this.#propagation = new FailurePropagation(this.dag.graph, this.#records, this.#running, this.#waitingOn);
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
        if (this.#records.open > 0) await finished;
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      for (const t of this.#retryTimers) clearTimeout(t);
    }
    const result = runResult({ runId, rootIds, records: this.#records.byId, failures: this.#records.failures, cancelled: this.#cancelled, error, durationMs: performance.now() - t0 });
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
    for (const r of this.#records.byId.values()) if (r.state === 'PENDING' && !this.#running.has(r.id)) this.#settle(r.id, 'CANCELLED');
    this.#checkDone();
  }

  /** New DAG nodes enter the run: complete ones DONE (skipped), the rest PENDING. */
  #admit(ids: readonly string[]): void {
    const { events, runId } = this.#o;
    const announce = events.hasListeners('task:added');
    for (const id of ids) {
      const node = this.dag.node(id);
      // Its state comes from NEW in the loop below (PENDING, or DONE when skipped); a placeholder till then.
      const rec: TaskRecord = { id, task: node.task, state: 'PENDING', skipped: false, attempts: 0, deps: node.deps ?? [] };
      const stale = this.#stale.get(id);
      if (stale) rec.stale = stale;
      this.#records.add(rec);
      if (announce) events.emit('task:added', { runId, taskId: id, name: node.task.constructor.name, params: node.task.params, deps: rec.deps, at: Date.now(), ...(stale ? { stale } : {}) });
    }
    for (const id of ids) {
      const rec = this.#records.get(id);
      if (this.dag.complete.has(id)) {
        if (rec.stale && stalePolicyOf(rec.task, this.#o.stale) === 'fail') {
          const err = new NectarError('STALE', `${rec.task} is stale: ${rec.stale.join('; ')}`, { reasons: [...rec.stale] });
          this.#settle(id, 'FAILED', serializeError(err), undefined, 'NEW');
          continue;
        }
        rec.skipped = true;
        this.#settle(id, 'DONE');
        continue;
      }
      this.#records.transition(rec, 'PENDING', undefined, undefined, 'NEW');
    }
    for (const id of ids) {
      const rec = this.#records.get(id);
      if (rec.state !== 'PENDING') continue;
      let waiting = 0;
      let upstreamFailed: string | undefined;
      for (const d of rec.deps) {
        const ds = this.#records.byId.get(d)?.state;
        if (ds === 'DONE') continue;
        if (ds !== undefined && isFailedLike(ds)) upstreamFailed ??= d;
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
      const id = this.#ready.take(this.#fits);
      if (id === undefined) return;
      const rec = this.#records.get(id);
      // One queued for its retry may have been stranded meanwhile (a dynamic requirement of it failed).
      if (rec.state === 'PENDING') this.#start(rec);
    }
  }

  #start(rec: TaskRecord): void {
    const opts = taskOptions(rec.task);
    this.#slots.take(opts.resources);
    rec.attempts++;
    // On an executor that queues, the task waits for a worker first: QUEUED until one starts it.
    const queued = this.#o.executors[executorKind(rec, this.#o)]?.queues === true;
    if (!queued) rec.startedAt ??= Date.now();
    const ctl = new AttemptAbort();
    this.#running.set(rec.id, ctl);
    this.#records.transition(rec, queued ? 'QUEUED' : 'RUNNING');
    let timer: NodeJS.Timeout | undefined;
    if (opts.timeout !== undefined) {
      timer = setTimeout(() => ctl.abort(new NectarError('TIMEOUT', `${rec.task} timed out after ${opts.timeout} ms`)), opts.timeout);
    }
    const release = (): void => {
      if (timer) clearTimeout(timer);
      this.#running.delete(rec.id);
      this.#slots.release(ctl, opts.resources);
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
      require: (tasks) => this.#dynamic.require(rec, ctl, tasks),
      onStarted: () => {
        if (rec.state !== 'QUEUED' || this.#running.get(rec.id) !== ctl) return;
        rec.startedAt ??= Date.now();
        this.#records.transition(rec, 'RUNNING');
      },
    };
    // A stale task is rebuilt from nothing: an output its new run() would not write is not left over from the old one.
    const run = (h: AttemptHooks): Promise<void> => (rec.stale && rec.attempts === 1 ? deleteOutputs(rec.task, this.#o.store).then(() => attempt(this.#o, rec, h)) : attempt(this.#o, rec, h));
    return shared ? shared.join(rec.id, hooks, run) : run(hooks);
  }

  /** An attempt failed: the task ends CANCELLED or FAILED, or waits for its retry. */
  #failed(rec: TaskRecord, err: unknown, ctl: AttemptAbort): void {
    const { to, error, delayMs } = afterFailure(rec, err, ctl, this.#cancelled);
    if (to !== 'PENDING') return this.#settle(rec.id, to, error);
    this.#o.events.emit('task:retry', { runId: this.#o.runId, taskId: rec.id, attempt: rec.attempts, delayMs, error, at: Date.now() });
    this.#records.transition(rec, 'PENDING', error);
    const t = setTimeout(() => {
      this.#retryTimers.delete(t);
      if (this.#cancelled) return;
      this.#enqueue(rec);
      this.#pump();
    }, delayMs);
    this.#retryTimers.add(t);
  }

  /** Move a task to a terminal state and let its dependants know. */
  #settle(id: string, state: (typeof FINISHED_TASK_STATES)[number], error?: SerializedError, cause?: string, from?: 'NEW'): void {
    const rec = this.#records.get(id);
    if (isTerminal(rec.state)) return;
    this.#waitingOn.delete(id);
    this.#records.end(rec, state, error, cause, from ?? (rec.skipped && state === 'DONE' ? 'NEW' : rec.state));
    const dependants = this.dag.graph.successors(id) ?? [];
    if (state === 'DONE') {
      for (const d of dependants) {
        const n = this.#waitingOn.get(d);
        if (n === undefined) continue;
        if (n <= 1) {
          this.#waitingOn.delete(d);
          this.#enqueue(this.#records.get(d));
        } else this.#waitingOn.set(d, n - 1);
      }
    } else this.#propagation.downstream(id, state, cause, dependants);
    this.#dynamic.notify();
    this.#checkDone();
  }

  #checkDone(): void {
    if (this.#records.open === 0 && this.#finish) {
      const f = this.#finish;
      this.#finish = undefined;
      f();
    }
  }
}
