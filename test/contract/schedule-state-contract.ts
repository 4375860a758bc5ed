import type { RunStore } from '../../src/store/types';
import { runRow } from './run-store-contract';

/**
 * What every run store keeps of schedules (their state survives restarts and is shared by
 * servers) and of the runs their ticks make: one suite, run by each backend's test file.
 */
export function scheduleStateContract(name: string, makeStore: () => Promise<{ store: RunStore; cleanup(): Promise<void> }>): void {
  describe(`${name} schedule state contract`, () => {
    let store: RunStore;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ store, cleanup } = await makeStore());
    });
    afterEach(async () => cleanup());

    const KEY = 'elections/elections_chain/DailyTask/nightly';

    it('creates a state on first sight with the cursor at now, and leaves an existing one alone', async () => {
      expect(await store.listSchedules()).toEqual([]);
      const first = await store.initSchedule(KEY, 1_700_000_000_000);
      expect(first).toStrictEqual({ key: KEY, paused: false, cursor: 1_700_000_000_000, updatedAt: 1_700_000_000_000, deadlineCursor: 1_700_000_000_000 });
      expect(await store.initSchedule(KEY, 1_800_000_000_000)).toStrictEqual(first);
      await store.initSchedule('b/b_chain/B/hourly', 5);
      expect((await store.listSchedules()).map((s) => s.key)).toEqual(['b/b_chain/B/hourly', KEY]);
    });

    it('claims each tick once: a tick at or before the cursor, or while paused, is refused', async () => {
      await store.initSchedule(KEY, 1000);
      expect(await store.claimTick(KEY, 1000, 1001, 'run-a')).toBe(false); // at the cursor: dealt with
      expect(await store.claimTick(KEY, 2000, 2001, 'run-a')).toBe(true);
      expect(await store.claimTick(KEY, 2000, 2002, 'run-b')).toBe(false);
      expect(await store.claimTick(KEY, 1500, 2003, 'run-c')).toBe(false);
      let [s] = await store.listSchedules();
      expect(s).toStrictEqual({ key: KEY, paused: false, cursor: 2000, lastTick: 2000, lastRunId: 'run-a', updatedAt: 2001, deadlineCursor: 1000 });
      // Without a run id the cursor moves past ticks let go; the last fired tick stays.
      expect(await store.claimTick(KEY, 3000, 3001)).toBe(true);
      [s] = await store.listSchedules();
      expect(s).toMatchObject({ cursor: 3000, lastTick: 2000, lastRunId: 'run-a' });
      await store.setPaused(KEY, true, 3500);
      expect(await store.claimTick(KEY, 4000, 4001, 'run-d')).toBe(false);
    });

    it('of many claims of one tick at once, exactly one wins', async () => {
      await store.initSchedule(KEY, 0);
      const wins = await Promise.all(Array.from({ length: 20 }, (_, i) => store.claimTick(KEY, 60_000, 60_001, `run-${i}`)));
      expect(wins.filter(Boolean)).toHaveLength(1);
    });

    it('a claim of a schedule with no state creates it', async () => {
      expect(await store.claimTick(KEY, 5000, 5001, 'r')).toBe(true);
      expect(await store.listSchedules()).toStrictEqual([{ key: KEY, paused: false, cursor: 5000, lastTick: 5000, lastRunId: 'r', updatedAt: 5001, deadlineCursor: 4999 }]);
    });

    it('pauses, and resumes with the cursor moved to now: ticks that fell while paused are not fired', async () => {
      await store.initSchedule(KEY, 1000);
      expect(await store.setPaused(KEY, true, 2000)).toStrictEqual({ key: KEY, paused: true, cursor: 1000, updatedAt: 2000, deadlineCursor: 1000 });
      const resumed = await store.setPaused(KEY, false, 9000);
      expect(resumed).toStrictEqual({ key: KEY, paused: false, cursor: 9000, updatedAt: 9000, deadlineCursor: 1000 });
      expect(await store.claimTick(KEY, 5000, 9001, 'r')).toBe(false);
      expect(await store.claimTick(KEY, 10_000, 10_001, 'r')).toBe(true);
      // Resuming a schedule that is not paused leaves a later cursor where it is.
      expect((await store.setPaused(KEY, false, 9500)).cursor).toBe(10_000);
      // Pausing one never seen creates it, paused.
      expect(await store.setPaused('x/x_chain/X/s', true, 7)).toStrictEqual({ key: 'x/x_chain/X/s', paused: true, cursor: 7, updatedAt: 7, deadlineCursor: 7 });
    });

    it('claims each deadline check once, and keeps missed deadlines by task id', async () => {
      await store.initSchedule(KEY, 1000);
      const wins = await Promise.all(Array.from({ length: 10 }, () => store.claimDeadline(KEY, 2000, 2001)));
      expect(wins.filter(Boolean)).toHaveLength(1);
      expect(await store.claimDeadline(KEY, 1500, 2002)).toBe(false);
      expect(await store.claimDeadline(KEY, 3000, 3001)).toBe(true);
      expect((await store.listSchedules())[0]?.deadlineCursor).toBe(3000);
      expect(await store.deadlineMisses(['a', 'b'])).toEqual(new Set());
      await store.putDeadlineMiss({ taskId: 'a', key: KEY, tick: 2000, deadline: 2500 });
      await store.putDeadlineMiss({ taskId: 'a', key: KEY, tick: 2000, deadline: 2600 });
      expect(await store.deadlineMisses(['a', 'b'])).toEqual(new Set(['a']));
      expect(await store.deadlineMisses([])).toEqual(new Set());
      // Thousands of ids (a partitions grid's) at once, one given twice.
      expect(await store.deadlineMisses([...Array.from({ length: 3000 }, (_, i) => `t${i}`), 'a', 'a'])).toEqual(new Set(['a']));
    });

    it('keeps a run trigger, a SKIPPED state and the run a skipped tick joined', async () => {
      const fired = runRow('t1', 10, { state: 'SKIPPED', trigger: { kind: 'schedule', schedule: 'nightly', tick: 1_767_225_600_000 }, joined: 'other', endedAt: 11 });
      const manual = runRow('t2', 20, { trigger: { kind: 'schedule', schedule: 'nightly', tick: 1_767_225_600_123, manual: true } });
      await store.putRun(fired);
      await store.putRun(manual);
      expect(await store.getRun('t1')).toStrictEqual(fired);
      expect(await store.getRun('t2')).toStrictEqual(manual);
      expect((await store.listRuns({ state: 'SKIPPED' })).runs.map((r) => r.id)).toEqual(['t1']);
    });
  });
}
