import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { checkComplete, outputKeys } from '../core/binding';
import { NectarError } from '../core/errors';
import { EventBus } from '../core/events';
import type { Executor } from '../core/executor';
import type { ExecutorKind, StalePolicy } from '../core/options';
import type { SettingValue } from '../core/settings';
import type { TargetStore } from '../core/target';
import { type AnyTask, optionsOf } from '../core/task';
import { Dag } from '../dag/graph';
import type { BullMQExecutor } from '../distributed/executor';
import type { Supervisor, SupervisorOptions } from '../distributed/supervisor';
import type { NectarWorker, WorkerOptions } from '../distributed/worker';
import type { DiscoveredTask, Registry } from '../discovery/registry';
import { type RunResult, Scheduler, stalePolicyOf, withFreshness } from '../scheduler/scheduler';
import { SharedExecutions } from '../scheduler/shared';
import type { RunStore } from '../store/types';
import { type ComposeOptions, type Composition, type Stoppable, compose } from './compose';
import type { NectarConfig } from './config';
import type { Executors, TaskLookup } from './executors';
import { Freshness, type FreshnessOptions } from './freshness';
import type { Webhooks } from './webhooks';

export interface RunOptions {
  workers?: number;
  executor?: ExecutorKind;
  signal?: AbortSignal;
  runId?: string;
  resources?: Readonly<Record<string, number>>;
  /** Ids of tasks the caller has just found incomplete: not looked at again (a run manager checks its root before it starts a run). */
  knownIncomplete?: ReadonlySet<string>;
  /** What happens to stale tasks whose class does not choose (default `rebuild`). */
  stale?: StalePolicy;
}

/** One line of `nectar plan`. */
export interface PlanEntry {
  readonly id: string;
  readonly task: string;
  /**
   * `complete`: outputs exist and are not stale (its requirements are not looked at); `run`:
   * would run; `stale`: outputs exist but are stale (`reasons`), and `policy` says what a run does.
   */
  readonly action: 'complete' | 'run' | 'stale';
  readonly outputs: readonly string[];
  readonly reasons?: readonly string[];
  readonly policy?: StalePolicy;
}

export interface RuntimeOptions extends ComposeOptions {
  registry?: Registry;
  /**
   * Where chain settings are read instead of the environment (the test kit's fakes: then
   * they are the only values). Worker processes get `childEnv` on top of theirs.
   */
  settingsEnv?: Readonly<Record<string, string>>;
  /** More environment for worker processes (the test kit's fake settings). */
  childEnv?: Readonly<Record<string, string>>;
}

/**
 * One process's parts (from the composition root), discovery's registry and the event bus,
 * as services: the CLI, the API and the test kit are thin layers over it.
 */
