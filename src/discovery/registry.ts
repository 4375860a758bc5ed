import { NectarError, type SerializedError } from '../core/errors';
import type { SettingsSchema } from '../core/settings';
import type { TaskClass } from '../core/task';

/** A task found in a chain file. */
export interface DiscoveredTask {
  readonly type: string;
  /** The chain file's base name, e.g. `hello_chain`. */
  readonly chain: string;
  readonly name: string;
  readonly cls: TaskClass;
  readonly file: string;
  /** `<type>/<chain>/<name>`: unique. */
  readonly ref: string;
}

/** Something discovery skipped, and why. */
export interface DiscoveryProblem {
  readonly path: string;
  readonly reason: string;
  readonly error?: SerializedError;
}

/** What discovery found: tasks by reference, and what it skipped. */
export class Registry {
  readonly #byRef = new Map<string, DiscoveredTask>();
  readonly #byShort = new Map<string, DiscoveredTask[]>();
  readonly #byClass = new Map<TaskClass, DiscoveredTask>();

  constructor(
    readonly root: string,
    tasks: readonly DiscoveredTask[],
    readonly problems: readonly DiscoveryProblem[],
    /** The settings each chain type declares (types without any are absent). */
    readonly settings: ReadonlyMap<string, SettingsSchema> = new Map(),
  ) {
    for (const t of [...tasks].sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0))) {
      this.#byRef.set(t.ref, t);
      const short = `${t.type}/${t.name}`;
      this.#byShort.set(short, [...(this.#byShort.get(short) ?? []), t]);
      if (!this.#byClass.has(t.cls)) this.#byClass.set(t.cls, t);
    }
  }

  /** Every task, sorted by reference. */
  get tasks(): DiscoveredTask[] {
    return [...this.#byRef.values()];
  }

  types(): string[] {
    return [...new Set(this.tasks.map((t) => t.type))];
  }

  byClass(cls: TaskClass): DiscoveredTask | undefined {
    return this.#byClass.get(cls);
  }

  /**
   * Find a task by `type/Task`, `type/chain/Task` or `type/chain_chain/Task` (the chain with or
   * without its `_chain` suffix). Unknown and ambiguous names are errors that list what exists.
   */
  resolve(ref: string): DiscoveredTask {
    const parts = ref.split('/');
    if (parts.length === 3) {
      const [type, chain, name] = parts as [string, string, string];
      const full = chain.endsWith('_chain') ? chain : `${chain}_chain`;
      const hit = this.#byRef.get(`${type}/${full}/${name}`);
      if (hit) return hit;
    } else if (parts.length === 2) {
      const hits = this.#byShort.get(ref) ?? [];
      if (hits.length === 1) return hits[0] as DiscoveredTask;
      if (hits.length > 1) {
        throw new NectarError('AMBIGUOUS_TASK', `${ref} is in ${hits.length} chains: use one of ${hits.map((h) => h.ref).join(', ')}`, { candidates: hits.map((h) => h.ref) });
      }
    }
    const known = this.tasks.map((t) => `${t.type}/${t.name}`);
    const near = known.filter((k) => k.toLowerCase().includes((parts[parts.length - 1] ?? '').toLowerCase()));
    const hint = near.length > 0 ? ` Did you mean ${near.slice(0, 5).join(', ')}?` : known.length > 0 ? ` Known: ${known.slice(0, 10).join(', ')}${known.length > 10 ? ', ...' : ''}.` : ' No tasks were discovered.';
    throw new NectarError('UNKNOWN_TASK', `unknown task '${ref}' (expected <type>/<Task> or <type>/<chain>/<Task>).${hint}`);
  }
}
