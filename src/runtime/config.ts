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
}

type Env = Readonly<Record<string, string | undefined>>;

function intVar(env: Env, name: string, def: number, min: number, max: number): number {
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

export function loadConfig(env: Env = process.env, cwd = process.cwd()): NectarConfig {
  const executor = env['NECTAR_EXECUTOR'] ?? 'inprocess';
  if (executor !== 'inprocess' && executor !== 'process') {
    throw new NectarError('BAD_CONFIG', `NECTAR_EXECUTOR=${JSON.stringify(executor)}: expected inprocess or process`);
  }
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
    workers: intVar(env, 'NECTAR_WORKERS', 8, 1, 10_000),
    executor,
    resources: Object.freeze(parseResources(env['NECTAR_RESOURCES'] ?? '', 'NECTAR_RESOURCES')),
    logLevel,
    apiToken: env['NECTAR_API_TOKEN'] || undefined,
  });
}
