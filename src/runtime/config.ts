import { resolve } from 'node:path';
import { NectarError } from '../core/errors';
import { NAME_PATTERN } from '../core/identity';
import type { ExecutorKind } from '../core/options';

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
  readonly logLevel: string;
  /** Set: every /api route needs `Authorization: Bearer <token>`. */
  readonly apiToken: string | undefined;
  /** S3 targets (when `env` is not `local`). */
  readonly bucket: string | undefined;
  readonly s3Endpoint: string | undefined;
  readonly s3MaxAttempts: number;
  /** Multipart uploads older than this (ms) are what a killed writer left: the server aborts them. */
  readonly s3UploadMaxAge: number;
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
  /** Largest output answered inline (bytes); larger ones get only their `resource_url`. */
  readonly inlineMaxBytes: number;
  /** Settings files of chain types: `<dir>/<type>.json`. */
  readonly settingsDir: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/** A whole-number variable in [min, max], `def` when unset; BAD_CONFIG naming it otherwise. */
export function intVar(env: Env, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new NectarError('BAD_CONFIG', `${name}=${JSON.stringify(raw)}: expected a whole number from ${min} to ${max}`);
  }
  return n;
}

/** `db=2,gpu=1` -> `{ db: 2, gpu: 1 }`; names and counts checked. */
export function parseResources(raw: string, what: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([^=]+)=(\d+)$/.exec(part);
    const name = m?.[1]?.trim() ?? '';
    const n = Number(m?.[2]);
    if (!m || !NAME_PATTERN.test(name) || !(n > 0)) {
      throw new NectarError('BAD_CONFIG', `${what}: '${part}' is not name=count with a count > 0`);
    }
    out[name] = n;
  }
  return out;
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

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

const DURATION_UNITS: Record<string, number> = { ...UNITS, d: 86_400_000 };

/** A duration variable (`1d`, `6h`, `30m`, `90s`, `500ms`, or bare seconds) in ms, within [minMs, maxMs]; BAD_CONFIG naming it otherwise. */
export function durationVar(env: Env, name: string, defMs: number, minMs: number, maxMs: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return defMs;
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(raw.trim());
  const ms = m ? Number(m[1]) * (DURATION_UNITS[m[2] ?? 's'] ?? NaN) : NaN;
  if (!(ms >= minMs && ms <= maxMs)) {
    throw new NectarError('BAD_CONFIG', `${name}=${JSON.stringify(raw)}: expected a duration from ${minMs / 1000} s to ${maxMs / 86_400_000} d (e.g. 1d, 6h, 30m, or seconds)`);
  }
  return ms;
}

/** `gpu=10/1s,default=500/1s` -> at most `max` jobs of that queue per duration. */
export function parseRates(raw: string, what: string): Record<string, { max: number; durationMs: number }> {
  const out: Record<string, { max: number; durationMs: number }> = {};
  for (const part of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([^=]+)=(\d+)\/(\d+)(ms|s|m|h)$/.exec(part);
    const name = m?.[1]?.trim() ?? '';
    const max = Number(m?.[2]);
    const durationMs = Number(m?.[3]) * (UNITS[m?.[4] ?? ''] ?? NaN);
    if (!m || !NAME_PATTERN.test(name) || !(max > 0) || !(durationMs > 0)) {
      throw new NectarError('BAD_CONFIG', `${what}: '${part}' is not queue=max/duration (e.g. gpu=10/1s, api=100/1m)`);
    }
    out[name] = { max, durationMs };
  }
  return out;
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

export function loadConfig(env: Env = process.env, cwd = process.cwd()): NectarConfig {
  const redis = redisUrl(env);
  const executor = env['NECTAR_EXECUTOR'] || (redis ? 'bullmq' : 'inprocess');
  if (executor !== 'inprocess' && executor !== 'process' && executor !== 'bullmq') {
    throw new NectarError('BAD_CONFIG', `NECTAR_EXECUTOR=${JSON.stringify(executor)}: expected inprocess, process or bullmq`);
  }
  if (executor === 'bullmq' && !redis) throw new NectarError('BAD_CONFIG', 'NECTAR_EXECUTOR=bullmq needs NECTAR_REDIS_URL (e.g. redis://127.0.0.1:6379)');
  const prefix = env['NECTAR_QUEUE_PREFIX'] || 'nectar';
  if (!NAME_PATTERN.test(prefix)) throw new NectarError('BAD_CONFIG', `NECTAR_QUEUE_PREFIX=${JSON.stringify(prefix)}: must match ${NAME_PATTERN.source}`);
  const logLevel = env['NECTAR_LOG_LEVEL'] ?? 'info';
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(logLevel)) {
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
    s3MaxAttempts: intVar(env, 'NECTAR_S3_MAX_ATTEMPTS', 5, 1, 20),
    s3UploadMaxAge: durationVar(env, 'NECTAR_S3_UPLOAD_MAX_AGE', 86_400_000, 60_000, 365 * 86_400_000),
    urlExpires: intVar(env, 'NECTAR_URL_EXPIRES', 600, 1, 7 * 24 * 3600),
    redisUrl: redis,
    queuePrefix: prefix,
    queueRates: Object.freeze(parseRates(env['NECTAR_QUEUE_RATES'] ?? '', 'NECTAR_QUEUE_RATES')),
    stalledInterval: intVar(env, 'NECTAR_STALLED_INTERVAL', 30_000, 100, 3_600_000),
    lockDuration: intVar(env, 'NECTAR_LOCK_DURATION', 30_000, 100, 3_600_000),
    queueCheckInterval: intVar(env, 'NECTAR_QUEUE_CHECK_INTERVAL', 5000, 50, 3_600_000),
    heartbeatInterval: intVar(env, 'NECTAR_HEARTBEAT_INTERVAL', 2000, 50, 600_000),
    maxWait: intVar(env, 'NECTAR_MAX_WAIT', 60, 0, 3600),
    inlineMaxBytes: intVar(env, 'NECTAR_INLINE_MAX_BYTES', 1024 * 1024, 0, 1024 * 1024 * 1024),
    settingsDir: resolve(cwd, env['NECTAR_SETTINGS_DIR'] || './settings'),
  });
}
