import { resolve } from 'node:path';
import { NectarError } from '../core/errors';
import { NAME_PATTERN } from '../core/identity';
import type { ExecutorKind } from '../core/options';
import { type Env, durationVar, intVar, parseRates, parseResources } from './config-vars';

/** Configuration compiled once from the environment: defaults filled, checked, frozen. */
export interface NectarConfig {
  readonly chains: string;
  readonly targets: string;
  readonly env: string;
  readonly db: string;
  readonly port: number;
  /** Default `--workers`: tasks at once. */
  readonly workers: number;
  readonly executor: ExecutorKind;
  /** Limits of named resources, from `NECTAR_RESOURCES=db=2,gpu=1`. */
  readonly resources: Readonly<Record<string, number>>;
  /** NECTAR_LOG_LEVEL; undefined when unset (each command has its default: `warn` for the CLI, `info` for servers and workers). */
  readonly logLevel: string | undefined;
  /** Set: every /api route needs `Authorization: Bearer <token>`. */
  readonly apiToken: string | undefined;
  /** S3 targets (when `env` is not `local`). */
  readonly bucket: string | undefined;
  readonly s3Endpoint: string | undefined;
  /** AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1. */
  readonly s3Region: string;
  readonly s3MaxAttempts: number;
  /** Multipart uploads older than this (ms) are what a killed writer left: the server aborts them. */
  readonly s3UploadMaxAge: number;
  /** Runs created longer ago than this (ms) are pruned from the run store by the server; 0: kept for ever. */
  readonly runRetention: number;
  /** Seconds a presigned `resource_url` stays valid. */
  readonly urlExpires: number;
  /** Distributed mode: BullMQ queues and the run store live in this Redis. */
  readonly redisUrl: string | undefined;
  /** Prefix of every BullMQ key (several nectar installs can share one Redis). */
  readonly queuePrefix: string;
  /** Per-queue rate limits, from `NECTAR_QUEUE_RATES=gpu=10/1s,default=500/1s`. */
  readonly queueRates: Readonly<Record<string, { max: number; durationMs: number }>>;
  /** How often workers look for stalled jobs (a worker died mid-task), and how long a job lock lasts, in ms. */
  readonly stalledInterval: number;
  readonly lockDuration: number;
  /** How often a server checks the jobs it waits on against Redis (lost events, Redis restarted empty), ms. */
  readonly queueCheckInterval: number;
  /**
   * Distributed mode: how often a server says it is alive (ms); three missed beats and
   * another server (or this one restarted) adopts its runs in flight.
   */
  readonly heartbeatInterval: number;
  /** Longest `Prefer: wait` / `?wait` honoured, in seconds. */
  readonly maxWait: number;
  /** Most partitions a backfill (or a partitions query) may span. */
  readonly backfillMax: number;
  /** Largest output answered inline (bytes); larger ones get only their `resource_url`. */
  readonly inlineMaxBytes: number;
  /** Settings files of chain types: `<dir>/<type>.json`. */
  readonly settingsDir: string;
  /** The working directory relative paths were resolved against (the webhooks file too). */
  readonly cwd: string;
  /**
   * The environment of this process with the configuration's own variables over it: where
   * chain settings (`NECTAR_<TYPE>_<NAME>`) and the webhook variables are read, and what
   * worker processes and programs inherit (see `childEnvironment`, `programEnvironment`).
   */
  readonly environment: Env;
}

