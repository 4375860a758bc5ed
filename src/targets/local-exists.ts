import { existsSync, readdirSync } from 'node:fs';
import { setImmediate as yieldToLoop } from 'node:timers/promises';

/** From how many keys in folders of one parent (`<family>/<id>/<file>`: a task family's instances) that parent is listed once. */
export const LIST_THRESHOLD = 32;
/** Stats between yields to the event loop. */
const SLICE = 2000;

/** The names in a folder; null when it cannot be listed as one (then each key is asked on its own). */
function names(dir: string): Set<string> | null {
  try {
    return new Set(readdirSync(dir));
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? new Set() : null;
  }
}

/**
 * Whether each of these files exists (`path(key)` its absolute path). A stat each costs
 * microseconds, less than a trip through the libuv pool, so they are done synchronously in
 * slices, yielding between slices so that a large check never freezes the process. When many
 * keys sit in folders of one parent (a partitions grid: a year of a task's instances, most
 * never run), that parent is listed once and a key whose folder is not in it is missing
 * without a stat: a few thousand missing instances cost one readdir, not a stat each.
 */
export async function existsManyLocal(keys: readonly string[], path: (key: string) => string): Promise<boolean[]> {
  const parentOf = (key: string): string | null => {
    const file = key.lastIndexOf('/');
    const dir = file > 0 ? key.lastIndexOf('/', file - 1) : -1;
    return dir > 0 ? key.slice(0, dir) : null;
  };
  const parents = keys.map(parentOf);
  const counts = new Map<string, number>();
  for (const p of parents) if (p !== null) counts.set(p, (counts.get(p) ?? 0) + 1);
  const listed = new Map<string, Set<string> | null>();
  for (const [p, n] of counts) if (n >= LIST_THRESHOLD) listed.set(p, names(path(p)));
  const out = new Array<boolean>(keys.length);
  let stats = 0;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const p = parents[i] ?? null;
    const inParent = p === null ? null : listed.get(p);
    if (p !== null && inParent && !inParent.has(key.slice(p.length + 1, key.indexOf('/', p.length + 1)))) {
      out[i] = false;
      continue;
    }
    if (++stats % SLICE === 0) await yieldToLoop();
    out[i] = existsSync(path(key));
  }
  return out;
}
