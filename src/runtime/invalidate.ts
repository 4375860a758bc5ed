import { taskFolder } from '../core/binding';
import { NectarError } from '../core/errors';
import { LINEAGE_FILE, classKeyOf } from '../core/lineage';
import type { TargetStore } from '../core/target';
import { touchFamily } from '../executors/lineage-family';
import { readLineages } from '../executors/lineage-store';

/** Files of a task folder that stay when its outputs are removed: what it was asked and what it said. */
const KEPT = new Set(['params.json', 'log']);

/** One task whose outputs an invalidation removes. */
export interface Invalidated {
  readonly id: string;
  /** Empty for the task asked for; else the task it was recorded as built from that made it go. */
  readonly because: string | null;
  /** The keys removed (its outputs and its lineage). */
  readonly keys: readonly string[];
}

/**
 * What removing a task's outputs would remove: its own (every file of its folder but
 * `params.json` and `log`) and, `downstream`, those of every task recorded as built from
 * them, however far down. Dependants are found from the lineage files under the target root
 * (every `lineage.json`, read in batches): what was recorded, not what the code says today.
 */
export async function planInvalidation(store: TargetStore, ids: readonly string[], downstream: boolean): Promise<Invalidated[]> {
  const because = new Map<string, string | null>(ids.map((id) => [id, null]));
  // Downstream, every key under the root is listed once: the lineages to read, and each task's files.
  const byFolder = new Map<string, string[]>();
  if (downstream) {
    for (const k of await store.list('chains')) {
      const folder = k.slice(0, k.lastIndexOf('/'));
      let keys = byFolder.get(folder);
      if (!keys) byFolder.set(folder, (keys = []));
      keys.push(k);
    }
    const taskIds = [...byFolder.entries()].filter(([, keys]) => keys.some((k) => k.endsWith(`/${LINEAGE_FILE}`))).map(([folder]) => folder.slice('chains/'.length));
    const lineages = await readLineages(store, taskIds);
    const dependants = new Map<string, string[]>();
    lineages.forEach((l, i) => {
      if (!l) return;
      for (const input of l.inputs) {
        let list = dependants.get(input.id);
        if (!list) dependants.set(input.id, (list = []));
        list.push(taskIds[i] as string);
      }
    });
    const queue = [...ids];
    for (let i = 0; i < queue.length; i++) {
      const id = queue[i] as string;
      for (const d of dependants.get(id) ?? []) {
        if (because.has(d)) continue;
        because.set(d, id);
        queue.push(d);
      }
    }
  }
  const out: Invalidated[] = [];
  for (const [id, why] of because) {
    const listed = downstream ? (byFolder.get(taskFolder(id)) ?? []) : await store.list(taskFolder(id));
    const keys = listed.filter((k) => !KEPT.has(k.slice(k.lastIndexOf('/') + 1)) && k.split('/').length === id.split('/').length + 2);
    if (keys.length > 0 || why === null) out.push({ id, because: why, keys });
  }
  return out;
}

/** Remove what a plan names; each task's family is marked as changed, so freshness checks look again. */
export async function invalidate(store: TargetStore, plan: readonly Invalidated[]): Promise<number> {
  let removed = 0;
  for (const t of plan) {
    // The lineage goes last: a task whose removal stops midway still shows as built from what it was.
    const keys = [...t.keys].sort((a, b) => Number(a.endsWith(`/${LINEAGE_FILE}`)) - Number(b.endsWith(`/${LINEAGE_FILE}`)));
    for (const k of keys) {
      await store.target(k).delete();
      removed++;
    }
    touchFamily(store, classKeyOf(t.id));
  }
  return removed;
}

/** Refuses when a task of the plan is part of a run in flight (its outputs may be being read or written). */
export function refuseInFlight(plan: readonly Invalidated[], inFlight: ReadonlyMap<string, string>): void {
  for (const t of plan) {
    const run = inFlight.get(t.id);
    if (run) throw new NectarError('RUN_ACTIVE', `${t.id} is part of run ${run}, which is in flight: invalidate it when that run has ended`, { task_id: t.id, run_id: run });
  }
}
