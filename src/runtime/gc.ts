import { NectarError } from '../core/errors';
import { LINEAGE_FILE, type Lineage, parseLineage } from '../core/lineage';
import { inParallel } from '../core/parallel';
import type { TargetStore } from '../core/target';
import { type AnyTask, optionsOf } from '../core/task';
import type { DiscoveredTask } from '../discovery/registry';

/** A task folder nothing current can produce, and why. */
export interface Collectable {
  /** The task id the folder is named after. */
  readonly id: string;
  readonly why: string;
  /** Every key in the folder. */
  readonly keys: readonly string[];
}

/** What gc needs of a runtime: its store, and how today's code names a class and builds a task from parameters. */
export interface GcSource {
  readonly store: TargetStore;
  resolve(ref: string): DiscoveredTask | undefined;
  instantiate(found: DiscoveredTask, params: Readonly<Record<string, unknown>>): AnyTask;
}

const HASH = /^[0-9a-f]{32}$/;
const PARALLEL = 32;

async function readText(store: TargetStore, key: string): Promise<string | undefined> {
  try {
    return await store.target(key).readText();
  } catch {
    return undefined;
  }
}

/**
 * The task folders (`chains/<type>/<chain>/<Task>/<hash>/`) nothing current can produce: their
 * class is no longer discovered, or the task today's code builds from their `params.json` has
 * another id (an outdated `version`, or parameters that hash otherwise now), or their
 * parameters are refused today. A folder without `params.json` is left alone (nothing says
 * what made it), as is one whose lineage says it was built less than `olderThanMs` before
 * `now`, and one named in `keep` (tasks of runs in flight).
 */
export async function planGc(src: GcSource, o: { now: number; olderThanMs?: number; keep?: ReadonlySet<string> }): Promise<Collectable[]> {
  const folders = new Map<string, string[]>();
  for (const key of await src.store.list('chains')) {
    const parts = key.split('/');
    if (parts.length !== 6 || !HASH.test(parts[4] as string)) continue;
    const id = parts.slice(1, 5).join('/');
    let keys = folders.get(id);
    if (!keys) folders.set(id, (keys = []));
    keys.push(key);
  }
  const ids = [...folders.keys()].filter((id) => !o.keep?.has(id));
  const out: (Collectable | undefined)[] = new Array(ids.length);
  await inParallel(ids, PARALLEL, async (id, i) => {
    const keys = folders.get(id) ?? [];
    // Its lineage, read at most once, and only if a reason or the age needs it.
    let lineage: Promise<Lineage | undefined> | undefined;
    const lineageOf = (): Promise<Lineage | undefined> =>
      (lineage ??= keys.includes(`chains/${id}/${LINEAGE_FILE}`) ? readText(src.store, `chains/${id}/${LINEAGE_FILE}`).then((t) => parseLineage(t ?? '')) : Promise.resolve(undefined));
    const why = await reason(src, id, keys, lineageOf);
    if (why === undefined) return;
    if (o.olderThanMs !== undefined) {
      const l = await lineageOf();
      const built = l ? Date.parse(l.builtAt) : NaN;
      if (Number.isFinite(built) && o.now - built < o.olderThanMs) return;
    }
    out[i] = { id, why, keys };
  });
  return out.filter((c): c is Collectable => c !== undefined);
}

/** Why nothing current produces this folder; undefined when something does (or nothing says). */
async function reason(src: GcSource, id: string, keys: readonly string[], lineageOf: () => Promise<Lineage | undefined>): Promise<string | undefined> {
  const [type, chain, name] = id.split('/');
  const found = src.resolve(`${type}/${chain}/${name}`);
  if (!found) return `no task ${type}/${chain}/${name} is discovered any more`;
  if (!keys.includes(`chains/${id}/params.json`)) return undefined;
  const text = await readText(src.store, `chains/${id}/params.json`);
  let params: unknown;
  try {
    params = JSON.parse(text ?? '');
  } catch {
    return undefined;
  }
  if (typeof params !== 'object' || params === null || Array.isArray(params)) return undefined;
  let today: AnyTask;
  try {
    today = src.instantiate(found, params as Record<string, unknown>);
  } catch (err) {
    return `its parameters are refused today: ${err instanceof NectarError ? err.message : String(err)}`;
  }
  if (today.id === id) return undefined;
  const version = optionsOf(found.cls).version ?? null;
  const lineage = await lineageOf();
  if (lineage && lineage.version !== version) return `an outdated version (${lineage.version ?? 'none'}; today ${version ?? 'none'})`;
  return `today the same parameters make ${today.id}${version !== null ? ` (version ${version})` : ''}`;
}

/** Remove the folders of a gc plan; returns how many files went. */
export async function collect(store: TargetStore, plan: readonly Collectable[]): Promise<number> {
  let removed = 0;
  for (const c of plan) {
    for (const k of c.keys) {
      await store.target(k).delete();
      removed++;
    }
  }
  return removed;
}
