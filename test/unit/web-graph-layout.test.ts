import { layout } from '../../web/src/graph/layout';
import { BLOCK_MIN } from '../../web/src/graph/layout-blocks';

const W = 200;
const H = 46;

/** A source, `n` leaves of one family each requiring it, and a root requiring every leaf. */
function fan(n: number) {
  const leaves = Array.from({ length: n }, (_, i) => ({ key: `t/c/Leaf/${i}`, width: W, height: H, group: 't/c/Leaf' }));
  return {
    nodes: [{ key: 't/c/Source/0', width: W, height: H, group: 't/c/Source' }, ...leaves, { key: 't/c/Root/0', width: W, height: H, group: 't/c/Root' }],
    edges: [...leaves.map((l) => ({ from: 't/c/Source/0', to: l.key })), ...leaves.map((l) => ({ from: l.key, to: 't/c/Root/0' }))],
  };
}

describe('graph layout', () => {
  it('lays a big family of like tasks out as one grid, its edges bundled, between its neighbours', () => {
    const l = layout(fan(2000));
    expect(l.blocks).toHaveLength(1);
    const b = l.blocks[0]!;
    expect(b.size).toBe(2000);
    // About a screen's shape, not a row 400,000 px wide.
    expect(b.width / b.height).toBeGreaterThan(0.8);
    expect(b.width / b.height).toBeLessThan(3);
    expect(l.edges.map((e) => [e.from.startsWith('block:') ? 'block' : e.from, e.to.startsWith('block:') ? 'block' : e.to])).toEqual(
      expect.arrayContaining([['t/c/Source/0', 'block'], ['block', 't/c/Root/0']]));
    expect(l.edges).toHaveLength(2);
    // Every member inside the frame, no two overlapping; the source above, the root below.
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const p = l.nodes[`t/c/Leaf/${i}`]!;
      expect(p.x - W / 2).toBeGreaterThanOrEqual(b.x - 0.01);
      expect(p.x + W / 2).toBeLessThanOrEqual(b.x + b.width + 0.01);
      expect(p.y + H / 2).toBeLessThanOrEqual(b.y + b.height + 0.01);
      seen.add(`${Math.round(p.x)},${Math.round(p.y)}`);
    }
    expect(seen.size).toBe(2000);
    expect(l.nodes['t/c/Source/0']!.y).toBeLessThan(b.y);
    expect(l.nodes['t/c/Root/0']!.y).toBeGreaterThan(b.y + b.height);
  });

  it('keeps small families, and members with other neighbours, as dagre lays them', () => {
    const small = layout(fan(BLOCK_MIN - 1));
    expect(small.blocks).toEqual([]);
    expect(small.edges).toHaveLength(2 * (BLOCK_MIN - 1));
    const g = fan(100);
    g.edges.push({ from: 't/c/Leaf/7', to: 't/c/Leaf/8' });
    const l = layout(g);
    expect(l.blocks[0]?.size).toBe(98);
    expect(l.edges.some((e) => e.from === 't/c/Leaf/7' && e.to === 't/c/Leaf/8')).toBe(true);
  });
});