export class Runtime {
  readonly config: NectarConfig;
  #registry: Registry;
  readonly #instances = new Map<string, AnyTask>();
  #discoveredAt = 0;
  readonly #customRegistry: boolean;
  readonly #parts: Composition;
  readonly #settingsEnv: Readonly<Record<string, string>> | undefined;
  readonly store: TargetStore;
  readonly events: EventBus;
  readonly logger: Logger;
  /** Executions in flight across runs: the same task id runs once. */
  readonly shared = new SharedExecutions();
  readonly #executors: Executors;
  /** This process, as distributed workers address it. */
  readonly serverId = randomUUID();
  /** How executors and workers find tasks and their settings: through this runtime's registry. */
  readonly #lookup: TaskLookup = {
    locate: (cls) => this.registry.byClass(cls),
    instantiate: (r) => this.instantiate(`${r.type}/${r.chain}/${r.name}`, r.params),
    settingsOf: (t) => this.settingsOf(t),
  };

  constructor(o: RuntimeOptions = {}) {
    this.#parts = compose(o);
    this.config = this.#parts.config;
    this.logger = this.#parts.logger;
    this.store = this.#parts.targets;
    this.events = new EventBus((err, event) => this.logger.error({ err, event }, 'event listener threw'));
    this.#customRegistry = o.registry !== undefined;
    this.#settingsEnv = o.settingsEnv;
    this.#executors = this.#parts.executors(this.#lookup, { serverId: this.serverId, ...(o.childEnv ? { childEnv: o.childEnv } : {}) });
    this.#registry = o.registry ?? this.#discover();
  }

  /** What discovery found (see `rediscover`). */
  get registry(): Registry {
    return this.#registry;
  }

  #discover(): Registry {
    const reg = this.#parts.discover(this.config.chains, this.#settingsEnv ? { env: this.#settingsEnv } : {});
    this.#discoveredAt = Date.now();
    for (const p of reg.problems) this.logger.warn({ path: p.path, error: p.error?.message }, `chain discovery: ${p.reason}`);
    return reg;
  }

  /**
   * Scan the chains folder again, so that a chain file added while the server runs gets its
   * endpoints with no restart. At most once per `minIntervalMs`. Files already loaded keep
   * their module (a changed file needs a restart: Node does not unload modules).
   */
  rediscover(minIntervalMs = 1000): boolean {
    if (this.#customRegistry || Date.now() - this.#discoveredAt < minIntervalMs) return false;
    const before = new Set(this.#registry.tasks.map((t) => t.ref));
    this.#registry = this.#discover();
    return this.#registry.tasks.some((t) => !before.has(t.ref));
  }

  /** Check the target store can be used (S3: the bucket exists and the credentials reach it). */
  async checkTargets(): Promise<void> {
    await this.#parts.checkTargets();
  }

  /** A task instance from a reference and raw (string or typed) parameters. */
  instantiate(ref: string, params: Readonly<Record<string, unknown>> = {}): AnyTask {
    return this.instantiateFrom(this.resolve(ref), params);
  }

  /** Find a task by reference; an unknown one triggers a fresh scan of the chains folder first. */
  resolve(ref: string): DiscoveredTask {
    try {
      return this.#registry.resolve(ref);
    } catch (err) {
      if ((err as NectarError).code === 'UNKNOWN_TASK' && this.rediscover()) return this.#registry.resolve(ref);
      throw err;
    }
  }

  instantiateFrom(found: DiscoveredTask, params: Readonly<Record<string, unknown>>): AnyTask {
    // Tasks are immutable, so the same request can share one instance: an API polled for the
    // same task does not normalise and hash its parameters on every call. Bounded; oldest out.
    const key = `${found.ref}\n${JSON.stringify(params)}`;
    let task = this.#instances.get(key);
    if (!task || task.constructor !== found.cls) {
      task = this.#registry.instantiate(found, params);
      if (this.#instances.size >= 10_000) this.#instances.delete(this.#instances.keys().next().value as string);
      this.#instances.set(key, task);
    }
    return task;
  }

  /** The settings a task sees (`ctx.settings`), from this runtime's registry; BAD_CONFIG when they are bad. */
  settingsOf(task: AnyTask): Readonly<Record<string, SettingValue>> {
    return this.#registry.settingsOf(task);
  }

  /** Executors by kind; the process pool starts on first use. */
  executors(workers: number): Partial<Record<ExecutorKind, Executor>> {
    return this.#executors.byKind(workers);
  }

  /** The BullMQ executor (distributed mode), made on first use; needs NECTAR_REDIS_URL. */
  distributed(): BullMQExecutor {
    return this.#executors.distributed();
  }

  /** A distributed worker (`nectar worker`) over this runtime's chains and targets; needs NECTAR_REDIS_URL. */
  worker(o: WorkerOptions = {}): NectarWorker {
    return this.#parts.worker(this.#lookup, o);
  }

  /** The supervisor of `nectar worker --autoscale`; needs NECTAR_REDIS_URL. */
  supervisor(o: Omit<SupervisorOptions, 'url' | 'prefix'>): Supervisor {
    return this.#parts.supervisor(o);
  }

  /** A server's run store, as the configuration selects (SQLite, or Redis in distributed mode). */
  openRunStore(): RunStore {
    return this.#parts.openRunStore();
  }

  /** Run notifications as configured. */
  webhooks(): Webhooks {
    return this.#parts.webhooks();
  }

  /** A server's background housekeeping (S3: stale multipart uploads aborted); undefined when there is none. */
  startHousekeeping(): Stoppable | undefined {
    return this.#parts.startHousekeeping();
  }

  /** A staleness check over this runtime's targets, for one run or plan: upstream versions as discovery knows them today. */
  freshness(o: FreshnessOptions = {}): Freshness {
    const versions = new Map<string, string | null>();
    for (const t of this.#registry.tasks) versions.set(t.ref, optionsOf(t.cls).version ?? null);
    return new Freshness(this.store, (key) => versions.get(key), o);
  }

  async run(roots: AnyTask | readonly AnyTask[], o: RunOptions = {}): Promise<RunResult> {
    const workers = o.workers ?? this.config.workers;
    const runId = o.runId ?? randomUUID();
    const s = new Scheduler({
      runId,
      store: this.store,
      events: this.events,
      executors: this.executors(workers),
      executor: o.executor ?? this.config.executor,
      workers,
      resources: { ...this.config.resources, ...o.resources },
      signal: o.signal,
      shared: this.shared,
      knownIncomplete: o.knownIncomplete,
      freshness: this.freshness({ runId }),
      stale: o.stale,
    });
    return s.run(Array.isArray(roots) ? roots : [roots as AnyTask]);
  }

  /** What exists, what is stale and what would run, without running anything (`stale`: the run's policy, as `run` takes it). */
  async plan(root: AnyTask, o: { stale?: StalePolicy } = {}): Promise<PlanEntry[]> {
    // A plan reads every lineage upstream: it is the tool for asking why.
    const freshness = this.freshness({ exact: true });
    const stale = new Map<string, readonly string[]>();
    // A stale task to rebuild is expanded as a run would: what it needs is planned too.
    const dag = new Dag(withFreshness((tasks) => checkComplete(tasks, this.store), freshness, o.stale, stale));
    await dag.expand([root], true);
    return dag.topoOrder().map((id): PlanEntry => {
      const t = dag.node(id).task;
      const base = { id, task: t.toString(), outputs: outputKeys(t) };
      const reasons = stale.get(id);
      if (reasons) return { ...base, action: 'stale', reasons, policy: stalePolicyOf(t, o.stale) };
      return { ...base, action: dag.complete.has(id) ? 'complete' : 'run' };
    });
  }

  /** The whole DAG under a root, completeness not looked at. */
  async graph(root: AnyTask): Promise<Dag> {
    const dag = new Dag();
    await dag.expand([root], true);
    return dag;
  }

  async close(): Promise<void> {
    await this.#executors.close();
  }
}
