import { type Lineage, type LineageInput, classKeyOf } from '../core/lineage';
import type { TargetStore } from '../core/target';
import type { AnyTask } from '../core/task';
import { FamilyIndex } from '../executors/lineage-family';
import { readLineages } from '../executors/lineage-store';

/**
 * Today's `version` of a task class (`type/chain/Name`): null when it sets none, undefined
 * when the class is not known here (then its version is not compared).
 */
export type VersionOf = (classKey: string) => string | null | undefined;

/** The class name in a task id (`type/chain/Name/hash`). */
export function taskNameOf(id: string): string {
  const key = classKeyOf(id);
  return key.slice(key.lastIndexOf('/') + 1);
}

/** `2026-11-30T02:00:05Z`: a build time in a reason. */
function when(iso: string): string {
  return iso.length >= 19 ? `${iso.slice(0, 19)}Z` : iso;
}

/** How a check goes about it. */
export interface FreshnessOptions {
  /** The run it checks for: what it reads then serves that run's builds. None for a plan. */
  readonly runId?: string;
  /** Read every lineage upstream, never vouching by the family index (what `nectar plan` does). */
  readonly exact?: boolean;
  /**
   * Only where lineage is read from local files: on a store without them (S3) every task is
   * taken as fresh rather than read a request each (the partitions grid, thousands of cells).
   */
  readonly localOnly?: boolean;
}

/**
 * Whether complete tasks are stale: built from inputs that differ from what they would be
 * built from today. A task the family index vouches for (see lineage-family.ts: no class it
 * could have been built from has another version, no family of those classes built since it
 * was) is fresh at the cost of a stat; for the others, each task's recorded lineage is walked
 * upstream (one read per task reached, level by level in batches, each task once per check)
 * and judged bottom-up. A task is stale
 * when an input's class has another `version` now, when an input was rebuilt after it read
 * it (its lineage's build time differs from the one recorded), when an input it recorded is
 * gone, or when an input is itself stale. A task with no lineage (built before nectar
 * recorded lineage) is taken as it is.
 *
 * One instance per run or plan: what it read stays true for that long.
 */
export class Freshness {
  readonly #lineages = new Map<string, Lineage | null>();
  readonly #verdicts = new Map<string, readonly string[]>();

  readonly #families: FamilyIndex;

  constructor(
    private readonly store: TargetStore,
    private readonly versionOf: VersionOf,
    private readonly o: FreshnessOptions = {},
  ) {
    this.#families = new FamilyIndex(store);
  }

  /** The stale ones among these complete tasks, each with why (one reason per input that makes it so). */
  async stale(tasks: readonly AnyTask[]): Promise<Map<string, readonly string[]>> {
    if (this.o.localOnly && !this.#families.available) return new Map();
    return this.staleByIds(this.o.exact || !this.#families.available ? tasks.map((t) => t.id) : this.#unvouched(tasks));
  }

  /** `stale` of tasks by id, every lineage upstream read (none vouched for by the family index). */
  async staleByIds(ids: readonly string[]): Promise<Map<string, readonly string[]>> {
    await this.#load(ids);
    const out = new Map<string, readonly string[]>();
    for (const id of ids) {
      const reasons = this.#judge(id);
      if (reasons.length > 0) out.set(id, reasons);
    }
    return out;
  }

  /** The ids of the tasks the family index cannot vouch for. */
  #unvouched(tasks: readonly AnyTask[]): string[] {
    const out: string[] = [];
    const families = this.#families;
    for (const t of tasks) {
      const inputs = families.inputsOf(classKeyOf(t.id));
      if (inputs === null) {
        out.push(t.id);
        continue;
      }
      if (inputs.length === 0) continue; // no instance of its class was ever built from anything
      let latest = 0;
      let changed = false;
      for (const i of inputs) {
        const now = this.versionOf(i.classKey);
        if (now !== undefined && now !== i.version) {
          changed = true;
          break;
        }
        latest = Math.max(latest, families.lastBuilt(i.classKey));
      }
      const written = changed ? 0 : families.lineageWritten(t.id);
      if (written === undefined) continue; // no lineage: taken as it is
      if (changed || latest > written) out.push(t.id);
    }
    return out;
  }

  async #load(ids: readonly string[]): Promise<void> {
    let frontier = [...new Set(ids.filter((id) => !this.#lineages.has(id)))];
    while (frontier.length > 0) {
      const read = await readLineages(this.store, frontier, this.o.runId);
      const next = new Set<string>();
      frontier.forEach((id, i) => {
        const l = read[i] ?? null;
        this.#lineages.set(id, l);
        if (l) for (const input of l.inputs) if (!this.#lineages.has(input.id)) next.add(input.id);
      });
      for (const id of next) if (this.#lineages.has(id)) next.delete(id);
      frontier = [...next];
    }
  }

  /** Post-order over recorded inputs, iteratively (a 100,000-deep chain is fine); memoised. */
  #judge(root: string): readonly string[] {
    const done = this.#verdicts.get(root);
    if (done) return done;
    const stack: { id: string; i: number }[] = [{ id: root, i: 0 }];
    const open = new Set<string>([root]);
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as { id: string; i: number };
      const inputs = this.#lineages.get(top.id)?.inputs ?? [];
      if (top.i < inputs.length) {
        const next = (inputs[top.i++] as LineageInput).id;
        // A lineage that names its own descendant (hand-edited) is not followed round.
        if (!this.#verdicts.has(next) && !open.has(next)) {
          open.add(next);
          stack.push({ id: next, i: 0 });
        }
        continue;
      }
      stack.pop();
      open.delete(top.id);
      this.#verdicts.set(top.id, this.#reasons(top.id));
    }
    return this.#verdicts.get(root) ?? [];
  }

  #reasons(id: string): readonly string[] {
    const l = this.#lineages.get(id);
    if (!l) return [];
    const reasons: string[] = [];
    for (const input of l.inputs) {
      const name = taskNameOf(input.id);
      const now = this.versionOf(classKeyOf(input.id));
      if (now !== undefined && now !== input.version) {
        reasons.push(`upstream ${name} version ${input.version ?? 'none'} → ${now ?? 'none'}`);
        continue;
      }
      const current = this.#lineages.get(input.id);
      if (!current) {
        // Recorded with a lineage and now without one: its outputs were removed (or a rebuild failed).
        if (input.fingerprint !== null) reasons.push(`upstream ${name} is missing`);
        continue;
      }
      const rebuilt = input.builtAt !== null ? current.builtAt !== input.builtAt : current.builtAt > l.builtAt;
      if (rebuilt) reasons.push(`upstream ${name} rebuilt ${when(current.builtAt)}`);
      else if ((this.#verdicts.get(input.id) ?? []).length > 0) reasons.push(`upstream ${name} is stale`);
    }
    return reasons;
  }
}
