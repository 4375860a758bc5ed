import type { RunQuery, RunRow, RunStore } from '../../src/store/types';
import { runRow, taskRow } from './run-store-contract';

/** A run of a root task `ref` with these parameters (its root task id made from its own id). */
const rooted = (id: string, createdAt: number, ref: string, params: RunRow['params'], state: RunRow['state'] = 'SUCCEEDED'): RunRow =>
  runRow(id, createdAt, { ref, rootTaskId: `${ref}/${id}`, params, state });

/** The runs every filter case lists from: c and d tie on createdAt (the id breaks it). */
const RUNS: readonly RunRow[] = [
  rooted('a', 1000, 'etl/daily_chain/LoadTask', { date: '2026-12-01', stage: 'transform', n: 5, flag: true }),
  rooted('b', 2000, 'etl/daily_chain/LoadTask', { date: '2026-12-02', stage: 'transform', n: '5', flag: false }, 'FAILED'),
  rooted('c', 3000, 'etl/weekly_chain/LoadTask', { date: '2026-12-01', n: 6, tags: ['a', 'b'], nothing: null, nested: { x: [1, 'y'] } }),
  rooted('d', 3000, 'etl/daily_chain/ExtractTask', { date: '2026-12-01', stage: 'extract' }),
  rooted('e', 4000, 'other/daily_chain/LoadTask', { date: '2026-12-01' }, 'RUNNING'),
  rooted('f', 5000, 'etl/daily_chain/LoadTaskV2', { date: '2026-12-01', n: 5 }),
  rooted('g', 6000, 'etl/daily_chain/XLoadTask', { date: '2026-12-01' }),
];

/** [what, query, the ids listed, newest first]; the total is all of them (no paging). */
export const FILTER_CASES: ReadonlyArray<readonly [string, RunQuery, readonly string[]]> = [
  ['no filter', {}, ['g', 'f', 'e', 'd', 'c', 'b', 'a']],
  ['task: a whole ref, exactly', { task: 'etl/daily_chain/LoadTask' }, ['b', 'a']],
  ['task: a class name (the last segment, not a suffix of it)', { task: 'LoadTask' }, ['e', 'c', 'b', 'a']],
  ['task: the CLI form type/Task, any chain', { task: 'etl/LoadTask' }, ['c', 'b', 'a']],
  ['task: type/Task of another type', { task: 'other/LoadTask' }, ['e']],
  ['task: type/Task is not type/chain', { task: 'etl/daily_chain' }, []],
  ['task: no such ref', { task: 'etl/daily_chain/Nope' }, []],
  ['task: a ref of four segments matches none', { task: 'etl/daily_chain/LoadTask/x' }, []],
  ['params: a string', { params: [['date', '2026-12-01']] }, ['g', 'f', 'e', 'd', 'c', 'a']],
  ['params: a number, or the string of it', { params: [['n', '5']] }, ['f', 'b', 'a']],
  ['params: a boolean', { params: [['flag', 'true']] }, ['a']],
  ['params: false', { params: [['flag', 'false']] }, ['b']],
  ['params: an array as JSON', { params: [['tags', '["a","b"]']] }, ['c']],
  ['params: an object as JSON', { params: [['nested', '{"x":[1,"y"]}']] }, ['c']],
  ['params: null', { params: [['nothing', 'null']] }, ['c']],
  ['params: a string as JSON', { params: [['stage', '"extract"']] }, ['d']],
  ['params: a number is not its string as JSON', { params: [['n', '"5"']] }, ['b']],
  ['params: absent from the run', { params: [['absent', 'x']] }, []],
  ['params: an empty value', { params: [['stage', '']] }, []],
  ['params: every pair must match', { params: [['date', '2026-12-01'], ['stage', 'transform']] }, ['a']],
  ['params: the same name twice, two values', { params: [['n', '5'], ['n', '6']] }, []],
  ['from: inclusive', { from: 3000 }, ['g', 'f', 'e', 'd', 'c']],
  ['to: exclusive', { to: 3000 }, ['b', 'a']],
  ['from and to', { from: 2000, to: 4000 }, ['d', 'c', 'b']],
  ['from = to: an empty range', { from: 3000, to: 3000 }, []],
  ['state with task', { state: 'SUCCEEDED', task: 'LoadTask' }, ['c', 'a']],
  ['state with params', { state: 'FAILED', params: [['stage', 'transform']] }, ['b']],
  ['state with from and to', { state: 'SUCCEEDED', from: 1000, to: 3001 }, ['d', 'c', 'a']],
  ['state, task, params, from and to', { state: 'SUCCEEDED', task: 'etl/LoadTask', params: [['date', '2026-12-01']], from: 1000, to: 6000 }, ['c', 'a']],
];

