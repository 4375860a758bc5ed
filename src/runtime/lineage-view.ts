import { LINEAGE_FILE, type Lineage, classKeyOf } from '../core/lineage';
import type { TargetStore } from '../core/target';
import { FamilyIndex } from '../executors/lineage-family';
import { readLineages } from '../executors/lineage-store';
import type { Freshness } from './freshness';

/** One task next to another in lineage, as the UI lists it. */
export interface LineageNeighbour {
  readonly id: string;
  /** Its build time as recorded (built from) or its own (built into); null when not known. */
  readonly builtAt: string | null;
  /** Its outputs exist now (a lineage is there). */
  readonly present: boolean;
  /** Stale now: why (present ones only). */
  readonly stale?: readonly string[];
}

export interface LineageView {
  readonly id: string;
  /** Its lineage, or null (never built, removed, or built before nectar recorded lineage). */
  readonly lineage: Lineage | null;
  readonly stale?: readonly string[];
  /** The tasks it was built from, as recorded. */
  readonly builtFrom: readonly LineageNeighbour[];
  /** The tasks recorded as built from it (any run). */
  readonly builtInto: readonly LineageNeighbour[];
}

/**
 * The ids of the tasks whose lineage names `id` as an input. On local targets only the
 * families whose index says an instance was built from that class are read; elsewhere every
 * lineage under the root.
 */
export async function dependantsOf(store: TargetStore, id: string): Promise<string[]> {
  const key = classKeyOf(id);
  const families = new FamilyIndex(store);
  // Task ids with a lineage, by family: `chains/<type>/<chain>/<Task>/<hash>/lineage.json`.
  const byFamily = new Map<string, string[]>();
  for (const k of await store.list('chains')) {
    const parts = k.split('/');
    if (parts.length !== 6 || parts[5] !== LINEAGE_FILE) continue;
    const family = parts.slice(1, 4).join('/');
    let ids = byFamily.get(family);
    if (!ids) byFamily.set(family, (ids = []));
    ids.push(`${family}/${parts[4]}`);
  }
  const builtFrom = (family: string): boolean => !families.available || (families.inputsOf(family)?.some((i) => i.classKey === key) ?? true);
  const candidates = [...byFamily].filter(([family]) => builtFrom(family)).flatMap(([, ids]) => ids);
  const lineages = await readLineages(store, candidates);
  return candidates.filter((_, i) => lineages[i]?.inputs.some((input) => input.id === id) === true);
}

/** What a task was built from and what was built from it, each with whether it is there and stale now. */
export async function lineageView(store: TargetStore, freshness: Freshness, id: string): Promise<LineageView> {
  const [lineage] = await readLineages(store, [id]);
  const into = await dependantsOf(store, id);
  const near = [...new Set([...(lineage?.inputs.map((i) => i.id) ?? []), ...into])];
  const read = new Map<string, Lineage | undefined>([[id, lineage], ...(await readLineages(store, near)).map((l, i): [string, Lineage | undefined] => [near[i] as string, l])]);
  const stale = await freshness.staleByIds([...read].filter(([, l]) => l !== undefined).map(([nid]) => nid));
  const neighbour = (nid: string, builtAt: string | null): LineageNeighbour => {
    const why = stale.get(nid);
    return { id: nid, builtAt, present: read.get(nid) !== undefined, ...(why ? { stale: why } : {}) };
  };
  const own = stale.get(id);
  return {
    id,
    lineage: lineage ?? null,
    ...(own ? { stale: own } : {}),
    builtFrom: (lineage?.inputs ?? []).map((i) => neighbour(i.id, i.builtAt)),
    builtInto: into.map((d) => neighbour(d, read.get(d)?.builtAt ?? null)),
  };
}
