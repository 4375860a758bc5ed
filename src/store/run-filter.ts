import { type Json, PARAM_NAME } from '../core/identity';
import type { RunQuery, RunRow } from './types';

/**
 * What "a run matches a RunQuery" means, in one place. The Redis store filters in JS with
 * `runFilter`; the SQLite store says the same in SQL (sqlite-run-list.ts), and the shared store
 * contract (test/contract/run-filter-contract.ts) holds both to the same cases.
 */

/** `RunQuery.task` by its number of segments: a whole ref, a type and class name, or a class name. */
export type TaskFilter =
  | { readonly kind: 'ref'; readonly ref: string }
  | { readonly kind: 'type-name'; readonly type: string; readonly name: string }
  | { readonly kind: 'name'; readonly name: string };

export function taskFilter(task: string): TaskFilter {
  const parts = task.split('/');
  if (parts.length === 2) return { kind: 'type-name', type: parts[0] ?? '', name: parts[1] ?? '' };
  if (parts.length === 1) return { kind: 'name', name: task };
  return { kind: 'ref', ref: task };
}

/** Whether a run's root ref (`type/chain/Task`) is what the filter asks for. */
export function refMatches(ref: string, f: TaskFilter): boolean {
  switch (f.kind) {
    case 'ref':
      return ref === f.ref;
    case 'name':
      return ref.endsWith(`/${f.name}`);
    case 'type-name': {
      const parts = ref.split('/');
      return parts.length === 3 && parts[0] === f.type && parts[2] === f.name;
    }
    default: {
      const never: never = f;
      return never;
    }
  }
}

/** A stored parameter against a filter's value: a string equal to it, or a value whose JSON is it. */
export function paramMatches(stored: Json | undefined, value: string): boolean {
  if (stored === undefined) return false;
  return stored === value || JSON.stringify(stored) === value;
}

/** The name of a parameter filter, checked: a store refuses a name that is not an identifier. */
export function paramName(name: string): string {
  if (!PARAM_NAME.test(name)) throw new Error(`RunQuery.params: ${JSON.stringify(name)} is not a parameter name (${PARAM_NAME.source})`);
  return name;
}

/** True when a query filters on what only the run's row holds (not its indexes): task or params. */
export const filtersRows = (q: RunQuery): boolean => q.task !== undefined || (q.params?.length ?? 0) > 0;

/** The predicate of a query's filters (paging aside): state, created-at bounds, task, params. */
export function runFilter(q: RunQuery): (run: RunRow) => boolean {
  const task = q.task === undefined ? undefined : taskFilter(q.task);
  const params = (q.params ?? []).map(([name, value]) => [paramName(name), value] as const);
  return (run) =>
    (q.state === undefined || run.state === q.state) &&
    (q.from === undefined || run.createdAt >= q.from) &&
    (q.to === undefined || run.createdAt < q.to) &&
    (task === undefined || refMatches(run.ref, task)) &&
    params.every(([name, value]) => paramMatches(Object.hasOwn(run.params, name) ? run.params[name] : undefined, value));
}

/** Listing order: newest created first, ties by id descending (as both stores' indexes give). */
export function newestFirst(a: RunRow, b: RunRow): number {
  if (a.createdAt !== b.createdAt) return b.createdAt - a.createdAt;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}
