/**
 * Ready tasks by priority (higher first), first-in first-out within a priority. Few distinct
 * priorities exist in practice, so a bucket per priority beats a heap.
 */
export class ReadyQueue {
  readonly #buckets = new Map<number, { items: string[]; head: number }>();
  #priorities: number[] = [];
  #size = 0;

  get size(): number {
    return this.#size;
  }

  push(id: string, priority: number): void {
    let b = this.#buckets.get(priority);
    if (!b) {
      b = { items: [], head: 0 };
      this.#buckets.set(priority, b);
      this.#priorities.push(priority);
      this.#priorities.sort((x, y) => y - x);
    }
    b.items.push(id);
    this.#size++;
  }

  /** The first id (highest priority, oldest) that `accept` takes; ids it refuses stay queued in order. */
  take(accept: (id: string) => boolean): string | undefined {
    for (const pr of this.#priorities) {
      const b = this.#buckets.get(pr);
      if (!b) continue;
      for (let i = b.head; i < b.items.length; i++) {
        const id = b.items[i] as string;
        if (!accept(id)) continue;
        if (i === b.head) {
          b.head++;
          if (b.head > 1024 && b.head * 2 > b.items.length) {
            b.items = b.items.slice(b.head);
            b.head = 0;
          }
        } else b.items.splice(i, 1);
        this.#size--;
        return id;
      }
    }
    return undefined;
  }

  /** Remove everything; returns what was queued. */
  drain(): string[] {
    const out: string[] = [];
    for (const pr of this.#priorities) {
      const b = this.#buckets.get(pr);
      if (b) out.push(...b.items.slice(b.head));
    }
    this.#buckets.clear();
    this.#priorities = [];
    this.#size = 0;
    return out;
  }
}
