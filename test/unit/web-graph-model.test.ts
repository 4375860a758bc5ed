import { type NodeJson, RunGraph } from '../../web/src/graph/model';

const node = (id: string, deps: string[] = [], params: Record<string, unknown> = {}): NodeJson => ({
  task_id: id,
  name: id.split('/')[2] as string,
  params,
  state: 'PENDING',
  skipped: false,
  attempts: 0,
  started_at: null,
  ended_at: null,
  error: null,
  deps,
  stale: null,
});

const hash = (i: number): string => i.toString(16).padStart(32, '0');

/** A root needing `n` leaves, each leaf needing one shared source. */
function fan(n: number): NodeJson[] {
  const src = `t/c/Source/${hash(0)}`;
  const leaves = Array.from({ length: n }, (_, i) => node(`t/c/Leaf/${hash(i + 1)}`, [src], { i }));
  return [node(src), ...leaves, node(`t/c/Root/${hash(99999)}`, leaves.map((l) => l.task_id))];
}

describe('the UI graph model', () => {
  test('a big run starts with its big families collapsed into one node each, edges merged', () => {
    const g = new RunGraph();
    g.reset(fan(400));
    expect([...g.collapsed]).toEqual(['t/c/Leaf']);
    const vis = g.visible();
    expect(vis.nodes.map((n) => n.key).sort()).toEqual(['family:t/c/Leaf', `t/c/Root/${hash(99999)}`, `t/c/Source/${hash(0)}`].sort());
    expect(vis.edges).toHaveLength(2);
    const fam = vis.nodes.find((n) => n.kind === 'family');
    expect(fam?.label).toBe('Leaf ×400');
    expect(fam?.counts?.PENDING).toBe(400);
  });

  test('a small run is drawn whole; expanding gives every task and edge back', () => {
    const small = new RunGraph();
    small.reset(fan(20));
    expect(small.collapsed.size).toBe(0);
    expect(small.visible().nodes).toHaveLength(22);
    expect(small.visible().edges).toHaveLength(40);

    const big = new RunGraph();
    big.reset(fan(400));
    big.toggle('t/c/Leaf');
    expect(big.visible().nodes).toHaveLength(402);
    expect(big.visible().edges).toHaveLength(800);
    expect(new RunGraph(true).collapsed.size).toBe(0);
  });

  test('a family shows the state that needs attention first, with counts by state', () => {
    const g = new RunGraph();
    g.reset(fan(400));
    const leaves = [...g.tasks.values()].filter((t) => t.family === 't/c/Leaf');
    for (const t of leaves.slice(0, 390)) g.setState(t.id, 'DONE', 1, {});
    g.setState((leaves[390] as { id: string }).id, 'RUNNING', 1, {});
    expect(g.familyNode('t/c/Leaf', leaves.map((t) => t.id)).state).toBe('RUNNING');
    g.setState((leaves[391] as { id: string }).id, 'FAILED', 2, { error: { name: 'Error', message: 'x' } });
    const fam = g.familyNode('t/c/Leaf', leaves.map((t) => t.id));
    expect(fam.state).toBe('FAILED');
    expect(fam.counts).toMatchObject({ DONE: 390, RUNNING: 1, FAILED: 1, PENDING: 8 });
  });

  test('a queued task is neither started nor ended; a family of queued tasks says so', () => {
    const g = new RunGraph();
    g.reset(fan(400));
    const leaves = [...g.tasks.values()].filter((t) => t.family === 't/c/Leaf');
    for (const t of leaves) g.setState(t.id, 'QUEUED', 5, {});
    const first = leaves[0] as { id: string };
    expect(g.tasks.get(first.id)).toMatchObject({ state: 'QUEUED', startedAt: null, endedAt: null });
    expect(g.familyNode('t/c/Leaf', leaves.map((t) => t.id)).state).toBe('QUEUED');
    g.setState(first.id, 'RUNNING', 7, {});
    expect(g.tasks.get(first.id)).toMatchObject({ state: 'RUNNING', startedAt: 7 });
    expect(g.familyNode('t/c/Leaf', leaves.map((t) => t.id)).counts).toMatchObject({ QUEUED: 399, RUNNING: 1 });
  });

  test('search matches names, ids and k=v parameters, case-insensitively', () => {
    const g = new RunGraph();
    g.reset(fan(50));
    expect(g.search('i=42').map((t) => t.params['i'])).toEqual([42]);
    expect(g.search('ROOT')).toHaveLength(1);
    expect(g.search('leaf')).toHaveLength(50);
    expect(g.search('  ')).toEqual([]);
  });
});
