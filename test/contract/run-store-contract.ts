import type { RunRow, RunStore, TaskRow } from '../../src/store/types';

/** A run row with test defaults. */
export const runRow = (id: string, createdAt: number, extra: Partial<RunRow> = {}): RunRow => ({
  id,
  rootTaskId: `testing/a_chain/Root/${id}`,
  ref: 'testing/a_chain/Root',
  params: { n: 1, tags: ['a', 'b'], nested: { x: null } },
  state: 'QUEUED',
  createdAt,
  ...extra,
});

/** A task row with test defaults. */
export const taskRow = (runId: string, taskId: string, extra: Partial<TaskRow> = {}): TaskRow => ({
  runId,
  taskId,
  name: taskId.split('/')[2] ?? 'T',
  params: { i: 1 },
  state: 'PENDING',
  skipped: false,
  attempts: 0,
  deps: [],
  ...extra,
});

/**
 * The contract every run store meets (SQLite by default, Redis in distributed mode): one shared
 * suite, run by each backend's test file with a factory for a fresh, empty store.
 */
export function runStoreContract(name: string, makeStore: () => Promise<{ store: RunStore; cleanup(): Promise<void> }>): void {
  const run = runRow;
  const task = taskRow;

  describe(`${name} run store contract`, () => {
    let store: RunStore;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ store, cleanup } = await makeStore());
    });
    afterEach(async () => cleanup());

    it('round-trips a run with and without optional fields, and replaces on put', async () => {
      const full = run('r1', 100, {
        state: 'FAILED',
        startedAt: 110,
        endedAt: 120,
        error: { name: 'Error', message: 'boom', code: 'TASK_FAILED', stack: 'Error: boom\n  at x' },
        counts: { DONE: 3, FAILED: 1 },
        interrupted: false,
      });
      const bare = run('r2', 200);
      await store.putRun(full);
      await store.putRun(bare);
      expect(await store.getRun('r1')).toStrictEqual(full);
      const got = await store.getRun('r2');
      expect(got).toStrictEqual(bare);
      expect(Object.keys(got ?? {}).sort()).toEqual(['createdAt', 'id', 'params', 'ref', 'rootTaskId', 'state']);
      expect(await store.getRun('nope')).toBeUndefined();

      await store.putRun(run('r1', 100, { state: 'RUNNING', startedAt: 111 }));
      expect(await store.getRun('r1')).toStrictEqual(run('r1', 100, { state: 'RUNNING', startedAt: 111 }));
    });

    it('keeps the owner, in gets and listings, and a put without one clears it', async () => {
      await store.putRun(run('o', 1, { state: 'RUNNING', owner: 'server-a' }));
      expect(await store.getRun('o')).toStrictEqual(run('o', 1, { state: 'RUNNING', owner: 'server-a' }));
      expect((await store.listRuns({})).runs[0]?.owner).toBe('server-a');
      await store.putRun(run('o', 1, { state: 'RUNNING', owner: 'server-b' }));
      expect((await store.getRun('o'))?.owner).toBe('server-b');
      await store.putRun(run('o', 1, { state: 'SUCCEEDED' }));
      expect(await store.getRun('o')).toStrictEqual(run('o', 1, { state: 'SUCCEEDED' }));
    });

    it('upserts tasks keeping first-insert order while updating state and attempts', async () => {
      await store.putRun(run('r', 1));
      await store.putTasks([task('r', 't/c/A/1'), task('r', 't/c/B/1', { deps: ['t/c/A/1'] }), task('r', 't/c/C/1')]);
      await store.putTasks([
        task('r', 't/c/C/1', { state: 'RUNNING', attempts: 2, startedAt: 50 }),
        task('r', 't/c/A/1', { state: 'DONE', skipped: true, attempts: 1, startedAt: 10, endedAt: 20 }),
        task('r', 't/c/D/1'),
      ]);
      await store.putTasks([]);
      const rows = await store.getTasks('r');
      expect(rows.map((t) => t.taskId)).toEqual(['t/c/A/1', 't/c/B/1', 't/c/C/1', 't/c/D/1']);
      expect(rows[0]).toStrictEqual(task('r', 't/c/A/1', { state: 'DONE', skipped: true, attempts: 1, startedAt: 10, endedAt: 20 }));
      expect(rows[1]).toStrictEqual(task('r', 't/c/B/1', { deps: ['t/c/A/1'] }));
      expect(rows[2]).toMatchObject({ state: 'RUNNING', attempts: 2, startedAt: 50 });
      expect(rows[2]).not.toHaveProperty('endedAt');
      expect(rows[2]).not.toHaveProperty('error');
      expect(await store.getTasks('other')).toEqual([]);
    });

    it('applies task writes in call order even when they are not awaited one by one', async () => {
      const writes = [
        store.putTasks([task('r', 'A'), task('r', 'B')]),
        store.putTasks([task('r', 'A', { state: 'RUNNING', attempts: 1 })]),
        store.putTasks([task('r', 'A', { state: 'DONE', attempts: 1 }), task('r', 'C')]),
      ];
      await Promise.all(writes);
      const rows = await store.getTasks('r');
      expect(rows.map((t) => [t.taskId, t.state])).toEqual([
        ['A', 'DONE'],
        ['B', 'PENDING'],
        ['C', 'PENDING'],
      ]);
    });

    it('lists runs newest first with paging, a state filter, a filtered total and a clamped limit', async () => {
      const states = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'SUCCEEDED', 'SUCCEEDED', 'CANCELLED'] as const;
      for (const [i, state] of states.entries()) await store.putRun(run(`r${i}`, 1000 + i * 10, { state }));
      await store.putRun(run('r9', 1060, { state: 'SUCCEEDED' })); // ties r6 on createdAt: id breaks it

      const all = await store.listRuns({});
      expect(all.total).toBe(8);
      expect(all.runs.map((r) => r.id)).toEqual(['r9', 'r6', 'r5', 'r4', 'r3', 'r2', 'r1', 'r0']);
      const got = await Promise.all([0, 3, 6].map((offset) => store.listRuns({ limit: 3, offset })));
      expect(got.map((p) => p.runs.map((r) => r.id))).toEqual([['r9', 'r6', 'r5'], ['r4', 'r3', 'r2'], ['r1', 'r0']]);
      expect(got.every((p) => p.total === 8)).toBe(true);
      expect((await store.listRuns({ offset: 100 })).runs).toEqual([]);

      const ok = await store.listRuns({ state: 'SUCCEEDED', limit: 2 });
      expect(ok.total).toBe(4);
      expect(ok.runs.map((r) => r.id)).toEqual(['r9', 'r5']);
      expect((await store.listRuns({ state: 'QUEUED' })).runs.map((r) => r.id)).toEqual(['r0']);

      expect((await store.listRuns({ limit: 0 })).runs).toHaveLength(1);
      expect((await store.listRuns({ limit: -5, offset: -3 })).runs.map((r) => r.id)).toEqual(['r9']);
      expect((await store.listRuns({ limit: Number.NaN })).runs).toHaveLength(8);
    });

    it('moves a run from one state filter to another when its state changes', async () => {
      await store.putRun(run('a', 1, { state: 'QUEUED' }));
      await store.putRun(run('b', 2, { state: 'QUEUED' }));
      await store.putRun(run('a', 1, { state: 'RUNNING', startedAt: 3 }));
      await store.putRun(run('a', 1, { state: 'SUCCEEDED', startedAt: 3, endedAt: 4 }));
      const ids = async (state?: RunRow['state']) => (await store.listRuns(state === undefined ? {} : { state })).runs.map((r) => r.id);
      expect(await ids('QUEUED')).toEqual(['b']);
      expect(await ids('RUNNING')).toEqual([]);
      expect(await ids('SUCCEEDED')).toEqual(['a']);
      expect(await ids()).toEqual(['b', 'a']);
      expect((await store.listRuns({ state: 'QUEUED' })).total).toBe(1);
      expect((await store.listRuns({})).total).toBe(2);
    });

    it('clamps the limit to 500 and defaults it to 50', async () => {
      await Promise.all(Array.from({ length: 510 }, (_, i) => store.putRun(run(`r${String(i).padStart(3, '0')}`, i))));
      expect((await store.listRuns({ limit: 10_000 })).runs).toHaveLength(500);
      const first = await store.listRuns({});
      expect(first.runs).toHaveLength(50);
      expect(first.total).toBe(510);
      expect(first.runs[0]?.id).toBe('r509');
    });

    it('latestTask returns the most recently written row across runs', async () => {
      const X = 'testing/a_chain/X/abc';
      await store.putTasks([task('run1', X, { state: 'RUNNING' }), task('run1', 'other')]);
      await store.putTasks([task('run2', X, { state: 'DONE' })]);
      expect(await store.latestTask(X)).toMatchObject({ runId: 'run2', state: 'DONE' });
      await store.putTasks([task('run1', X, { state: 'FAILED', attempts: 3 })]);
      expect(await store.latestTask(X)).toMatchObject({ runId: 'run1', state: 'FAILED', attempts: 3 });
      await store.putTasks([task('run1', 'other', { state: 'DONE' })]); // another task id does not count
      expect((await store.latestTask(X))?.runId).toBe('run1');
      await store.putTasks([task('run3', X), task('run4', X, { state: 'RUNNING' })]); // the later row of one batch wins
      expect(await store.latestTask(X)).toStrictEqual(task('run4', X, { state: 'RUNNING' }));
      expect(await store.latestTask('missing')).toBeUndefined();
    });

    it('latestTasks answers latestTask for many ids at once', async () => {
      const ids = Array.from({ length: 2500 }, (_, i) => `testing/a_chain/X/${String(i).padStart(4, '0')}`);
      await store.putTasks(ids.filter((_, i) => i % 3 !== 0).map((id, i) => task('run1', id, { state: 'FAILED', params: { i } })));
      await store.putTasks(ids.filter((_, i) => i % 5 === 1).map((id) => task('run2', id, { state: 'DONE' })));
      await store.putTasks([task('run3', 'testing/a_chain/Y/other', { state: 'RUNNING' })]); // not asked for
      const asked = [...ids, 'missing', ids[1] as string]; // an id with no record, one given twice
      const latest = await store.latestTasks(asked);
      expect(latest.size).toBe(ids.filter((_, i) => i % 3 !== 0 || i % 5 === 1).length);
      for (const id of [...asked.filter((_, i) => i % 7 === 0), ...asked.slice(-3), 'testing/a_chain/Y/other']) {
        const one = await store.latestTask(id);
        if (asked.includes(id)) expect(latest.get(id)).toStrictEqual(one);
        else expect(latest.has(id)).toBe(false);
      }
      expect(latest.get(ids[1] as string)).toMatchObject({ runId: 'run2', state: 'DONE' });
      expect(latest.get(ids[2] as string)).toMatchObject({ runId: 'run1', state: 'FAILED' });
      expect(latest.has(ids[0] as string)).toBe(false);
      expect(await store.latestTasks([])).toEqual(new Map());
    });

    it('markInterrupted fails only QUEUED/RUNNING runs of no live owner and settles their PENDING/RUNNING tasks', async () => {
      const done = run('s', 1, { state: 'SUCCEEDED', startedAt: 2, endedAt: 3, counts: { DONE: 1 } });
      await store.putRun(run('q', 4, { state: 'QUEUED' }));
      await store.putRun(run('r', 5, { state: 'RUNNING', startedAt: 6, owner: 'stopped-server' }));
      await store.putRun(done);
      await store.putRun(run('f', 7, { state: 'FAILED', endedAt: 8 }));
      await store.putTasks([
        task('r', 'A', { state: 'DONE', attempts: 1, startedAt: 6, endedAt: 7 }),
        task('r', 'B', { state: 'RUNNING', attempts: 1, startedAt: 7 }),
        task('r', 'C', { state: 'PENDING' }),
        task('q', 'D', { state: 'PENDING' }),
        task('s', 'E', { state: 'PENDING' }),
        task('f', 'F', { state: 'RUNNING' }),
      ]);

      expect(await store.markInterrupted(1000)).toEqual(['q', 'r']);
      for (const id of ['q', 'r']) {
        expect(await store.getRun(id)).toMatchObject({
          state: 'FAILED',
          interrupted: true,
          endedAt: 1000,
          error: { name: 'NectarError', code: 'INTERRUPTED', message: 'the server stopped while this run was in flight: retry it' },
        });
      }
      expect((await store.getRun('r'))?.owner).toBe('stopped-server');
      expect((await store.getRun('r'))?.startedAt).toBe(6);
      expect(await store.getRun('s')).toStrictEqual(done);
      expect(await store.getRun('f')).toStrictEqual(run('f', 7, { state: 'FAILED', endedAt: 8 }));
      expect((await store.listRuns({ state: 'FAILED' })).runs.map((r) => r.id)).toEqual(['f', 'r', 'q']);
      expect((await store.listRuns({ state: 'RUNNING' })).total).toBe(0);
      expect((await store.listRuns({ state: 'QUEUED' })).total).toBe(0);

      const [a, b, c] = await store.getTasks('r');
      expect(a).toStrictEqual(task('r', 'A', { state: 'DONE', attempts: 1, startedAt: 6, endedAt: 7 }));
      expect(b).toStrictEqual(
        task('r', 'B', {
          state: 'FAILED',
          attempts: 1,
          startedAt: 7,
          endedAt: 1000,
          error: { name: 'NectarError', code: 'INTERRUPTED', message: 'the server stopped while this task ran' },
        }),
      );
      expect(c).toStrictEqual(task('r', 'C', { state: 'CANCELLED' }));
      expect((await store.getTasks('q'))[0]?.state).toBe('CANCELLED');
      expect((await store.getTasks('s'))[0]?.state).toBe('PENDING');
      expect((await store.getTasks('f'))[0]?.state).toBe('RUNNING');
      expect(await store.markInterrupted(2000)).toEqual([]);
    });

    it('prunes finished runs created before a time with their task rows, never one in flight; keeps stale reasons until then', async () => {
      await store.putRun(run('old-done', 1000, { state: 'SUCCEEDED', endedAt: 1500 }));
      await store.putRun(run('old-failed', 1100, { state: 'FAILED', endedAt: 1200 }));
      await store.putRun(run('old-running', 1000, { state: 'RUNNING' }));
      await store.putRun(run('old-queued', 1050, { state: 'QUEUED' }));
      await store.putRun(run('new-done', 5000, { state: 'SUCCEEDED', endedAt: 5100 }));
      await store.putTasks([
        task('old-done', 't/c/A/1', { state: 'DONE', stale: ['upstream B rebuilt 2026-11-30T02:00:00Z'] }),
        task('old-done', 't/c/B/1', { state: 'DONE' }),
        task('old-running', 't/c/C/1', { state: 'RUNNING' }),
        task('new-done', 't/c/B/1', { state: 'DONE' }),
      ]);
      expect((await store.getTasks('old-done')).map((t) => t.stale ?? null)).toEqual([['upstream B rebuilt 2026-11-30T02:00:00Z'], null]);
      expect(await store.pruneRuns(3000)).toBe(2);
      expect(await store.getRun('old-done')).toBeUndefined();
      expect(await store.getRun('old-failed')).toBeUndefined();
      expect(await store.getTasks('old-done')).toEqual([]);
      for (const id of ['old-running', 'old-queued', 'new-done']) expect((await store.getRun(id))?.id).toBe(id);
      expect((await store.getTasks('old-running')).map((t) => t.taskId)).toEqual(['t/c/C/1']);
      // A task's latest record: gone with its only run, kept where a newer run has it.
      expect(await store.latestTask('t/c/A/1')).toBeUndefined();
      expect((await store.latestTask('t/c/B/1'))?.runId).toBe('new-done');
      const { runs, total } = await store.listRuns({});
      expect([runs.map((r) => r.id).sort(), total]).toEqual([['new-done', 'old-queued', 'old-running'], 3]);
      expect(await store.pruneRuns(3000)).toBe(0);
    });

    it('closes more than once without complaint', async () => {
      await store.putRun(run('c', 1));
      await store.close();
      await store.close();
    });
  });
}
