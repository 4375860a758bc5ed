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
  let candidates: string[];
  if (families.available) {
    candidates = [];
    const types = await store.list('chains');
    const familyKeys = new Set<string>();
    for (const k of types) {
      const parts = k.split('/');
      if (parts.length === 6 && parts[5] === LINEAGE_FILE) familyKeys.add(parts.slice(1, 4).join('/'));
    }
    for (const f of familyKeys) {
      if (!(families.inputsOf(f) ?? [{ classKey: key }]).some((i) => i.classKey === key)) continue;
      for (const k of types) if (k.startsWith(`chains/${f}/`) && k.endsWith(`/${LINEAGE_FILE}`) && k.split('/').length === 6) candidates.push(k.slice('chains/'.length, -(LINEAGE_FILE.length + 1)));
    }
  } else {
    candidates = (await store.list('chains')).filter((k) => k.endsWith(`/${LINEAGE_FILE}`)).map((k) => k.slice('chains/'.length, -(LINEAGE_FILE.length + 1)));
  }
  const lineages = await readLineages(store, candidates);
  return candidates.filter((_, i) => lineages[i]?.inputs.some((input) => input.id === id) === true);
}

/** What a task was built from and what was built from it, each with whether it is there and stale now. */
export async function lineageView(store: TargetStore, freshness: Freshness, id: string): Promise<LineageView> {
  const [lineage] = await readLineages(store, [id]);
  const into = await dependantsOf(store, id);
  const fromIds = lineage?.inputs.map((i) => i.id) ?? [];
  const all = [id, ...fromIds, ...into];
  const read = await readLineages(store, all);
  const present = all.filter((_, i) => read[i] !== undefined);
  const stale = await freshness.staleByIds(present);
  const neighbour = (nid: string, builtAt: string | null): LineageNeighbour => {
    const l = read[all.indexOf(nid)];
    const why = stale.get(nid);
    return { id: nid, builtAt, present: l !== undefined, ...(why ? { stale: why } : {}) };
  };
  const own = stale.get(id);
  return {
    id,
    lineage: lineage ?? null,
    ...(own ? { stale: own } : {}),
    builtFrom: (lineage?.inputs ?? []).map((i) => neighbour(i.id, i.builtAt)),
    builtInto: into.map((d) => neighbour(d, read[all.indexOf(d)]?.builtAt ?? null)),
  };
}
