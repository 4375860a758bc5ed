import { randomUUID } from 'node:crypto';
import pino, { type Logger } from 'pino';
import { checkComplete, outputKeys } from '../core/binding';
import { NectarError } from '../core/errors';
import { EventBus } from '../core/events';
import type { Executor } from '../core/executor';
import type { ExecutorKind } from '../core/options';
import type { TargetStore } from '../core/target';
import { type AnyTask, construct } from '../core/task';
import { Dag } from '../dag/graph';
import { discover } from '../discovery/discover';
import type { DiscoveredTask, Registry } from '../discovery/registry';
import { InProcessExecutor } from '../executors/inprocess';
import { BullMQExecutor } from '../distributed/executor';
import { NectarWorker, type WorkerOptions } from '../distributed/worker';
import { ProcessPoolExecutor } from '../executors/process-pool';
import { type RunResult, Scheduler } from '../scheduler/scheduler';
import { SharedExecutions } from '../scheduler/shared';
import { createTargetStore, checkTargetStore } from './targets';
import { type NectarConfig, loadConfig } from './config';

export interface RunOptions {
  workers?: number;
  executor?: ExecutorKind;
  signal?: AbortSignal;
  runId?: string;
  resources?: Readonly<Record<string, number>>;
}

/** One line of `nectar plan`. */
export interface PlanEntry {
  readonly id: string;
  readonly task: string;
  /** `complete`: outputs exist (its requirements are not looked at); `run`: would run. */
  readonly action: 'complete' | 'run';
  readonly outputs: readonly string[];
}

export interface RuntimeOptions {
  config?: NectarConfig;
  registry?: Registry;
  store?: TargetStore;
  logger?: Logger;
  /** More environment for worker processes (the test kit's fake settings). */
  childEnv?: Readonly<Record<string, string>>;
}

/**
 * Configuration, discovery, the target store, executors and the event bus wired into one
 * object; the CLI and the API are thin layers over it.
 */
export class Runtime {
  readonly config: NectarConfig;
  #registry: Registry;
  readonly #instances = new Map<string, AnyTask>();
  #discoveredAt = 0;
  readonly #customRegistry: boolean;
  readonly #childEnv: Readonly<Record<string, string>>;
  readonly store: TargetStore;
  readonly events: EventBus;
  readonly logger: Logger;
  /** Executions in flight across runs: the same task id runs once. */
  readonly shared = new SharedExecutions();
  readonly #inprocess = new InProcessExecutor();
  #pool: ProcessPoolExecutor | undefined;
  #bullmq: BullMQExecutor | undefined;
  /** This process, as distributed workers address it. */
  readonly serverId = randomUUID();

  constructor(o: RuntimeOptions = {}) {
    this.config = o.config ?? loadConfig();
    this.logger = o.logger ?? pino({ level: this.config.logLevel });
    this.events = new EventBus((err, event) => this.logger.error({ err, event }, 'event listener threw'));
    this.store = o.store ?? createTargetStore(this.config);
    this.#customRegistry = o.registry !== undefined;
    this.#childEnv = o.childEnv ?? {};
    this.#registry = o.registry ?? this.#discover();
  }

  /** What discovery found (see `rediscover`). */
  get registry(): Registry {
    return this.#registry;
  }

