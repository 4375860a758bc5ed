import { Graph, layout as dagreLayout } from '@dagrejs/dagre';
import { type Block, findBlocks, type LayoutNode, placeMembers, type Point } from './layout-blocks';

export type { Point } from './layout-blocks';

export interface LayoutInput {
  /** `group`: the node's task family, for laying a big one out as a grid (see layout-blocks.ts). */
  nodes: LayoutNode[];
  edges: { from: string; to: string }[];
}

export interface LayoutResult {
  /** Centre of each node. */
  nodes: Record<string, Point>;
  /** An edge to or from a block (a family laid out as a grid) is one for all its members: `block:...`. */
  edges: { from: string; to: string; points: Point[] }[];
  /** The grids families were laid out as: their frame. */
  blocks: { key: string; x: number; y: number; width: number; height: number; size: number }[];
  width: number;
  height: number;
}

/**
 * Above this many nodes the ranks come from dagre's longest-path ranker: network simplex gives
 * tidier ranks but is quadratic-ish (measured: 2,000 nodes in a fan took 18 s; longest-path 0.5 s).
 */
export const SIMPLEX_MAX_NODES = 400;

/**
 * Above this many nodes dagre keeps its first ordering within each rank instead of sweeping to
 * reduce crossings: the sweeps took half of a 5,000-node layout (1.4 s → 0.7 s without).
 */
export const ORDER_SWEEP_MAX_NODES = 1500;

/** A top-down layered layout (dagre), big families of like tasks as grids. Requirements above the tasks that need them, as `nectar graph` draws it. */
export function layout(input: LayoutInput): LayoutResult {
  const blocks = findBlocks(input);
  const blockOf = new Map<string, Block>();
  for (const b of blocks) for (const m of b.members) blockOf.set(m, b);
  const g = new Graph({ multigraph: false });
  const count = input.nodes.length - blockOf.size + blocks.length;
  const big = count > SIMPLEX_MAX_NODES;
  g.setGraph({ rankdir: 'TB', nodesep: big ? 10 : 24, ranksep: big ? 50 : 56, marginx: 20, marginy: 20, ranker: big ? 'longest-path' : 'network-simplex' });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of input.nodes) if (!blockOf.has(n.key)) g.setNode(n.key, { width: n.width, height: n.height });
  for (const b of blocks) g.setNode(b.key, { width: b.width, height: b.height });
  const at = (key: string): string => blockOf.get(key)?.key ?? key;
  for (const e of input.edges) {
    const from = at(e.from);
    const to = at(e.to);
    if (from !== to && g.hasNode(from) && g.hasNode(to)) g.setEdge(from, to);
  }
  dagreLayout(g, { disableOptimalOrderHeuristic: count > ORDER_SWEEP_MAX_NODES });
  const nodes: Record<string, Point> = {};
  for (const key of g.nodes()) {
    const n = g.node(key) as { x: number; y: number };
    nodes[key] = { x: n.x, y: n.y };
  }
  const frames = blocks.map((b) => {
    const c = nodes[b.key] as Point;
    delete nodes[b.key];
    placeMembers(b, c, nodes);
    return { key: b.key, x: c.x - b.width / 2, y: c.y - b.height / 2, width: b.width, height: b.height, size: b.members.length };
  });
  const edges = g.edges().map((e: { v: string; w: string }) => {
    const label = g.edge(e) as { points?: Point[] };
    return { from: e.v, to: e.w, points: (label.points ?? []).map((p) => ({ x: p.x, y: p.y })) };
  });
  const meta = g.graph() as { width?: number; height?: number };
  return { nodes, edges, blocks: frames, width: meta.width ?? 0, height: meta.height ?? 0 };
}
