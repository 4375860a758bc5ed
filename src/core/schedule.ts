/**
 * Schedules as a chain author declares them (task option `schedules`): a cron expression in
 * an IANA time zone, and how a tick maps to the task's parameters. Discovery checks and
 * compiles them (src/discovery/schedules.ts); `nectar serve` fires them.
 */

/** What a schedule does about ticks missed while no server ran: every one (oldest first, at most `maxCatchup`), the latest only, or none. */
export type CatchUp = 'all' | 'latest' | 'none';

/** One firing of a schedule, as its parameter mapping sees it. */
export interface Tick {
  /** The instant it fires. */
  readonly at: Date;
  /** The schedule's time zone. */
  readonly timezone: string;
  /** The tick's calendar date in the schedule's zone, `YYYY-MM-DD`, moved by `offsetDays` (`date(-1)`: the day before). */
  date(offsetDays?: number): string;
  /** The tick's hour in the schedule's zone, `YYYY-MM-DDTHH`, moved by `offsetHours`. */
  hour(offsetHours?: number): string;
}

export interface ScheduleSpec {
  /** Unique per task: `nightly`. */
  readonly name: string;
  /** Five fields (minute hour day month weekday) or six (seconds first). */
  readonly cron: string;
  /** IANA zone the expression is read in (default `UTC`): `0 2 * * *` in `Europe/Berlin` is 02:00 there, summer or winter. */
  readonly timezone?: string;
  /** The task's parameters for a tick: `(tick) => ({ day: tick.date(-1) })`, or fixed values. */
  readonly params?: ((tick: Tick) => Readonly<Record<string, unknown>>) | Readonly<Record<string, unknown>>;
  /** Default `latest`. */
  readonly catchup?: CatchUp;
  /** With `catchup: 'all'`: at most this many missed ticks are fired (default 100). */
  readonly maxCatchup?: number;
  /**
   * When the tick's partition must be DONE: a time of day in the schedule's zone (`'06:00'`:
   * the first 06:00 at or after the tick) or a duration after the tick (`'90m'`, `'4h'`,
   * `'1d'`). Not DONE by then: a `deadline:missed` webhook event, and a flag in the grid.
   */
  readonly deadline?: string;
}

export const CATCH_UPS: readonly CatchUp[] = ['all', 'latest', 'none'];

const DAY_MS = 86_400_000;

/** `YYYY-MM-DD` and hour of an instant in a zone. */
function localParts(at: Date, timezone: string): { y: number; m: number; d: number; h: number } {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', hourCycle: 'h23' }).formatToParts(at);
  const get = (t: string): number => Number(parts.find((p) => p.type === t)?.value);
  return { y: get('year'), m: get('month'), d: get('day'), h: get('hour') };
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** The tick a mapping sees for an instant in a zone. */
export function tickAt(at: Date, timezone: string): Tick {
  return {
    at,
    timezone,
    date(offsetDays = 0) {
      const { y, m, d } = localParts(at, timezone);
      const t = new Date(Date.UTC(y, m - 1, d) + offsetDays * DAY_MS);
      return `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
    },
    hour(offsetHours = 0) {
      const { y, m, d, h } = localParts(at, timezone);
      const t = new Date(Date.UTC(y, m - 1, d, h) + offsetHours * 3_600_000);
      return `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}T${pad(t.getUTCHours())}`;
    },
  };
}
