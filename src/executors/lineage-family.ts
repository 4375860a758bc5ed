import { mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { classKeyOf, type Lineage, LINEAGE_FILE } from '../core/lineage';
import type { TargetStore } from '../core/target';

/**
 * What a task family (the folder of one task class, `chains/<type>/<chain>/<Name>/`) says
 * about its instances' lineage as a whole, on local targets: which classes any instance was
 * ever built from (a marker file each, `.upstream/<type>.<chain>.<Name>@<version>`, created
 * once and never rewritten, so builds in several processes cannot lose one), and when an
 * instance was last built (the folder's mtime, set as each build ends). With these a run can
 * tell that a complete task is fresh without reading its upstream: if no class it could have
 * been built from has another version, and no family of those classes was built since it
 * was, nothing it was built from has changed. When they cannot tell, the lineage is read.
 */

const UPSTREAM = '.upstream';

/** A class it was built from, as a family records it. */
export interface FamilyInput {
  readonly classKey: string;
  readonly version: string | null;
}

function markerName(classKey: string, version: string | null): string {
  return `${classKey.split('/').join('.')}@${version === null ? '' : encodeURIComponent(version)}`;
}

function parseMarker(name: string): FamilyInput | undefined {
  const at = name.lastIndexOf('@');
  if (at <= 0) return undefined;
  const parts = name.slice(0, at).split('.');
  if (parts.length !== 3) return undefined;
  const v = name.slice(at + 1);
  try {
    return { classKey: parts.join('/'), version: v === '' ? null : decodeURIComponent(v) };
  } catch {
    return undefined;
  }
}

/** Markers this process knows exist (no stat to learn it again). */
const known = new Set<string>();

/**
 * After a build of `l.id` succeeded: its family's markers for every class in its upstream,
 * then the family folder's mtime moved to now (rounded up: a build that ends after a reader's
 * lineage was written never looks older than it). Local targets only; a failure here only
 * costs later checks a read.
 */
export function markBuilt(store: TargetStore, l: Lineage): void {
  const path = store.localPath?.bind(store);
  if (!path) return;
  try {
    const family = path(`chains/${classKeyOf(l.id)}`);
    for (const [classKey, version] of Object.entries(l.upstream)) {
      const marker = `${family}/${UPSTREAM}/${markerName(classKey, version)}`;
      if (known.has(marker)) continue;
      mkdirSync(`${family}/${UPSTREAM}`, { recursive: true });
      try {
        writeFileSync(marker, '', { flag: 'wx' });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      known.add(marker);
    }
    touchLater(family);
  } catch {
    // The family index is an accelerator: without it freshness is found by reading lineage.
  }
}

/** Family folders whose mtime is to move at the end of this turn of the event loop. */
const pending = new Set<string>();

/** Move every pending family's mtime to now (rounded up: never older than a build that ended before it). */
function flushTouches(): void {
  const t = (Date.now() + 1) / 1000;
  for (const family of pending) {
    try {
      utimesSync(family, t, t);
    } catch {
      // Gone (invalidated, collected): no instance there to be stale against.
    }
  }
  pending.clear();
}

/**
 * A family's mtime moves once per turn of the event loop, however many of its instances
 * finished in it (a fan-in's leaves end by the dozen), and before the process exits. Moving it
 * later than the build ended is safe: a dependant's lineage written in between then looks older
 * than the family, so its freshness is read rather than vouched for.
 */
function touchLater(family: string): void {
  if (pending.size === 0) {
    setImmediate(flushTouches);
    if (!exitHooked) {
      exitHooked = true;
      process.once('exit', flushTouches);
    }
  }
  pending.add(family);
}
let exitHooked = false;

/** The family folder moved to now: after its instances' outputs were removed (invalidation). */
export function touchFamily(store: TargetStore, classKey: string): void {
  const path = store.localPath?.bind(store);
  if (!path) return;
  try {
    const t = (Date.now() + 1) / 1000;
    utimesSync(path(`chains/${classKey}`), t, t);
  } catch {
    // No folder: no instance to be stale against.
  }
}

/** What one freshness check asks of families and instances, each asked once. */
export class FamilyIndex {
  readonly #inputs = new Map<string, FamilyInput[] | null>();
  readonly #builtAt = new Map<string, number>();

  constructor(private readonly store: TargetStore) {}

  /** Whether this store has an index at all (local targets). */
  get available(): boolean {
    return this.store.localPath !== undefined;
  }

  /** Every class any instance of this family was built from; null when that cannot be told. */
  inputsOf(classKey: string): FamilyInput[] | null {
    let v = this.#inputs.get(classKey);
    if (v !== undefined) return v;
    const path = this.store.localPath?.bind(this.store);
    v = null;
    if (path) {
      try {
        const out: FamilyInput[] = [];
        for (const name of readdirSync(path(`chains/${classKey}/${UPSTREAM}`))) {
          const m = parseMarker(name);
          if (!m) throw new Error('not a marker');
          out.push(m);
        }
        v = out;
      } catch (err) {
        // No markers yet: no instance was ever built from anything.
        v = (err as NodeJS.ErrnoException).code === 'ENOENT' ? [] : null;
      }
    }
    this.#inputs.set(classKey, v);
    return v;
  }

  /** When an instance of the family was last built (ms); 0 when none was. */
  lastBuilt(classKey: string): number {
    let t = this.#builtAt.get(classKey);
    if (t !== undefined) return t;
    const path = this.store.localPath?.bind(this.store);
    t = 0;
    if (path) t = statSync(path(`chains/${classKey}`), { throwIfNoEntry: false })?.mtimeMs ?? 0;
    this.#builtAt.set(classKey, t);
    return t;
  }

  /** When a task's lineage was last written (ms): its build, as the family index compares it; undefined when it has none. */
  lineageWritten(taskId: string): number | undefined {
    const path = this.store.localPath?.bind(this.store);
    if (!path) return undefined;
    return statSync(path(`chains/${taskId}/${LINEAGE_FILE}`), { throwIfNoEntry: false })?.mtimeMs;
  }
}
