export interface Point {
  x: number;
  y: number;
}

/** A node to lay out; `group`: its task family, for laying a big one out as a grid. */
export interface LayoutNode {
  key: string;
  width: number;
  height: number;
  group?: string;
}

interface LayoutInput {
  nodes: LayoutNode[];
  edges: { from: string; to: string }[];
}

/** Members from which a family whose tasks all have the same neighbours is laid out as a grid. */
export const BLOCK_MIN = 40;
/** The shape a block aims at (width over height): about a screen's, so that Fit shows it whole and readable. */
const BLOCK_ASPECT = 1.6;
const GAP_X = 10;
const GAP_Y = 12;

/** A family laid out as one grid: its members in rows, its edges bundled into one per neighbour. */
export interface Block {
  readonly key: string;
  readonly members: readonly string[];
  readonly cols: number;
  readonly cellW: number;
  readonly cellH: number;
  readonly width: number;
  readonly height: number;
}

/**
 * Which nodes go into blocks: those of one `group` (a task family) that have exactly the same
 * predecessors and successors (a fan-in's leaves, a partition's days), when there are at least
 * {@link BLOCK_MIN} of them. Dagre would put them all in one rank, a row a million pixels wide
 * with thousands of edges merging into a grey bar; a grid of them with one edge per neighbour
 * stays readable and cheap to pan.
 */
export function findBlocks(input: LayoutInput): Block[] {
  const preds = new Map<string, string[]>();
  const succs = new Map<string, string[]>();
  for (const e of input.edges) {
    (succs.get(e.from) ?? succs.set(e.from, []).get(e.from))?.push(e.to);
    (preds.get(e.to) ?? preds.set(e.to, []).get(e.to))?.push(e.from);
  }
  const buckets = new Map<string, LayoutNode[]>();
  for (const n of input.nodes) {
    if (n.group === undefined) continue;
    const sig = `${n.group}\n${(preds.get(n.key) ?? []).slice().sort().join(',')}\n${(succs.get(n.key) ?? []).slice().sort().join(',')}`;
    const b = buckets.get(sig);
    if (b) b.push(n);
    else buckets.set(sig, [n]);
  }
  const blocks: Block[] = [];
  for (const members of buckets.values()) {
    if (members.length < BLOCK_MIN) continue;
    const first = members[0] as LayoutNode;
    const cellW = first.width + GAP_X;
    const cellH = first.height + GAP_Y;
    const cols = Math.max(1, Math.min(members.length, Math.round(Math.sqrt((members.length * BLOCK_ASPECT * cellH) / cellW))));
    const rows = Math.ceil(members.length / cols);
    blocks.push({ key: `block:${first.group ?? ''}:${blocks.length}`, members: members.map((m) => m.key), cols, cellW, cellH, width: cols * cellW - GAP_X, height: rows * cellH - GAP_Y });
  }
  return blocks;
}

/** Where each member of a block goes, the block centred at `c`. */
export function placeMembers(b: Block, c: Point, out: Record<string, Point>): void {
  const x0 = c.x - b.width / 2 + (b.cellW - GAP_X) / 2;
  const y0 = c.y - b.height / 2 + (b.cellH - GAP_Y) / 2;
  b.members.forEach((key, i) => {
    out[key] = { x: x0 + (i % b.cols) * b.cellW, y: y0 + Math.floor(i / b.cols) * b.cellH };
  });
}
