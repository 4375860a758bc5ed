import { readFileSync } from 'node:fs';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { taskFolder } from '../core/binding';
import { LINEAGE_FILE, type Lineage, classKeys, fingerprintOf, lineageText, parseLineage } from '../core/lineage';
import type { TargetStore } from '../core/target';
import { inParallel } from '../core/parallel';
import { FamilyIndex } from './lineage-family';

const NO_UPSTREAM: Readonly<Record<string, string | null>> = Object.freeze({});

/** What a dependant needs of an input's lineage. */
export interface LineageSummary {
  readonly fingerprint: string;
  /** Null when known without reading its lineage (see `lineageSummaries`). */
  readonly builtAt: string | null;
  readonly upstream: Readonly<Record<string, string | null>>;
  /** The run that built it, or during which it was read (within a run a task is built at most once). */
  readonly runId: string;
}

/** Files read synchronously between yields to the event loop (a read of a small local file is a few µs). */
const SLICE = 1000;
/** Reads in flight on a store without local files (S3). */
const PARALLEL = 64;
/** Summaries kept per store: the lineages of recent builds, so a dependant built here reads no file. */
const CACHE_LIMIT = 200_000;
/** Inputs from which a lineage is written in pieces rather than as one string. */
const BIG_LINEAGE = 2000;

export function lineageKey(taskId: string): string {
  return `${taskFolder(taskId)}/${LINEAGE_FILE}`;
}

/**
 * The lineages this process wrote, per target store: a dependant built in the same process
 * and run (a fan-in's root, the next link of a chain) finds its inputs here instead of reading
 * a file each. Only a build of the same run is taken from here: within a run a task is built
 * once, while across runs another process may have rebuilt it since. Bounded (oldest dropped
 * first); upstream maps equal by content are shared.
 */
class SummaryCache {
  readonly #byId = new Map<string, LineageSummary>();
  readonly #upstreams = new Map<string, Readonly<Record<string, string | null>>>();

  get(id: string): LineageSummary | undefined {
    return this.#byId.get(id);
  }

  put(l: Lineage, runId = l.runId): LineageSummary {
    const key = JSON.stringify(l.upstream);
    let upstream = this.#upstreams.get(key);
    if (!upstream) {
      upstream = l.upstream;
      if (this.#upstreams.size < 10_000) this.#upstreams.set(key, upstream);
    }
    const s: LineageSummary = { fingerprint: l.fingerprint, builtAt: l.builtAt, upstream, runId };
    this.#byId.delete(l.id);
    this.#byId.set(l.id, s);
    if (this.#byId.size > CACHE_LIMIT) {
      const oldest = this.#byId.keys().next();
      if (!oldest.done) this.#byId.delete(oldest.value);
    }
    return s;
  }
}

const caches = new WeakMap<TargetStore, SummaryCache>();

function cacheOf(store: TargetStore): SummaryCache {
  let c = caches.get(store);
  if (!c) caches.set(store, (c = new SummaryCache()));
  return c;
}

/** Write a task's lineage (atomically, as every target write) and remember it. */
export async function writeLineage(store: TargetStore, l: Lineage): Promise<void> {
  const target = store.target(lineageKey(l.id));
  if (l.inputs.length > BIG_LINEAGE) await target.writeFrom(lineageText(l));
  else await target.write(`${JSON.stringify(l)}\n`);
  cacheOf(store).put(l);
}

/**
 * The lineages of many tasks, read fresh from the store, in order (undefined: none, or not
 * one this nectar reads). Local files are read synchronously in slices; S3 objects 64 at once.
 * With `inRun`, what was read is remembered for dependants built later in that run.
 */
export async function readLineages(store: TargetStore, ids: readonly string[], inRun?: string): Promise<(Lineage | undefined)[]> {
  const out = new Array<Lineage | undefined>(ids.length);
  const cache = inRun === undefined ? undefined : cacheOf(store);
  const keep = (i: number, text: string | undefined): void => {
    const l = text === undefined ? undefined : parseLineage(text);
    if (l && cache) cache.put(l, inRun);
    out[i] = l;
  };
  const local = store.localPath?.bind(store);
  if (local) {
    for (let i = 0; i < ids.length; i++) {
      if (i > 0 && i % SLICE === 0) await yieldToLoop();
      let text: string | undefined;
      try {
        text = readFileSync(local(lineageKey(ids[i] as string)), 'utf8');
      } catch {
        text = undefined;
      }
      keep(i, text);
    }
    return out;
  }
  await inParallel(ids, PARALLEL, async (id, i) => keep(i, await store.target(lineageKey(id)).readText().catch(() => undefined)));
  return out;
}

/**
 * What a dependant built in run `runId` needs of each input's lineage: what this process
 * wrote in that run; else, for an input of a class none of whose instances was ever built
 * from anything (the family index says so), its fingerprint, which is then that of no inputs
 * (its build time is left unknown: null); else read.
 */
export async function lineageSummaries(store: TargetStore, inputs: readonly { id: string; version: string | null }[], runId: string): Promise<(LineageSummary | undefined)[]> {
  const cache = caches.get(store);
  const families = new FamilyIndex(store);
  const keyOf = classKeys();
  const out = inputs.map(({ id, version }): LineageSummary | undefined => {
    const s = cache?.get(id);
    if (s && s.runId === runId) return s;
    if (families.available && families.inputsOf(keyOf(id))?.length === 0) return { fingerprint: fingerprintOf(id, version, []), builtAt: null, upstream: NO_UPSTREAM, runId };
    return undefined;
  });
  const ids = inputs.map((i) => i.id);
  const missing: number[] = [];
  out.forEach((s, i) => {
    if (!s) missing.push(i);
  });
  if (missing.length === 0) return out;
  const read = await readLineages(store, missing.map((i) => ids[i] as string), runId);
  missing.forEach((i, j) => {
    const l = read[j];
    if (l) out[i] = { fingerprint: l.fingerprint, builtAt: l.builtAt, upstream: l.upstream, runId: l.runId };
  });
  return out;
}
