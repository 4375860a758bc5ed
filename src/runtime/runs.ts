import { randomUUID } from 'node:crypto';
import { checkComplete } from '../core/binding';
import { NectarError, serializeError } from '../core/errors';
import { ACTIVE_RUN_STATES, isActiveRun } from '../core/states';
import type { AnyTask } from '../core/task';
import type { DiscoveredTask } from '../discovery/registry';
import type { StalePolicy } from '../core/options';
import { type RunResult, stalePolicyOf } from '../scheduler/scheduler';
import type { RunRow, RunStore, RunTrigger } from '../store/types';
import { LiveLogs } from './live-logs';
import { Recorder } from './recorder';
import type { Runtime } from './runtime';
import type { Webhooks } from './webhooks';

/** What submitting a task gives back. */
export interface Submitted {
  readonly task: AnyTask;
  readonly found: DiscoveredTask;
  /** Undefined when the task was already complete (no run was needed). */
  readonly runId: string | undefined;
  /** True when this call started the run; false when it joined one in flight or found the task complete. */
  readonly created: boolean;
  readonly complete: boolean;
}

/** What a RunManager can be given instead of its defaults. */
export interface RunManagerOptions {
  /** Told when each run ends; default: the webhooks the configuration names. */
  webhooks?: Webhooks;
}

interface Active {
  readonly run: RunRow;
  readonly abort: AbortController;
  readonly done: Promise<void>;
}

/**
 * Starts runs in the background for the API, records them, and keeps what is in flight:
 * asking again for a root task that is already running joins that run (one execution).
 */
export class RunManager {
  readonly recorder: Recorder;
  /** Log lines of the tasks running now, for the log route. */
  readonly liveLogs: LiveLogs;
  /** Told when each run ends (run notifications); closed with the manager. */
  readonly webhooks: Webhooks;
  readonly #active = new Map<string, Active>();
  readonly #byRoot = new Map<string, string>();
  #beat: NodeJS.Timeout | undefined;
  /** Distributed mode, stopping: runs in flight are left for another server to adopt, not ended. */
  #detached = false;

  constructor(
    private readonly rt: Runtime,
    readonly store: RunStore,
    o: RunManagerOptions = {},
  ) {
    this.webhooks = o.webhooks ?? rt.webhooks();
    this.recorder = new Recorder(store, rt.events, (err) => rt.logger.error({ err }, 'run store write failed'));
    this.liveLogs = new LiveLogs(rt.events);
  }

