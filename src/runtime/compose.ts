import pino, { type Logger } from 'pino';
import { NectarError } from '../core/errors';
import type { TargetStore } from '../core/target';
import { startSupervisor, type Supervisor, type SupervisorOptions } from '../distributed/supervisor';
import { NectarWorker, type WorkerOptions } from '../distributed/worker';
import { type DiscoverOptions, discover } from '../discovery/discover';
import type { Registry } from '../discovery/registry';
import { RedisRunStore } from '../store/redis';
import { SqliteRunStore } from '../store/sqlite';
import type { RunStore } from '../store/types';
import { LocalTargetStore } from '../targets/local';
import { S3TargetStore } from '../targets/s3';
import { makeS3Client } from '../targets/s3-client';
import { type NectarConfig, loadConfig, programEnvironment, quietAwsSdk } from './config';
import { Executors, type TaskLookup } from './executors';
import { startUploadSweeper } from './upload-sweeper';
import { loadWebhooks } from './webhook-config';
import { Webhooks } from './webhooks';

/** What a process may be given instead of what the configuration selects (tests, the test kit). */
export interface ComposeOptions {
  /** Default: `loadConfig()`, from this process's environment. */
  config?: NectarConfig;
  logger?: Logger;
  /** The level when NECTAR_LOG_LEVEL is unset (default `info`; the CLI's is `warn`). */
  defaultLogLevel?: string;
  store?: TargetStore;
}

/** Something running in the background that a stop ends. */
export interface Stoppable {
  stop(): Promise<void>;
}

/**
 * Every part of a nectar process, built from one validated configuration. The choices of
 * implementation are made here and nowhere else: which target store (local folder or S3),
 * which run store (SQLite, or Redis in distributed mode), which executors, the webhooks, the
 * logger, background housekeeping (aborting stale S3 uploads), distributed workers and their
 * supervisor. `nectar serve`, `run`, `worker`, worker-process children and the test kit all get
 * their parts from it (through the Runtime, or directly for a child).
 */
export interface Composition {
  readonly config: NectarConfig;
  readonly logger: Logger;
  readonly targets: TargetStore;
  /** What programs run by tasks inherit of the environment. */
  readonly programEnv: Readonly<Record<string, string>>;
  /** Scan a chains folder (default: the configured one) with this process's settings. */
  discover(root?: string, o?: Pick<DiscoverOptions, 'only' | 'env'>): Registry;
  /** Start-up check of the target store (S3: the bucket exists and the credentials reach it). */
  checkTargets(): Promise<void>;
  executors(lookup: TaskLookup, o: { serverId: string; childEnv?: Readonly<Record<string, string>> }): Executors;
  /** The run store of a server: Redis in distributed mode (NECTAR_REDIS_URL), SQLite (NECTAR_DB) otherwise. */
  openRunStore(): RunStore;
  /** Run notifications as configured (NECTAR_WEBHOOK_*, NECTAR_WEBHOOKS). */
  webhooks(): Webhooks;
  /** A server's background housekeeping: on S3, abort multipart uploads a killed writer left. */
  startHousekeeping(): Stoppable | undefined;
  /** A distributed worker over these targets; `lookup` rebuilds the tasks of its jobs. */
  worker(lookup: TaskLookup, o: WorkerOptions): NectarWorker;
  /** The autoscaling supervisor of `nectar worker --autoscale`. */
  supervisor(o: Omit<SupervisorOptions, 'url' | 'prefix'>): Supervisor;
}

/** Build the parts of a process from its configuration (see {@link Composition}). */
export function compose(o: ComposeOptions = {}): Composition {
  const config = o.config ?? loadConfig();
  const logger = o.logger ?? pino({ level: config.logLevel ?? o.defaultLogLevel ?? 'info' });
  let s3: S3TargetStore | undefined;
  let targets = o.store;
  if (!targets) {
    if (config.env === 'local') targets = new LocalTargetStore(config.targets);
    else {
      quietAwsSdk();
      const client = makeS3Client({ ...(config.s3Endpoint ? { endpoint: config.s3Endpoint } : {}), region: config.s3Region, maxAttempts: config.s3MaxAttempts });
      targets = s3 = new S3TargetStore({ client, bucket: config.bucket as string });
    }
  } else if (o.store instanceof S3TargetStore) s3 = o.store;
  const programEnv = programEnvironment(config);
  const redisUrl = (what: string): string => {
    if (!config.redisUrl) throw new NectarError('BAD_CONFIG', `${what} needs NECTAR_REDIS_URL (e.g. redis://127.0.0.1:6379)`);
    return config.redisUrl;
  };
  return {
    config,
    logger,
    targets,
    programEnv,
    discover: (root = config.chains, d = {}) => discover(root, require, { settingsDir: config.settingsDir, env: config.environment, ...d }),
    checkTargets: async () => {
      await s3?.check();
    },
    executors: (lookup, e) => new Executors({ config, logger, lookup, programEnv, ...e }),
    openRunStore: () => (config.redisUrl ? new RedisRunStore(config.redisUrl, config.queuePrefix) : new SqliteRunStore(config.db)),
    webhooks: () => new Webhooks(loadWebhooks(config.environment, config.cwd), logger),
    startHousekeeping: () => (s3 ? startUploadSweeper({ store: s3, maxAgeMs: config.s3UploadMaxAge, logger }) : undefined),
    worker: (lookup, w) =>
      new NectarWorker(
        {
          url: redisUrl('`nectar worker`'),
          prefix: config.queuePrefix,
          stalledInterval: config.stalledInterval,
          lockDuration: config.lockDuration,
          store: targets,
          logger,
          programEnv,
          settingsOf: (t) => lookup.settingsOf(t),
          instantiate: (r) => lookup.instantiate(r),
        },
        w,
      ),
    supervisor: (s) => startSupervisor({ ...s, url: redisUrl('`nectar worker --autoscale`'), prefix: config.queuePrefix }),
  };
}
