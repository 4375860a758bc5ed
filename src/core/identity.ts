import { hash } from 'node:crypto';

/** JSON-safe values, the only things parameters normalise to. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Compact JSON with object keys sorted at every depth: the same value always gives the same text. */
export function canonicalJson(value: Json): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  const parts: string[] = [];
  for (const k of keys) {
    const v = value[k];
    if (v === undefined) continue;
    parts.push(`${JSON.stringify(k)}:${canonicalJson(v)}`);
  }
  return `{${parts.join(',')}}`;
}

/**
 * The hash in a task id: md5 hex of the canonical JSON of the normalised parameters.
 * A task `version` enters as the extra key `@version` (no parameter can be named so).
 */
export function paramsHash(params: { [key: string]: Json }, version?: string): string {
  const hashed = version === undefined ? params : { ...params, '@version': version };
  return hash('md5', canonicalJson(hashed), 'hex');
}

/** Names of types, chains and tasks: what may appear in a path segment. */
export const NAME_PATTERN = /^[A-Za-z0-9_-]+$/;

/** A parameter name as a run filter takes it (`params=name=value`): an identifier, so also a plain JSON path key. */
export const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Where a task class lives: `chains/<type>/<chain>.ts`, exported as `name`. */
export interface TaskLocation {
  readonly type: string;
  /** The chain file's base name, e.g. `hello_chain`. */
  readonly chain: string;
  readonly name: string;
}

/** `<type>/<chain>/<TaskName>/<hash>`: a DAG node id, a queue job id and a target folder. */
export function taskId(loc: TaskLocation, hash: string): string {
  return `${loc.type}/${loc.chain}/${loc.name}/${hash}`;
}
