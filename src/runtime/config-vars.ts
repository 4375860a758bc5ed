import { NectarError } from '../core/errors';
import { NAME_PATTERN } from '../core/identity';

/** Parsers of single environment variables, each checked: a BAD_CONFIG error names the variable and what was expected. */
export type Env = Readonly<Record<string, string | undefined>>;

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
