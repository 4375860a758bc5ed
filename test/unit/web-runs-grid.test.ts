import type { RunNode } from '../../src/api/wire';
import { GRID_FAMILY, gridRows } from '../../web/src/views/runs-grid-model';

const hash = (i: number): string => i.toString(16).padStart(32, '0');
const node = (name: string, i: number, deps: string[], extra: Partial<RunNode> = {}): RunNode => ({
  task_id: `t/c/${name}/${hash(i)}`, name, params: { i }, state: 'DONE', skipped: false, attempts: 1,
  started_at: 0, ended_at: 10 * i, duration_ms: 10 * i, error: null, deps, stale: null, ...extra,
});

describe('the grid of runs over time', () => {
  test('runs of one task line up row by row, requirements first, a missing task an empty cell', () => {
    const src = node('Source', 1, []);
    const mid = node('Mid', 2, [src.task_id]);
    const root = node('Root', 3, [mid.task_id]);
    const second = [{ ...root, state: 'FAILED' as const }, { ...mid, state: 'FAILED' as const }, { ...src, skipped: true }];
    const rows = gridRows([[root, mid, src], null, second, [root]]);
    expect(rows.map((r) => r.label)).toEqual(['Source', 'Mid', 'Root']);
    expect(rows[0]?.params).toBe('i=1');
    const mids = rows[1]?.cells.map((c) => c && [c.state, c.ms, c.taskId]);
    expect(mids).toEqual([['DONE', 20, mid.task_id], null, ['FAILED', 20, mid.task_id], null]);
    expect(rows[0]?.cells[2]).toMatchObject({ state: 'DONE', skipped: true, ms: null });
  });

  test('a class with many tasks in a run is one row: the state that most needs attention, counts, the longest run', () => {
    const leaves = Array.from({ length: GRID_FAMILY }, (_, i) => node('Leaf', 10 + i, [], i === 3 ? { state: 'FAILED' } : {}));
    const root = node('Root', 1, leaves.map((l) => l.task_id), { state: 'UPSTREAM_FAILED', started_at: null, ended_at: null });
    const rows = gridRows([[root, ...leaves]]);
    expect(rows.map((r) => [r.label, r.params])).toEqual([['Leaf', `family: ${GRID_FAMILY} tasks`], ['Root', 'i=1']]);
    const cell = rows[0]?.cells[0];
    expect(cell?.state).toBe('FAILED');
    expect(cell?.counts?.FAILED).toBe(1);
    expect(cell?.counts?.DONE).toBe(GRID_FAMILY - 1);
    expect(cell?.ms).toBe(10 * (10 + GRID_FAMILY - 1));
    expect(cell?.taskId).toBeUndefined();
    expect(rows[1]?.cells[0]).toMatchObject({ state: 'UPSTREAM_FAILED', ms: null });
  });
});
