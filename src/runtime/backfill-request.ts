import { randomUUID } from 'node:crypto';
import { NectarError } from '../core/errors';
import type { Json } from '../core/identity';
import { partitionValues, rangeLabel, STEPS, type Step } from '../core/partitions';
import type { AnyTask } from '../core/task';
import type { DiscoveredTask } from '../discovery/registry';
import type { BackfillRow } from '../store/types';
import type { Runtime } from './runtime';

/** What a user asks of a backfill (CLI flags, `POST /api/backfills`), before checking. */
export interface BackfillRequest {
  /** `type/Task` or `type/chain/Task`. */
  readonly task: string;
  /** A date range (`YYYY-MM-DD`, or `YYYY-MM-DDTHH` by hour), both ends included... */
  readonly from?: string;
  readonly to?: string;
  /** Default `day`. */
  readonly step?: string;
  /** ...or a list of values for `over`. */
  readonly values?: readonly string[];
  /** The parameter each partition sets; default: the task's one date parameter. */
  readonly over?: string;
  /** The other parameters, fixed. */
  readonly params?: Readonly<Record<string, unknown>>;
  /** Partitions in flight at most (default 4). */
  readonly concurrency?: number;
}

export const DEFAULT_BACKFILL_CONCURRENCY = 4;

const bad = (message: string, param: string): never => {
  throw new NectarError('BAD_RANGE', message, { param });
};

/** The parameter a backfill sets: the one named, or the task's single date parameter. */
function overOf(found: DiscoveredTask, r: BackfillRequest, fixed: Readonly<Record<string, unknown>>): string {
  const schema = found.cls.paramSchema;
  const names = Object.keys(schema);
  if (r.over !== undefined) {
    if (!Object.prototype.hasOwnProperty.call(schema, r.over)) bad(`'over': ${found.name} has no parameter '${r.over}' (parameters: ${names.join(', ') || 'none'})`, 'over');
    if (Object.prototype.hasOwnProperty.call(fixed, r.over)) bad(`'over': '${r.over}' is also given as a fixed parameter`, 'over');
    return r.over;
  }
  const dates = names.filter((n) => schema[n]?.kind === 'date' && !Object.prototype.hasOwnProperty.call(fixed, n));
  if (dates.length === 1 && r.values === undefined && r.step !== 'hour') return dates[0] as string;
  return bad(`name the parameter each partition sets with 'over' (${found.name} has ${dates.length === 0 ? 'no date parameter' : `${dates.length} date parameters: ${dates.join(', ')}`})`, 'over');
}

/**
 * Check a backfill request and build its row: the task resolves, the range or list gives at
 * most `config.backfillMax` values, and every partition's parameters are valid (a bad one is
 * refused before anything runs, naming its value). Throws BAD_RANGE, BAD_PARAM, UNKNOWN_TASK.
 */
export function backfillRow(rt: Runtime, r: BackfillRequest, now: number): { row: BackfillRow; found: DiscoveredTask; tasks: AnyTask[] } {
  const found = rt.resolve(r.task);
  const fixed = r.params ?? {};
  const over = overOf(found, r, fixed);
  const max = rt.config.backfillMax;
  let values: string[];
  let range: string;
  if (r.values !== undefined) {
    if (r.from !== undefined || r.to !== undefined) bad("give either 'values' or 'from' and 'to', not both", 'values');
    values = [...new Set(r.values)];
    if (values.length === 0) bad("'values' is empty", 'values');
    if (values.length > max) bad(`${values.length} values, over the cap of ${max} (NECTAR_BACKFILL_MAX)`, 'values');
    range = 'list';
  } else {
    if (r.from === undefined || r.to === undefined) bad(`give 'from' and 'to' (${r.from === undefined ? "'from'" : "'to'"} is missing), or 'values'`, r.from === undefined ? 'from' : 'to');
    const step = (r.step ?? 'day') as Step;
    if (!STEPS.includes(step)) bad(`'step' ${JSON.stringify(r.step)}: expected ${STEPS.join(', ')}`, 'step');
    values = partitionValues(r.from as string, r.to as string, step, max);
    range = rangeLabel(r.from as string, r.to as string, step);
  }
  const concurrency = r.concurrency ?? DEFAULT_BACKFILL_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 1000) bad(`'concurrency' ${JSON.stringify(r.concurrency)}: expected a whole number from 1 to 1000`, 'concurrency');
  let params: { [key: string]: Json } = {};
  const tasks: AnyTask[] = [];
  for (const value of values) {
    try {
      const task = rt.instantiateFrom(found, { ...fixed, [over]: value });
      tasks.push(task);
      if (value === values[0]) params = Object.fromEntries(Object.entries(task.params).filter(([k]) => k !== over));
    } catch (err) {
      const e = err as NectarError;
      throw new NectarError(e.code ?? 'BAD_PARAM', `partition ${over}=${value}: ${e.message}`, { param: over, value });
    }
  }
  return { row: { id: randomUUID(), ref: found.ref, over, values, params, concurrency, range, state: 'RUNNING', createdAt: now, owner: rt.serverId }, found, tasks };
}