/**
 * Run listing filters and task histories, the same for every run store: one table of cases,
 * run by each backend's test file with a factory for a fresh, empty store.
 */
export function runFilterContract(name: string, makeStore: () => Promise<{ store: RunStore; cleanup(): Promise<void> }>): void {
  describe(`${name} run filters and task history`, () => {
    let store: RunStore;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ store, cleanup } = await makeStore());
    });
    afterEach(async () => cleanup());

    describe('listRuns filters', () => {
      beforeEach(async () => {
        for (const r of RUNS) await store.putRun(r);
      });
      it.each(FILTER_CASES)('%s', async (_what, q, ids) => {
        const page = await store.listRuns(q);
        expect(page.runs.map((r) => r.id)).toEqual(ids);
        expect(page.total).toBe(ids.length);
        if (ids[0] !== undefined) expect(page.runs[0]).toStrictEqual(RUNS.find((r) => r.id === ids[0]));
      });

      it('pages a filtered listing: total counts every match, pages keep the order', async () => {
        const q: RunQuery = { task: 'LoadTask' };
        const pages = await Promise.all([0, 2, 4].map((offset) => store.listRuns({ ...q, limit: 2, offset })));
        expect(pages.map((p) => p.runs.map((r) => r.id))).toEqual([['e', 'c'], ['b', 'a'], []]);
        expect(pages.map((p) => p.total)).toEqual([4, 4, 4]);
        const one = await store.listRuns({ params: [['date', '2026-12-01']], from: 1000, to: 5000, limit: 1, offset: 2 });
        expect([one.runs.map((r) => r.id), one.total]).toEqual([['c'], 4]);
        const byDate = await store.listRuns({ from: 1000, limit: 3, offset: 1 });
        expect([byDate.runs.map((r) => r.id), byDate.total]).toEqual([['f', 'e', 'd'], 7]);
      });

      it('a run changing state moves between state-filtered listings', async () => {
        await store.putRun({ ...(RUNS[4] as RunRow), state: 'SUCCEEDED', endedAt: 4500 });
        expect((await store.listRuns({ state: 'RUNNING', task: 'LoadTask' })).total).toBe(0);
        expect((await store.listRuns({ state: 'SUCCEEDED', task: 'LoadTask' })).runs.map((r) => r.id)).toEqual(['e', 'c', 'a']);
      });
    });

    it('filters runs over many pages of the store (hundreds of runs, some matching)', async () => {
      const ids = Array.from({ length: 620 }, (_, i) => `r${String(i).padStart(3, '0')}`);
      await Promise.all(ids.map((id, i) => store.putRun(rooted(id, 10_000 + Math.floor(i / 2), i % 3 === 0 ? 'big/c_chain/Even' : 'big/c_chain/Odd', { i, half: i % 2 === 0 }))));
      const want = ids.filter((_, i) => i % 3 === 0 && i % 2 === 0).reverse();
      const all = await store.listRuns({ task: 'Even', params: [['half', 'true']], limit: 500 });
      expect([all.runs.map((r) => r.id), all.total]).toEqual([want, want.length]);
      const page = await store.listRuns({ task: 'big/Even', params: [['half', 'true']], limit: 20, offset: 90 });
      expect([page.runs.map((r) => r.id), page.total]).toEqual([want.slice(90, 110), want.length]);
      const ranged = await store.listRuns({ task: 'Even', from: 10_100, to: 10_200, limit: 500 });
      expect(ranged.runs.map((r) => r.id)).toEqual(ids.filter((_, i) => i % 3 === 0 && i >= 200 && i < 400).reverse());
    });

    it('scans past page boundaries inside runs created in the same millisecond, none twice, none missed', async () => {
      // 300 at 3, then 1,100 at 2 (a whole page and more of one score), then 300 at 1.
      const at = (i: number): number => (i < 300 ? 3 : i < 1400 ? 2 : 1);
      const ids = Array.from({ length: 1700 }, (_, i) => `t${String(i).padStart(4, '0')}`);
      for (let i = 0; i < ids.length; i += 200) {
        await Promise.all(ids.slice(i, i + 200).map((id, j) => store.putRun(rooted(id, at(i + j), 'big/c_chain/Tie', { odd: (i + j) % 2 === 1 }))));
      }
      const want = [...ids].sort((a, b) => at(ids.indexOf(b)) - at(ids.indexOf(a)) || (a < b ? 1 : -1));
      const all: string[] = [];
      for (let offset = 0; offset < 1700; offset += 500) {
        const page = await store.listRuns({ task: 'Tie', limit: 500, offset });
        expect(page.total).toBe(1700);
        all.push(...page.runs.map((r) => r.id));
      }
      expect(all).toEqual(want);
      const odd = await store.listRuns({ task: 'Tie', params: [['odd', 'true']], limit: 10, offset: 845 });
      expect([odd.runs.map((r) => r.id), odd.total]).toEqual([want.filter((id) => Number(id.slice(1)) % 2 === 1).slice(845, 855), 850]);
    });

    describe('taskRuns', () => {
      const X = 'etl/daily_chain/LoadTask/0123456789abcdef0123456789abcdef';

      it('lists the runs that recorded a task, newest run first (not by write order), root or dependency', async () => {
        await store.putRun(runRow('r1', 1000, { rootTaskId: X, ref: 'etl/daily_chain/LoadTask', state: 'SUCCEEDED' }));
        for (const [id, at] of [['r2', 2000], ['r3', 2000], ['r4', 3000]] as const) await store.putRun(runRow(id, at, { state: 'SUCCEEDED' }));
        await store.putRun(runRow('other', 4000)); // does not have the task
        await store.putTasks([taskRow('r4', X, { state: 'DONE', skipped: true, attempts: 0, endedAt: 3001 }), taskRow('other', 'etl/daily_chain/Other/1')]);
        await store.putTasks([taskRow('r1', X, { state: 'FAILED', attempts: 2, startedAt: 1001, endedAt: 1002, error: { name: 'Error', message: 'boom' } })]);
        await store.putTasks([taskRow('r3', X, { state: 'RUNNING', attempts: 1, startedAt: 2001 }), taskRow('r2', X)]);
        await store.putTasks([taskRow('r2', X, { state: 'DONE', attempts: 1, startedAt: 2002, endedAt: 2003 })]); // written again: once, as now
        await store.putTasks([taskRow('ghost', X)]); // a run never recorded: left out

        const all = await store.taskRuns(X, 20);
        expect(all.map((x) => x.run.id)).toEqual(['r4', 'r3', 'r2', 'r1']);
        expect(all.map((x) => x.run.rootTaskId === X)).toEqual([false, false, false, true]);
        expect(all[0]).toStrictEqual({ run: runRow('r4', 3000, { state: 'SUCCEEDED' }), task: taskRow('r4', X, { state: 'DONE', skipped: true, attempts: 0, endedAt: 3001 }) });
        expect(all[2]?.task).toStrictEqual(taskRow('r2', X, { state: 'DONE', attempts: 1, startedAt: 2002, endedAt: 2003 }));
        expect(all[3]?.task).toMatchObject({ state: 'FAILED', error: { message: 'boom' } });

        expect((await store.taskRuns(X, 2)).map((x) => x.run.id)).toEqual(['r4', 'r3']);
        expect((await store.taskRuns(X, 0)).map((x) => x.run.id)).toEqual(['r4']); // clamped to 1
        expect(await store.taskRuns('etl/daily_chain/LoadTask/ffffffffffffffffffffffffffffffff', 20)).toEqual([]);
      });

      it('a pruned run leaves the history of its tasks', async () => {
        await store.putRun(runRow('old', 1000, { state: 'SUCCEEDED' }));
        await store.putRun(runRow('new', 5000, { state: 'SUCCEEDED' }));
        await store.putTasks([taskRow('old', X), taskRow('new', X), taskRow('old', 'etl/daily_chain/OnlyOld/1')]);
        expect(await store.pruneRuns(3000)).toBe(1);
        expect((await store.taskRuns(X, 20)).map((x) => x.run.id)).toEqual(['new']);
        expect(await store.taskRuns('etl/daily_chain/OnlyOld/1', 20)).toEqual([]);
      });
    });
  });
}