  #discover(): Registry {
    const reg = discover(this.config.chains, require, { settingsDir: this.config.settingsDir });
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
    await checkTargetStore(this.store);
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
      task = construct(found.cls, params);
      if (this.#instances.size >= 10_000) this.#instances.delete(this.#instances.keys().next().value as string);
      this.#instances.set(key, task);
    }
    return task;
  }

  /** Executors by kind; the process pool starts on first use. */
  executors(workers: number): Partial<Record<ExecutorKind, Executor>> {
    const self = this;
    return {
      inprocess: this.#inprocess,
      get process(): Executor {
        self.#pool ??= new ProcessPoolExecutor({
          size: Math.max(1, Math.min(workers, 64)),
          locate: (cls) => self.registry.byClass(cls),
          instantiate: (r) => self.instantiate(`${r.type}/${r.chain}/${r.name}`, r.params),
          env: {
            NECTAR_TARGETS: self.config.targets,
            NECTAR_CHAINS: self.config.chains,
            NECTAR_ENV: self.config.env,
            NECTAR_SETTINGS_DIR: self.config.settingsDir,
            ...(self.config.bucket ? { NECTAR_BUCKET: self.config.bucket } : {}),
            ...(self.config.s3Endpoint ? { NECTAR_S3_ENDPOINT: self.config.s3Endpoint } : {}),
            ...self.#childEnv,
          },
          logger: self.logger,
        });
        return self.#pool;
      },
      get bullmq(): Executor {
        return self.distributed();
      },
    };
  }

  /** The BullMQ executor (distributed mode), made on first use; needs NECTAR_REDIS_URL. */
  distributed(): BullMQExecutor {
    const url = this.config.redisUrl;
    if (!url) throw new NectarError('BAD_CONFIG', 'distributed execution needs NECTAR_REDIS_URL (e.g. redis://127.0.0.1:6379)');
    this.#bullmq ??= new BullMQExecutor({
      url,
      prefix: this.config.queuePrefix,
      serverId: this.serverId,
      rates: this.config.queueRates,
      locate: (cls) => this.registry.byClass(cls),
      instantiate: (r) => this.instantiate(`${r.type}/${r.chain}/${r.name}`, r.params),
      logger: this.logger,
      checkInterval: this.config.queueCheckInterval,
    });
    return this.#bullmq;
  }

  /** A distributed worker (`nectar worker`) over this runtime's chains and targets; needs NECTAR_REDIS_URL. */
  worker(o: WorkerOptions = {}): NectarWorker {
    const c = this.config;
    if (!c.redisUrl) throw new NectarError('BAD_CONFIG', '`nectar worker` needs NECTAR_REDIS_URL (e.g. redis://127.0.0.1:6379)');
    return new NectarWorker(
      {
        url: c.redisUrl,
        prefix: c.queuePrefix,
        stalledInterval: c.stalledInterval,
        lockDuration: c.lockDuration,
        store: this.store,
        logger: this.logger,
        instantiate: (r) => this.instantiate(`${r.type}/${r.chain}/${r.name}`, r.params),
      },
      o,
    );
  }

  async run(roots: AnyTask | readonly AnyTask[], o: RunOptions = {}): Promise<RunResult> {
    const workers = o.workers ?? this.config.workers;
    const s = new Scheduler({
      runId: o.runId ?? randomUUID(),
      store: this.store,
      events: this.events,
      executors: this.executors(workers),
      executor: o.executor ?? this.config.executor,
      workers,
      resources: { ...this.config.resources, ...o.resources },
      signal: o.signal,
      shared: this.shared,
    });
    return s.run(Array.isArray(roots) ? roots : [roots as AnyTask]);
  }

  /** What exists and what would run, without running anything. */
  async plan(root: AnyTask): Promise<PlanEntry[]> {
    const dag = new Dag((tasks) => checkComplete(tasks, this.store));
    await dag.expand([root], true);
    return dag.topoOrder().map((id) => {
      const t = dag.node(id).task;
      return { id, task: t.toString(), action: dag.complete.has(id) ? 'complete' : 'run', outputs: outputKeys(t) };
    });
  }

  /** The whole DAG under a root, completeness not looked at. */
  async graph(root: AnyTask): Promise<Dag> {
    const dag = new Dag();
    await dag.expand([root], true);
    return dag;
  }

  async close(): Promise<void> {
    await this.#pool?.close();
    this.#pool = undefined;
    await this.#bullmq?.close();
    this.#bullmq = undefined;
  }
}