  /**
   * At start-up. One server (SQLite): runs it left in flight are marked interrupted (they can
   * be retried). Distributed (a shared store and BullMQ): this server heartbeats, adopts the
   * runs in flight whose server stopped heartbeating and carries them on (their tasks still
   * queued or running on workers are joined, not run again), and keeps looking for such runs.
   */
  async recover(): Promise<string[]> {
    if (this.#distributed()) {
      await this.#heartbeat();
      const every = this.rt.config.heartbeatInterval;
      this.#beat = setInterval(() => {
        void this.#heartbeat()
          .then(() => this.adoptOrphans())
          .catch((err: unknown) => this.rt.logger.warn({ err }, 'heartbeat or adoption failed'));
      }, every);
      this.#beat.unref();
      return this.adoptOrphans();
    }
    const ids = await this.store.markInterrupted(Date.now());
    if (ids.length > 0) this.rt.logger.warn({ runs: ids }, `${ids.length} run(s) were in flight when the server stopped: marked FAILED (interrupted)`);
    return ids;
  }

  #distributed(): boolean {
    return this.rt.config.executor === 'bullmq' && this.store.claimRun !== undefined && this.store.heartbeat !== undefined;
  }

  async #heartbeat(): Promise<void> {
    await this.store.heartbeat?.(this.rt.serverId, this.rt.config.heartbeatInterval * 3);
  }

  /** Distributed mode: take over the runs in flight of servers that stopped; returns their ids. */
  async adoptOrphans(): Promise<string[]> {
    if (!this.store.claimRun || !this.store.liveOwners) return [];
    const live = await this.store.liveOwners();
    const orphans: RunRow[] = [];
    for (const state of ACTIVE_RUN_STATES) {
      for (let offset = 0; ; offset += 500) {
        const page = await this.store.listRuns({ state, limit: 500, offset });
        orphans.push(...page.runs.filter((r) => !this.#active.has(r.id) && !(r.owner !== undefined && live.has(r.owner))));
        if (page.runs.length < 500) break;
      }
    }
    const adopted: string[] = [];
    for (const run of orphans) {
      if (!(await this.store.claimRun(run.id, this.rt.serverId))) continue;
      let found: DiscoveredTask;
      let task: AnyTask;
      try {
        found = this.rt.resolve(run.ref);
        task = this.rt.instantiateFrom(found, run.params);
      } catch (err) {
        this.rt.logger.error({ err, runId: run.id }, 'cannot adopt a run: its task is not known here');
        continue;
      }
      this.rt.logger.warn({ runId: run.id, from: run.owner ?? null }, 'adopted a run whose server stopped: carrying it on');
      await this.#start(task, found, run);
      adopted.push(run.id);
    }
    return adopted;
  }

  /** Every task of the runs in flight in this server, with its run: what an invalidation must not touch. */
  inFlightTasks(): Map<string, string> {
    const out = new Map<string, string>();
    for (const runId of this.#active.keys()) for (const t of this.recorder.activeTasks(runId) ?? []) out.set(t.taskId, runId);
    return out;
  }

  get activeCount(): number {
    return this.#active.size;
  }

  /** The run in flight for a root task id, if any. */
  runOfRoot(taskId: string): string | undefined {
    return this.#byRoot.get(taskId);
  }

  isActive(runId: string): boolean {
    return this.#active.has(runId);
  }

  activeRun(runId: string): RunRow | undefined {
    return this.#active.get(runId)?.run;
  }

  /**
   * Start (or join) a run of a task with raw parameters; validation errors are thrown as
   * NectarErrors. `stale`: the run's stale policy (a complete root that is stale is run again
   * unless the policy keeps it).
   */
  async submit(found: DiscoveredTask, params: Readonly<Record<string, unknown>>, o: { stale?: StalePolicy } = {}): Promise<Submitted> {
    const task = this.rt.instantiateFrom(found, params);
    const { joined, complete, stale } = await this.#needed(task, o.stale);
    if (joined) return { task, found, runId: joined, created: false, complete: false };
    if (complete) return { task, found, runId: undefined, created: false, complete: true };
    return { task, found, runId: await this.#start(task, found, undefined, undefined, { stale: o.stale, rootStale: stale }), created: true, complete: false };
  }

  /**
   * Whether a root needs a run: the run in flight it would join, or whether its outputs exist
   * and are fresh (looked at once, the run map again after). `stale`: complete but stale.
   */
  async #needed(task: AnyTask, policy?: StalePolicy): Promise<{ joined: string | undefined; complete: boolean; stale: boolean }> {
    const joined = this.#byRoot.get(task.id);
    if (joined) return { joined, complete: false, stale: false };
    const [complete = false] = await checkComplete([task], this.rt.store);
    const stale = complete && stalePolicyOf(task, policy) !== 'keep' && (await this.rt.freshness().stale([task])).has(task.id);
    return { joined: this.#byRoot.get(task.id), complete: complete && !stale, stale };
  }

  /**
   * Start the run of a trigger (a schedule's tick) under an id chosen beforehand. Every tick
   * leaves a run behind: one whose task is complete, or already running, is recorded as a
   * SKIPPED run (with the run it would have joined), one whose parameters are refused as a
   * FAILED run saying why.
   */
  async fire(found: DiscoveredTask, params: () => Readonly<Record<string, unknown>>, trigger: RunTrigger, runId: string): Promise<RunRow> {
    const now = Date.now();
    const ended = async (row: RunRow): Promise<RunRow> => {
      await this.store.putRun(row);
      return row;
    };
    let task: AnyTask;
    try {
      task = this.rt.instantiateFrom(found, params());
    } catch (err) {
      return ended({ id: runId, rootTaskId: found.ref, ref: found.ref, params: {}, state: 'FAILED', createdAt: now, endedAt: now, error: serializeError(err), trigger });
    }
    const skipped = (joined?: string): Promise<RunRow> =>
      ended({ id: runId, rootTaskId: task.id, ref: found.ref, params: task.params, state: 'SKIPPED', createdAt: now, endedAt: now, trigger, ...(joined ? { joined } : {}) });
    const { joined, complete, stale } = await this.#needed(task);
    if (joined || complete) return skipped(joined);
    await this.#start(task, found, undefined, { id: runId, trigger }, { rootStale: stale });
    return this.#active.get(runId)?.run ?? { id: runId, rootTaskId: task.id, ref: found.ref, params: task.params, state: 'QUEUED', createdAt: now, trigger };
  }

  /** Run the same root again (after a failure or cancel): complete tasks are skipped, so it resumes. */
  async retry(runId: string): Promise<Submitted> {
    const run = await this.store.getRun(runId);
    if (!run) throw new NectarError('RUN_NOT_FOUND', `no run ${runId}`);
    if (this.#active.has(runId) || isActiveRun(run.state)) throw new NectarError('RUN_ACTIVE', `run ${runId} is still ${run.state}: cancel it first`);
    if (run.state === 'SUCCEEDED') throw new NectarError('RUN_SUCCEEDED', `run ${runId} succeeded: there is nothing to retry`);
    return this.submit(this.rt.resolve(run.ref), run.params);
  }

  /** Cancel a run in flight: running tasks are aborted, pending ones never start. */
  cancel(runId: string): boolean {
    const a = this.#active.get(runId);
    if (!a) return false;
    a.abort.abort();
    return true;
  }

  /**
   * Start a run of a root task its caller has found incomplete (not looked at again); `adopt`:
   * carry on a run another server left (same id, looked at again); `as`: its id and trigger.
   */
  async #start(task: AnyTask, found: DiscoveredTask, adopt?: RunRow, as?: { id: string; trigger: RunTrigger }, o: { stale?: StalePolicy | undefined; rootStale?: boolean } = {}): Promise<string> {
    const run: RunRow = adopt
      ? { ...adopt, owner: this.rt.serverId }
      : { id: as?.id ?? randomUUID(), rootTaskId: task.id, ref: found.ref, params: task.params, state: 'QUEUED', createdAt: Date.now(), owner: this.rt.serverId, ...(as ? { trigger: as.trigger } : {}) };
    const abort = new AbortController();
    this.#byRoot.set(task.id, run.id);
    this.recorder.track(run);
    // Written while the run starts (not before): its RUNNING row, in the same turn, replaces
    // this one in the store's pending commit, one write instead of two. A store that cannot
    // take it fails the start, and the run is cancelled.
    const written = this.store.putRun({ ...run });
    const off = this.rt.events.on('run:start', (e) => {
      if (e.runId !== run.id) return;
      run.state = 'RUNNING';
      run.startedAt ??= e.at;
      this.store.putRun({ ...run }).catch((err: unknown) => this.rt.logger.error({ err }, 'run store write failed'));
    });
    const done = this.rt
      // A stale root is complete: the run finds it so again, and why, and does what its policy says.
      .run(task, { runId: run.id, signal: abort.signal, ...(o.stale ? { stale: o.stale } : {}), ...(adopt || o.rootStale ? {} : { knownIncomplete: new Set([task.id]) }) })
      .then(
        (result) => (this.#detached ? undefined : this.#ended(run, result)),
        async (err: unknown) => {
          if (this.#detached) return;
          run.state = 'FAILED';
          run.error = serializeError(err);
          run.endedAt = Date.now();
          await this.store.putRun({ ...run });
        },
      )
      .catch((err: unknown) => this.rt.logger.error({ err, runId: run.id }, 'recording the end of a run failed'))
      .finally(() => {
        off();
        this.#active.delete(run.id);
        if (this.#byRoot.get(task.id) === run.id) this.#byRoot.delete(task.id);
        if (!this.#detached) this.webhooks.runEnded({ ...run });
      });
    this.#active.set(run.id, { run, abort, done });
    try {
      await written;
    } catch (err) {
      abort.abort();
      await done;
      throw err;
    }
    return run.id;
  }

  async #ended(run: RunRow, result: RunResult): Promise<void> {
    // The live row ends first, so that no reader sees a finished task in a run still RUNNING
    // while the writes below wait for their commit.
    run.state = result.state;
    run.endedAt = Date.now();
    run.counts = result.counts;
    if (result.error) run.error = result.error;
    else if (result.failures[0]?.error) run.error = result.failures[0].error;
    await this.recorder.finish(result, () => this.store.putRun({ ...run }));
  }

  /** Resolves when the run (if in flight) has ended and been recorded. */
  async settled(runId: string): Promise<void> {
    await this.#active.get(runId)?.done;
  }

  /**
   * Stop. One server: cancel everything in flight and wait for it to be recorded. Distributed:
   * leave runs in flight as they are (their jobs go on on the workers) for another server, or
   * this one restarted, to adopt once this one's heartbeat has expired.
   */
  async close(): Promise<void> {
    clearInterval(this.#beat);
    if (this.#distributed()) {
      this.#detached = true;
      if (this.#active.size > 0) this.rt.logger.warn({ runs: [...this.#active.keys()] }, 'stopping: runs in flight are left for another server to adopt');
    } else {
      const all = [...this.#active.values()];
      for (const a of all) a.abort.abort();
      await Promise.all(all.map((a) => a.done));
    }
    await this.recorder.flush();
    this.recorder.close();
    this.liveLogs.close();
    await this.webhooks.close();
  }
}
