import type { CatchUp } from '../core/schedule';

/** What the tick arithmetic needs of a schedule. */
export interface TickSource {
  /** The first tick strictly after `after`; undefined if it never fires again. */
  next(after: Date): Date | undefined;
  readonly catchup: CatchUp;
  readonly maxCatchup: number;
}

/** Which ticks to fire now, and what was let go. */
export interface DueTicks {
  /** Oldest first. */
  readonly fire: readonly Date[];
  /** Ticks missed and not fired (catch-up policy or cap), counted. */
  readonly dropped: number;
  /** The next tick after `now`: when to look again. */
  readonly next: Date | undefined;
  /** The latest tick at or before `now` looked at, fired or not: the cursor can move past it. */
  readonly last: Date | undefined;
}

/** A tick this late is still "on time" (the runner woke a little after it), not a missed one. */
export const ON_TIME_MS = 60_000;

/** Ticks looked at in one call at the most: an every-second schedule after a week away is 604,800 of them. */
const MAX_SCAN = 100_000;

/**
 * The ticks of a schedule due at `now`, after `from` (the last tick fired, or when the
 * schedule was first seen: a new schedule does not catch up on its past). A tick at most
 * ON_TIME_MS old is on time and always fires. Older ones were missed (no server ran) and go
 * by the schedule's catch-up: `all` fires the most recent `maxCatchup` of them, oldest first
 * (older ones are dropped: recent data matters most); `latest` fires the last one; `none`
 * fires none. Pure: the clock is the caller's.
 */
export function dueTicks(s: TickSource, from: Date, now: Date): DueTicks {
  const missed: Date[] = [];
  const onTime: Date[] = [];
  let dropped = 0;
  let t = s.next(from);
  let scanned = 0;
  let last: Date | undefined;
  while (t !== undefined && t.getTime() <= now.getTime()) {
    if (++scanned > MAX_SCAN && now.getTime() - t.getTime() > ON_TIME_MS) {
      // Too many to look at one by one: the rest of the missed ones are dropped uncounted,
      // and the scan goes on from the start of the on-time window.
      t = s.next(new Date(now.getTime() - ON_TIME_MS));
      continue;
    }
    last = t;
    if (now.getTime() - t.getTime() <= ON_TIME_MS) onTime.push(t);
    else missed.push(t);
    t = s.next(t);
  }
  let caught: Date[];
  switch (s.catchup) {
    case 'all':
      caught = missed.slice(Math.max(0, missed.length - s.maxCatchup));
      break;
    case 'latest':
      caught = onTime.length > 0 ? [] : missed.slice(-1);
      break;
    case 'none':
      caught = [];
      break;
    default: {
      const never: never = s.catchup;
      caught = never;
    }
  }
  dropped += missed.length - caught.length;
  return { fire: [...caught, ...onTime], dropped, next: t, last };
}
