/** What ordering needs of a node: its id and the ids it requires. */
export interface Requiring {
  readonly id: string;
  readonly deps: readonly string[];
}

/**
 * Ids in dependency order (requirements first): Kahn's algorithm, taking the smallest id
 * among the nodes that are ready, so the same nodes and deps always give the same order,
 * whatever order they come in. Deps that are not among the nodes are ignored; nodes on a
 * cycle (never ready) come last, by id.
 */
export function topoOrder(nodes: readonly Requiring[]): string[] {
  const ids = new Set(nodes.map((n) => n.id));
  const indeg = new Map<string, number>();
  const dependants = new Map<string, string[]>();
  for (const n of nodes) {
    const deps = new Set(n.deps.filter((d) => ids.has(d) && d !== n.id));
    indeg.set(n.id, deps.size);
    for (const d of deps) {
      const list = dependants.get(d);
      if (list) list.push(n.id);
      else dependants.set(d, [n.id]);
    }
  }
  const ready = new MinHeap();
  for (const [id, d] of indeg) if (d === 0) ready.push(id);
  const order: string[] = [];
  for (let id = ready.pop(); id !== undefined; id = ready.pop()) {
    order.push(id);
    for (const next of dependants.get(id) ?? []) {
      const d = (indeg.get(next) ?? 0) - 1;
      indeg.set(next, d);
      if (d === 0) ready.push(next);
    }
  }
  if (order.length < indeg.size) {
    const placed = new Set(order);
    order.push(...[...indeg.keys()].filter((id) => !placed.has(id)).sort());
  }
  return order;
}

/** A binary min-heap of strings (code-unit order, as `Array.prototype.sort`). */
class MinHeap {
  readonly #a: string[] = [];

  push(x: string): void {
    const a = this.#a;
    let i = a.push(x) - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if ((a[p] as string) <= x) break;
      a[i] = a[p] as string;
      i = p;
    }
    a[i] = x;
  }

  pop(): string | undefined {
    const a = this.#a;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= a.length) break;
      const r = l + 1;
      const c = r < a.length && (a[r] as string) < (a[l] as string) ? r : l;
      if ((a[c] as string) >= last) break;
      a[i] = a[c] as string;
      i = c;
    }
    a[i] = last;
    return top;
  }
}
