/** Which ticks of a schedule fire now: on time always, missed ones by the catch-up policy. The clock is given. */
import { type TickSource, dueTicks } from '../../src/runtime/due-ticks';

const HOUR = 3_600_000;
/** Every hour on the hour (UTC). */
const hourly = (catchup: TickSource['catchup'], maxCatchup = 100): TickSource => ({
  catchup,
  maxCatchup,
  next: (after) => new Date((Math.floor(after.getTime() / HOUR) + 1) * HOUR),
});
const at = (iso: string): Date => new Date(iso);
const iso = (ds: readonly Date[]): string[] => ds.map((d) => d.toISOString().slice(11, 16));

describe('due ticks', () => {
  it('fires the tick that is due now, on time, whatever the policy; nothing before it', () => {
    for (const policy of ['all', 'latest', 'none'] as const) {
      const due = dueTicks(hourly(policy), at('2026-12-01T09:00:00Z'), at('2026-12-01T10:00:20Z'));
      expect(iso(due.fire)).toEqual(['10:00']);
      expect(due.dropped).toBe(0);
      expect(due.next?.toISOString()).toBe('2026-12-01T11:00:00.000Z');
    }
  });

  it('nothing is due between ticks', () => {
    const due = dueTicks(hourly('all'), at('2026-12-01T10:00:00Z'), at('2026-12-01T10:59:59Z'));
    expect(due.fire).toEqual([]);
    expect(due.next?.toISOString()).toBe('2026-12-01T11:00:00.000Z');
  });

  it('after five hours down: all fires every missed tick oldest first, latest the last, none nothing', () => {
    const from = at('2026-12-01T04:00:00Z');
    const now = at('2026-12-01T09:30:00Z');
    expect(iso(dueTicks(hourly('all'), from, now).fire)).toEqual(['05:00', '06:00', '07:00', '08:00', '09:00']);
    const latest = dueTicks(hourly('latest'), from, now);
    expect([iso(latest.fire), latest.dropped]).toEqual([['09:00'], 4]);
    const none = dueTicks(hourly('none'), from, now);
    expect([iso(none.fire), none.dropped]).toEqual([[], 5]);
  });

  it('all is capped by maxCatchup: the most recent ones fire, the older are dropped and counted', () => {
    const due = dueTicks(hourly('all', 2), at('2026-12-01T04:00:00Z'), at('2026-12-01T09:30:00Z'));
    expect(iso(due.fire)).toEqual(['08:00', '09:00']);
    expect(due.dropped).toBe(3);
  });

  it('missed ticks and one on time: latest fires only the one on time; all fires the missed ones first', () => {
    const from = at('2026-12-01T06:00:00Z');
    const now = at('2026-12-01T09:00:30Z');
    expect(iso(dueTicks(hourly('latest'), from, now).fire)).toEqual(['09:00']);
    expect(iso(dueTicks(hourly('all'), from, now).fire)).toEqual(['07:00', '08:00', '09:00']);
  });

  it('a schedule that ticks every second, a week away, is not scanned tick by tick past the cap', () => {
    const everySecond: TickSource = { catchup: 'latest', maxCatchup: 100, next: (after) => new Date((Math.floor(after.getTime() / 1000) + 1) * 1000) };
    const now = at('2026-12-08T00:00:00Z');
    const due = dueTicks(everySecond, at('2026-12-01T00:00:00Z'), now);
    // The last minute is on time (60 ticks), fired; the latest missed one is not, as some are on time.
    expect(due.fire).toHaveLength(60);
    expect(due.fire[due.fire.length - 1]?.toISOString()).toBe('2026-12-08T00:00:00.000Z');
    expect(due.next?.toISOString()).toBe('2026-12-08T00:00:01.000Z');
  });
});
