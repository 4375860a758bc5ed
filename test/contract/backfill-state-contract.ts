import type { BackfillRow, RunStore } from '../../src/store/types';

/** What every run store keeps of backfills: rows that survive a restart, partitions in value order. */
export function backfillStateContract(name: string, makeStore: () => Promise<{ store: RunStore; cleanup(): Promise<void> }>): void {
  describe(`${name} backfill state contract`, () => {
    let store: RunStore;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ store, cleanup } = await makeStore());
    });
    afterEach(async () => cleanup());

    const row = (id: string, createdAt: number, extra: Partial<BackfillRow> = {}): BackfillRow => ({
      id, ref: 'sales/daily_chain/DayTask', over: 'day', values: ['2012-01-02', '2012-01-01', '2012-01-03'], params: { region: 'eu' },
      concurrency: 4, range: '2012-01-01..2012-01-03 by day', state: 'RUNNING', createdAt, ...extra,
    });

    it('round-trips a backfill and lists newest first', async () => {
      await store.putBackfill(row('b1', 10));
      await store.putBackfill(row('b2', 20, { state: 'FAILED', endedAt: 30, owner: 'srv-a' }));
      expect(await store.getBackfill('b1')).toStrictEqual(row('b1', 10));
      expect(await store.getBackfill('b2')).toStrictEqual(row('b2', 20, { state: 'FAILED', endedAt: 30, owner: 'srv-a' }));
      expect(await store.getBackfill('nope')).toBeUndefined();
      const page = await store.listBackfills({});
      expect([page.backfills.map((b) => b.id), page.total]).toEqual([['b2', 'b1'], 2]);
      expect((await store.listBackfills({ limit: 1, offset: 1 })).backfills.map((b) => b.id)).toEqual(['b1']);
      await store.putBackfill(row('b1', 10, { state: 'SUCCEEDED', endedAt: 99 }));
      expect((await store.getBackfill('b1'))?.state).toBe('SUCCEEDED');
    });

    it('keeps partitions in the order of the values, PENDING until written, replaced on put', async () => {
      await store.putBackfill(row('b', 1));
      expect((await store.getBackfillParts('b')).map((p) => [p.value, p.state])).toEqual([
        ['2012-01-02', 'PENDING'],
        ['2012-01-01', 'PENDING'],
        ['2012-01-03', 'PENDING'],
      ]);
      await store.putBackfillParts([
        { backfillId: 'b', value: '2012-01-01', state: 'RUNNING', runId: 'r1' },
        { backfillId: 'b', value: '2012-01-03', state: 'FAILED', runId: 'r3' },
      ]);
      await store.putBackfillParts([{ backfillId: 'b', value: '2012-01-01', state: 'DONE', runId: 'r1' }]);
      expect(await store.getBackfillParts('b')).toStrictEqual([
        { backfillId: 'b', value: '2012-01-02', state: 'PENDING' },
        { backfillId: 'b', value: '2012-01-01', state: 'DONE', runId: 'r1' },
        { backfillId: 'b', value: '2012-01-03', state: 'FAILED', runId: 'r3' },
      ]);
    });

    it('writes thousands of partitions in one call', async () => {
      const values = Array.from({ length: 3650 }, (_, i) => `v${i}`);
      await store.putBackfill(row('big', 1, { values }));
      await store.putBackfillParts(values.map((value, i) => ({ backfillId: 'big', value, state: i % 2 ? 'DONE' : 'FAILED', runId: `r${i}` })));
      const parts = await store.getBackfillParts('big');
      expect(parts).toHaveLength(3650);
      expect(parts[3649]).toStrictEqual({ backfillId: 'big', value: 'v3649', state: 'DONE', runId: 'r3649' });
    });
  });
}
