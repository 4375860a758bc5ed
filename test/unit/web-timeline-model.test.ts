import { type NodeJson, RunGraph } from '../../web/src/graph/model';
import { ran, waited } from '../../web/src/timeline/facts';
import { concurrency, criticalPath, offsetLabel, readyAt, tickStep, timelineRows } from '../../web/src/timeline/model';

const hash = (i: number): string => i.toString(16).padStart(32, '0');
/** A finished task: started at `start`, ended at `end` (ms after 0), needing `deps`. */
const done = (id: string, start: number | null, end: number | null, deps: string[] = [], extra: Partial<NodeJson> = {}): NodeJson => ({
  task_id: id, name: id.split('/')[2] as string, params: {}, state: 'DONE', skipped: false, attempts: 1,
  started_at: start, ended_at: end, error: null, deps, stale: null, ...extra,
});

const A = `t/c/A/${hash(1)}`;
const B = `t/c/B/${hash(2)}`;
const C = `t/c/C/${hash(3)}`;
const ROOT = `t/c/Root/${hash(4)}`;

function graph(nodes: NodeJson[]): RunGraph {
  const g = new RunGraph(true);
  g.reset(nodes);
  return g;
}

describe('the timeline model', () => {
  // A (0–100) and B (0–300) are needed by C (starts 350 after waiting, ends 400); Root needs C and A.
  const g = graph([done(A, 0, 100), done(B, 0, 300), done(C, 350, 400, [A, B]), done(ROOT, 410, 420, [C, A])]);

  test('a task was ready when the last of what it needed ended, or when the run started', () => {
    expect(readyAt(g.tasks.get(A)!, g.tasks, 0)).toBe(0);
    expect(readyAt(g.tasks.get(C)!, g.tasks, 0)).toBe(300);
    expect(readyAt(g.tasks.get(ROOT)!, g.tasks, 0)).toBe(400);
  });

  test('a requirement asked for while the task ran (a dynamic one) does not make it ready later', () => {
    const d = graph([done(A, 0, 100), done(B, 150, 250), done(C, 100, 300, [A, B])]);
    expect(readyAt(d.tasks.get(C)!, d.tasks, 0)).toBe(100);
  });

  test('a task still waiting for a requirement is not ready; a pending one with all it needs is', () => {
    const p = graph([done(A, 0, null, [], { state: 'RUNNING' }), done(B, null, null, [A], { state: 'PENDING' }), done(C, null, null, [], { state: 'PENDING' })]);
    expect(readyAt(p.tasks.get(B)!, p.tasks, 0)).toBeNull();
    expect(readyAt(p.tasks.get(C)!, p.tasks, 0)).toBe(0);
  });

  test('the critical path goes back from the task that ended last through the requirement that ended last', () => {
    expect(criticalPath(g.tasks).map((t) => t.name)).toEqual(['B', 'C', 'Root']);
    expect(criticalPath(graph([]).tasks)).toEqual([]);
  });

  test('rows come in the order they started, each with its wait and run', () => {
    const { rows } = timelineRows(g.tasks, { runStart: 0, expanded: new Set() });
    expect(rows.map((r) => [r.label, r.critical])).toEqual([['A', false], ['B', true], ['C', true], ['Root', true]]);
    const c = rows[2]!;
    expect([waited(c), ran(c, 0)]).toEqual([50, 50]);
  });

  test('a big family is one row (its span, counts and spread of durations) until opened', () => {
    const leaves = Array.from({ length: 12 }, (_, i) => done(`t/c/Leaf/${hash(10 + i)}`, i * 10, i * 10 + 10 + i, [], { params: { i } }));
    const f = graph([...leaves, done(ROOT, 200, 210, leaves.map((l) => l.task_id))]);
    const closed = timelineRows(f.tasks, { runStart: 0, expanded: new Set() }).rows;
    expect(closed.map((r) => r.label)).toEqual(['Leaf ×12', 'Root']);
    const fam = closed[0]!;
    expect([fam.start, fam.end, fam.critical]).toEqual([0, 131, true]);
    expect(fam.family?.durations).toEqual({ min: 10, median: 15.5, max: 21 });
    expect(fam.family?.counts.DONE).toBe(12);
    const open = timelineRows(f.tasks, { runStart: 0, expanded: new Set(['t/c/Leaf']) }).rows;
    expect(open).toHaveLength(14);
    expect(open.slice(1, 13).every((r) => r.member)).toBe(true);
    expect(timelineRows(f.tasks, { runStart: 0, expanded: 'all' }).rows).toHaveLength(14);
    // Only the critical path: the last leaf to end, then Root, as task rows.
    expect(timelineRows(f.tasks, { runStart: 0, expanded: new Set(), criticalOnly: true }).rows.map((r) => r.key)).toEqual([leaves[11]!.task_id, ROOT]);
  });

  test('a family bar\u2019s shape counts how many of its tasks ran at once', () => {
    const f = graph([done(A, 0, 50), done(B, 25, 100), done(C, 60, 100)]);
    expect(concurrency([...f.tasks.values()], 0, 100, 4, 0)).toEqual([1, 2, 2, 2]);
  });

  test('axis ticks leave room for their labels and read as offsets from the start', () => {
    expect(tickStep(10_000, 1000)).toBe(1000);
    expect(tickStep(3_600_000, 1000)).toBe(600_000);
    expect(offsetLabel(0)).toBe('0');
    expect(offsetLabel(500)).toBe('+500 ms');
    expect(offsetLabel(1500)).toBe('+1.5 s');
    expect(offsetLabel(120_000)).toBe('+2 min');
    expect(offsetLabel(5_400_000)).toBe('+1 h 30 min');
  });
});