function s3Bucket(env: Env): string | undefined {
  const bucket = env['NECTAR_BUCKET'] || undefined;
  const s3 = (env['NECTAR_ENV'] || 'local') !== 'local';
  if (s3 && !bucket) throw new NectarError('BAD_CONFIG', `NECTAR_ENV=${env['NECTAR_ENV']} selects S3 targets: set NECTAR_BUCKET to the bucket`);
  if (bucket && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw new NectarError('BAD_CONFIG', `NECTAR_BUCKET=${JSON.stringify(bucket)}: not a valid bucket name`);
  return bucket;
}

function s3Endpoint(env: Env): string | undefined {
  const raw = env['NECTAR_S3_ENDPOINT'] || undefined;
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new NectarError('BAD_CONFIG', `NECTAR_S3_ENDPOINT=${JSON.stringify(raw)}: not a URL (e.g. http://127.0.0.1:9000)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new NectarError('BAD_CONFIG', `NECTAR_S3_ENDPOINT=${JSON.stringify(raw)}: expected http:// or https://`);
  return raw;
}

function redisUrl(env: Env): string | undefined {
  const raw = env['NECTAR_REDIS_URL'] || undefined;
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new NectarError('BAD_CONFIG', `NECTAR_REDIS_URL=${JSON.stringify(raw)}: not a URL (e.g. redis://127.0.0.1:6379)`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new NectarError('BAD_CONFIG', `NECTAR_REDIS_URL=${JSON.stringify(raw)}: expected redis:// or rediss://`);
  return raw;
}

/**
 * The configuration from `env` (default: this process's environment), relative paths resolved
 * against `cwd`. `inherited` is the environment the process runs in (default: its own): what
 * settings, webhooks and children see besides `env`. Only this module reads `process.env`.
 */
export function loadConfig(env: Env = process.env, cwd = process.cwd(), inherited: Env = process.env): NectarConfig {
  const redis = redisUrl(env);
  const executor = env['NECTAR_EXECUTOR'] || (redis ? 'bullmq' : 'inprocess');
  if (executor !== 'inprocess' && executor !== 'process' && executor !== 'bullmq') {
    throw new NectarError('BAD_CONFIG', `NECTAR_EXECUTOR=${JSON.stringify(executor)}: expected inprocess, process or bullmq`);
  }
  if (executor === 'bullmq' && !redis) throw new NectarError('BAD_CONFIG', 'NECTAR_EXECUTOR=bullmq needs NECTAR_REDIS_URL (e.g. redis://127.0.0.1:6379)');
  const prefix = env['NECTAR_QUEUE_PREFIX'] || 'nectar';
  if (!NAME_PATTERN.test(prefix)) throw new NectarError('BAD_CONFIG', `NECTAR_QUEUE_PREFIX=${JSON.stringify(prefix)}: must match ${NAME_PATTERN.source}`);
  const logLevel = env['NECTAR_LOG_LEVEL'] || undefined;
  if (logLevel !== undefined && !['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(logLevel)) {
    throw new NectarError('BAD_CONFIG', `NECTAR_LOG_LEVEL=${JSON.stringify(logLevel)}: expected trace, debug, info, warn, error, fatal or silent`);
  }
  return Object.freeze({
    chains: resolve(cwd, env['NECTAR_CHAINS'] || './chains'),
    targets: resolve(cwd, env['NECTAR_TARGETS'] || './local_targets'),
    env: env['NECTAR_ENV'] || 'local',
    db: resolve(cwd, env['NECTAR_DB'] || './.nectar/nectar.db'),
    port: intVar(env, 'PORT', 5000, 0, 65535),
    // Distributed: tasks at once is how many jobs a server keeps in flight; the workers bound the work.
    workers: intVar(env, 'NECTAR_WORKERS', executor === 'bullmq' ? 1000 : 8, 1, 100_000),
    executor,
    resources: Object.freeze(parseResources(env['NECTAR_RESOURCES'] ?? '', 'NECTAR_RESOURCES')),
    logLevel,
    apiToken: env['NECTAR_API_TOKEN'] || undefined,
    bucket: s3Bucket(env),
    s3Endpoint: s3Endpoint(env),
    s3Region: env['AWS_REGION'] || env['AWS_DEFAULT_REGION'] || inherited['AWS_REGION'] || inherited['AWS_DEFAULT_REGION'] || 'us-east-1',
    s3MaxAttempts: intVar(env, 'NECTAR_S3_MAX_ATTEMPTS', 5, 1, 20),
    s3UploadMaxAge: durationVar(env, 'NECTAR_S3_UPLOAD_MAX_AGE', 86_400_000, 60_000, 365 * 86_400_000),
    runRetention: durationVar(env, 'NECTAR_RUN_RETENTION', 0, 3_600_000, 3650 * 86_400_000),
    urlExpires: intVar(env, 'NECTAR_URL_EXPIRES', 600, 1, 7 * 24 * 3600),
    redisUrl: redis,
    queuePrefix: prefix,
    queueRates: Object.freeze(parseRates(env['NECTAR_QUEUE_RATES'] ?? '', 'NECTAR_QUEUE_RATES')),
    stalledInterval: intVar(env, 'NECTAR_STALLED_INTERVAL', 30_000, 100, 3_600_000),
    lockDuration: intVar(env, 'NECTAR_LOCK_DURATION', 30_000, 100, 3_600_000),
    queueCheckInterval: intVar(env, 'NECTAR_QUEUE_CHECK_INTERVAL', 5000, 50, 3_600_000),
    heartbeatInterval: intVar(env, 'NECTAR_HEARTBEAT_INTERVAL', 2000, 50, 600_000),
    maxWait: intVar(env, 'NECTAR_MAX_WAIT', 60, 0, 3600),
    backfillMax: intVar(env, 'NECTAR_BACKFILL_MAX', 10_000, 1, 1_000_000),
    inlineMaxBytes: intVar(env, 'NECTAR_INLINE_MAX_BYTES', 1024 * 1024, 0, 1024 * 1024 * 1024),
    settingsDir: resolve(cwd, env['NECTAR_SETTINGS_DIR'] || './settings'),
    cwd,
    environment: Object.freeze(env === inherited ? { ...env } : { ...inherited, ...env }),
  });
}

/**
 * The environment of a worker process (the process executor's children): this process's,
 * with the configuration a child needs spelled out (absolute paths), then `extra` (the test
 * kit's fake settings).
 */
export function childEnvironment(c: NectarConfig, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return {
    ...defined(c.environment),
    NECTAR_TARGETS: c.targets,
    NECTAR_CHAINS: c.chains,
    NECTAR_ENV: c.env,
    NECTAR_SETTINGS_DIR: c.settingsDir,
    ...(c.bucket ? { NECTAR_BUCKET: c.bucket } : {}),
    ...(c.s3Endpoint ? { NECTAR_S3_ENDPOINT: c.s3Endpoint } : {}),
    ...extra,
  };
}

/**
 * What a program task inherits: the environment without nectar's own variables (the settings
 * of every chain type, the API token, the Redis URL). Of those it gets only what its task is
 * given: its parameters, files and declared settings.
 */
export function programEnvironment(c: NectarConfig): Readonly<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(c.environment)) if (v !== undefined && !k.startsWith('NECTAR_')) out[k] = v;
  return Object.freeze(out);
}

function defined(env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

/**
 * The AWS SDK warns on every client that its later releases will drop Node 20; nectar pins
 * releases that support it (see the README), so the notice is not actionable. Off unless set.
 */
export function quietAwsSdk(): void {
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
}
