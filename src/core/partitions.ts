import { NectarError } from './errors';

/**
 * Partition values of a date range, as backfills and the partitions view count them: `day`
 * and `week` and `month` give `YYYY-MM-DD` values (a `p.date()` parameter), `hour` gives
 * `YYYY-MM-DDTHH` (what a schedule's `tick.hour()` gives). Both ends are included.
 */
export const STEPS = ['day', 'hour', 'week', 'month'] as const;
export type Step = (typeof STEPS)[number];

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const dayOf = (t: number): string => new Date(t).toISOString().slice(0, 10);
const hourOf = (t: number): string => new Date(t).toISOString().slice(0, 13);

/** `YYYY-MM-DD` (or, for hours, `YYYY-MM-DDTHH`; a bare date is its first hour, or its last as an end) to epoch ms; BAD_RANGE naming the flag otherwise. */
function instant(raw: string, what: 'from' | 'to', step: Step): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}))?$/.exec(raw);
  const ok = m !== null && (step === 'hour' || m[4] === undefined);
  const t = ok ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0)) : NaN;
  if (!ok || Number.isNaN(t) || dayOf(t) !== raw.slice(0, 10) || Number(m?.[4] ?? 0) > 23) {
    throw new NectarError('BAD_RANGE', `'${what}' ${JSON.stringify(raw)}: expected a date YYYY-MM-DD${step === 'hour' ? ' or an hour YYYY-MM-DDTHH' : ''}`, { param: what });
  }
  return step === 'hour' && what === 'to' && m?.[4] === undefined ? t + 23 * HOUR_MS : t;
}

/** The month after `t` on the same day of the month, or the month's last day when it has fewer. */
function addMonths(from: number, months: number): number {
  const d = new Date(from);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() + months;
  const last = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return Date.UTC(y, m, Math.min(d.getUTCDate(), last));
}

/**
 * Every partition value from `from` to `to` by `step`. An inverted range, a bad date or more
 * than `max` values is a BAD_RANGE error that says which.
 */
export function partitionValues(from: string, to: string, step: Step, max: number): string[] {
  if (!STEPS.includes(step)) throw new NectarError('BAD_RANGE', `'step' ${JSON.stringify(step)}: expected ${STEPS.join(', ')}`, { param: 'step' });
  const a = instant(from, 'from', step);
  const b = instant(to, 'to', step);
  if (b < a) throw new NectarError('BAD_RANGE', `the range is inverted: 'from' ${from} is after 'to' ${to}`, { param: 'to' });
  const count =
    step === 'hour' ? Math.floor((b - a) / HOUR_MS) + 1
    : step === 'day' ? Math.floor((b - a) / DAY_MS) + 1
    : step === 'week' ? Math.floor((b - a) / (7 * DAY_MS)) + 1
    : monthsBetween(a, b) + 1;
  if (count > max) throw new NectarError('BAD_RANGE', `${from}..${to} by ${step} is ${count} partitions, over the cap of ${max} (NECTAR_BACKFILL_MAX)`, { param: 'to', count, max });
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    if (step === 'hour') out.push(hourOf(a + i * HOUR_MS));
    else if (step === 'day') out.push(dayOf(a + i * DAY_MS));
    else if (step === 'week') out.push(dayOf(a + i * 7 * DAY_MS));
    else out.push(dayOf(addMonths(a, i)));
  }
  return out;
}

function monthsBetween(a: number, b: number): number {
  const x = new Date(a);
  const y = new Date(b);
  let n = (y.getUTCFullYear() - x.getUTCFullYear()) * 12 + (y.getUTCMonth() - x.getUTCMonth());
  if (addMonths(a, n) > b) n -= 1;
  return n;
}

/** `2012-01-01..2012-12-31 by day`: how a range is shown. */
export const rangeLabel = (from: string, to: string, step: Step): string => `${from}..${to} by ${step}`;
