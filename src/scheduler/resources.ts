/** Named concurrency limits (`{ db: 2 }`: at most 2 units of `db` held at once). */
export class ResourcePool {
  readonly #used = new Map<string, number>();
  constructor(private readonly limits: Readonly<Record<string, number>>) {}

  /** The limit of a resource; one unit when not configured, so a name alone means "one at a time". */
  limit(name: string): number {
    return this.limits[name] ?? 1;
  }

  fits(want: Readonly<Record<string, number>>): boolean {
    for (const name in want) {
      const n = want[name] as number;
      if ((this.#used.get(name) ?? 0) + n > Math.max(this.limit(name), n)) return false;
    }
    return true;
  }

  acquire(want: Readonly<Record<string, number>>): void {
    for (const name in want) this.#used.set(name, (this.#used.get(name) ?? 0) + (want[name] as number));
  }

  release(want: Readonly<Record<string, number>>): void {
    for (const name in want) this.#used.set(name, (this.#used.get(name) ?? 0) - (want[name] as number));
  }
}
