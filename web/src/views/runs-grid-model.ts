import type { RunNode, TaskState } from '../../../src/api/wire';
import { emptyCounts, familyState, type Counts } from '../graph/model';

/**
 * The grid of runs over time (no DOM: unit-tested): one column per run, oldest left, one row
 * per task as its class and parameters name it, so that runs of one task with the same
 * parameters line up row by row; a class with many tasks in a run (a family) is one row with
 * the state that most needs attention and its counts.
 */

export interface GridCell {
  state: TaskState;
  skipped: boolean;
  /** How long it ran (a family: its longest member), when it ran to an end. */
  ms: number | null;
  /** A family's cell: its members by state. */
  counts?: Counts;
  /** A task's cell: its id in that run. */
  taskId?: string;
}

export interface GridRow {
  key: string;
  label: string;
  /** Parameters as `k=v, k=v`; for a family row, `family: n tasks` (the most in one run). */
  params: string;
  cells: (GridCell | null)[];
}

/** A class with at least this many tasks in one run is one row. */
export const GRID_FAMILY = 10;

function paramsText(params: Record<string, unknown>): string {
  return Object.entries(params).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ');
}

function ranMs(n: RunNode): number | null {
  return !n.skipped && n.started_at !== null && n.ended_at !== null ? Math.max(0, n.ended_at - n.started_at) : null;
}

/**
 * Rows in the order their tasks first appear (requirements before the tasks that need them, as
 * the run recorded them), over `runs` (each a run's nodes, or null where it was not read).
 */
export function gridRows(runs: readonly (readonly RunNode[] | null)[]): GridRow[] {
  const rows = new Map<string, GridRow>();
  const rank = new Map<string, number>();
  runs.forEach((nodes, col) => {
    if (!nodes) return;
    const height = heights(nodes);
    const perClass = new Map<string, number>();
    for (const n of nodes) perClass.set(n.name, (perClass.get(n.name) ?? 0) + 1);
    for (const n of nodes) {
      const family = (perClass.get(n.name) ?? 0) >= GRID_FAMILY;
      const key = family ? `family:${n.name}` : `${n.name} ${paramsText(n.params)}`;
      let row = rows.get(key);
      if (!row) {
        row = { key, label: n.name, params: family ? '' : paramsText(n.params), cells: runs.map(() => null) };
        rows.set(key, row);
      }
      if (family) row.params = `family: ${Math.max(perClass.get(n.name) ?? 0, Number(row.params.replace(/\D/g, '')) || 0)} tasks`;
      rank.set(key, Math.max(rank.get(key) ?? 0, height.get(n.task_id) ?? 0));
      const ms = ranMs(n);
      if (!family) {
        row.cells[col] = { state: n.state, skipped: n.skipped, ms, taskId: n.task_id };
        continue;
      }
      const cell = row.cells[col] ?? { state: n.state, skipped: true, ms: null, counts: emptyCounts() };
      const counts = cell.counts as Counts;
      counts[n.state]++;
      cell.state = familyState(counts);
      cell.skipped = cell.skipped && n.skipped;
      if (ms !== null && (cell.ms === null || ms > cell.ms)) cell.ms = ms;
      row.cells[col] = cell;
    }
  });
  // Requirements above what needs them: by height (0: needs nothing in the run; the most any run gave it), then as first met.
  const order = [...rows.values()];
  return order.map((r, i) => ({ r, i, h: rank.get(r.key) ?? 0 })).sort((a, b) => a.h - b.h || a.i - b.i).map((x) => x.r);
}

/** Each task's height in its run: 0 when it needs none of the run's tasks, else one more than its highest requirement's. */
function heights(nodes: readonly RunNode[]): Map<string, number> {
  const byId = new Map(nodes.map((n) => [n.task_id, n]));
  const out = new Map<string, number>();
  for (const start of nodes) {
    // Depth-first without recursion (a chain of thousands): a node is measured once its requirements are.
    const stack: [RunNode, boolean][] = [[start, false]];
    while (stack.length > 0) {
      const [n, ready] = stack.pop() as [RunNode, boolean];
      if (out.has(n.task_id)) continue;
      if (ready) {
        out.set(n.task_id, n.deps.reduce((m, d) => Math.max(m, (out.get(d) ?? -1) + 1), 0));
        continue;
      }
      stack.push([n, true]);
      for (const d of n.deps) {
        const dep = byId.get(d);
        if (dep && !out.has(d)) stack.push([dep, false]);
      }
    }
  }
  return out;
}
