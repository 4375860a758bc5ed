import type Database from 'better-sqlite3';

interface Pending {
  fn: () => void;
  readonly key: string | undefined;
  readonly res: () => void;
  readonly rej: (err: unknown) => void;
}

/**
 * Group commit for the SQLite run store: writes issued in the same turn of the event loop are
 * committed in one transaction (one WAL append, not one per write), and each caller's promise
 * resolves once that transaction has committed. With dozens of runs in flight (a backfill)
 * most writes share a commit. Reads call `flush()` first, so they always see every write
 * issued before them. If the shared transaction fails, each write is tried again alone, so
 * one bad write fails only its own caller. A write with a key replaces a pending one of the
 * same key (a run row written QUEUED then RUNNING in one batch is written once, as RUNNING).
 */
export class GroupCommit {
  #queue: Pending[] = [];
  readonly #byKey = new Map<string, Pending>();
  #scheduled = false;

  constructor(private readonly db: Database.Database) {}

  write(fn: () => void, key?: string): Promise<void> {
    return new Promise<void>((res, rej) => {
      const same = key === undefined ? undefined : this.#byKey.get(key);
      if (same) {
        same.fn = fn;
        this.#queue.push({ fn: () => undefined, key: undefined, res, rej });
      } else {
        const p: Pending = { fn, key, res, rej };
        this.#queue.push(p);
        if (key !== undefined) this.#byKey.set(key, p);
      }
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commit what is pending now (synchronously). */
  flush(): void {
    this.#scheduled = false;
    if (this.#queue.length === 0 || !this.db.open) return;
    const batch = this.#queue;
    this.#queue = [];
    this.#byKey.clear();
    try {
      this.db.transaction(() => {
        for (const p of batch) p.fn();
      })();
      for (const p of batch) p.res();
    } catch {
      for (const p of batch) {
        try {
          this.db.transaction(p.fn)();
          p.res();
        } catch (err) {
          p.rej(err);
        }
      }
    }
  }
}
