import { Graph, layout as dagreLayout } from '@dagrejs/dagre';

export interface LayoutInput {
  nodes: { key: string; width: number; height: number }[];
  edges: { from: string; to: string }[];
}

export interface Point {
  x: number;
  y: number;
}

export interface LayoutResult {
  /** Centre of each node. */
  nodes: Record<string, Point>;
  edges: { from: string; to: string; points: Point[] }[];
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

/** A top-down layered layout (dagre). Requirements above the tasks that need them, as `nectar graph` draws it. */
export function layout(input: LayoutInput): LayoutResult {
  const g = new Graph({ multigraph: false });
  const big = input.nodes.length > SIMPLEX_MAX_NODES;
  g.setGraph({ rankdir: 'TB', nodesep: big ? 10 : 24, ranksep: big ? 50 : 56, marginx: 20, marginy: 20, ranker: big ? 'longest-path' : 'network-simplex' });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of input.nodes) g.setNode(n.key, { width: n.width, height: n.height });
  for (const e of input.edges) if (g.hasNode(e.from) && g.hasNode(e.to)) g.setEdge(e.from, e.to);
  dagreLayout(g, { disableOptimalOrderHeuristic: input.nodes.length > ORDER_SWEEP_MAX_NODES });
  const nodes: Record<string, Point> = {};
  for (const key of g.nodes()) {
    const n = g.node(key) as { x: number; y: number };
    nodes[key] = { x: n.x, y: n.y };
  }
  const edges = g.edges().map((e) => {
    const label = g.edge(e) as { points?: Point[] };
    return { from: e.v, to: e.w, points: (label.points ?? []).map((p) => ({ x: p.x, y: p.y })) };
  });
  const meta = g.graph() as { width?: number; height?: number };
  return { nodes, edges, width: meta.width ?? 0, height: meta.height ?? 0 };
}
