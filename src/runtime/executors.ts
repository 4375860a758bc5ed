import type { Logger } from 'pino';
import { NectarError } from '../core/errors';
import type { Executor } from '../core/executor';
import type { ExecutorKind } from '../core/options';
import type { SettingValue } from '../core/settings';
import type { AnyTask } from '../core/task';
import { BullMQExecutor } from '../distributed/executor';
import type { JobTaskRef } from '../distributed/protocol';
import { InProcessExecutor } from '../executors/inprocess';
import { type Locate, ProcessPoolExecutor } from '../executors/process-pool';
import { type NectarConfig, childEnvironment } from './config';

/** How executors find a task's chain file, its settings, and rebuild a task a worker asked for: the runtime's registry answers. */
export interface TaskLookup {
  readonly locate: Locate;
  instantiate(ref: JobTaskRef): AnyTask;
  settingsOf(task: AnyTask): Readonly<Record<string, SettingValue>>;
}

export interface ExecutorsOptions {
  readonly config: NectarConfig;
  readonly logger: Logger;
  readonly lookup: TaskLookup;
  /** This process, as distributed workers address it. */
  readonly serverId: string;
  /** What programs run in this process inherit (see `programEnvironment`). */
  readonly programEnv: Readonly<Record<string, string>>;
  /** More environment for worker processes (the test kit's fake settings). */
  readonly childEnv?: Readonly<Record<string, string>>;
}

/**
 * The executors of one runtime, by kind: in-process always; the process pool and the BullMQ
 * executor made on first use (a run that never needs them starts no child and opens no Redis
 * connection).
 */
export class Executors {
  readonly #inprocess: InProcessExecutor;
  #pool: ProcessPoolExecutor | undefined;
  #bullmq: BullMQExecutor | undefined;

  constructor(private readonly o: ExecutorsOptions) {
    this.#inprocess = new InProcessExecutor({ programEnv: o.programEnv, settingsOf: (t) => o.lookup.settingsOf(t) });
  }

  /** Executors by kind for a run of `workers` tasks at once. */
  byKind(workers: number): Partial<Record<ExecutorKind, Executor>> {
    const self = this;
    return {
      inprocess: this.#inprocess,
      get process(): Executor {
        return self.#processPool(workers);
      },
      get bullmq(): Executor {
        return self.distributed();
      },
    };
  }

  #processPool(workers: number): ProcessPoolExecutor {
    this.#pool ??= new ProcessPoolExecutor({
      size: Math.max(1, Math.min(workers, 64)),
      locate: this.o.lookup.locate,
      instantiate: (r) => this.o.lookup.instantiate(r),
      env: childEnvironment(this.o.config, this.o.childEnv),
      logger: this.o.logger,
    });
    return this.#pool;
  }

  /** The BullMQ executor (distributed mode), made on first use; needs NECTAR_REDIS_URL. */
  distributed(): BullMQExecutor {
    const c = this.o.config;
    if (!c.redisUrl) throw new NectarError('BAD_CONFIG', 'distributed execution needs NECTAR_REDIS_URL (e.g. redis://127.0.0.1:6379)');
    this.#bullmq ??= new BullMQExecutor({
      url: c.redisUrl,
      prefix: c.queuePrefix,
      serverId: this.o.serverId,
      rates: c.queueRates,
      locate: this.o.lookup.locate,
      instantiate: (r) => this.o.lookup.instantiate(r),
      logger: this.o.logger,
      checkInterval: c.queueCheckInterval,
    });
    return this.#bullmq;
  }

  async close(): Promise<void> {
    await this.#pool?.close();
    this.#pool = undefined;
    await this.#bullmq?.close();
    this.#bullmq = undefined;
  }
}
