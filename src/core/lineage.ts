import { createHash } from 'node:crypto';

/** The reserved file beside a task's outputs that says what they were built from. */
export const LINEAGE_FILE = 'lineage.json';

/** Inputs taken at a time where a large lineage is hashed or written. */
const SLICE = 1000;

/** One task an output was built from, as it was when the build read it. */
export interface LineageInput {
  readonly id: string;
  /** The input class's `version` (null: none set). */
  readonly version: string | null;
  /** The input's own fingerprint; null when it had no lineage (built before nectar recorded one, or outside nectar). */
  readonly fingerprint: string | null;
  /** When the input's build started, from its lineage; null as for `fingerprint`. */
  readonly builtAt: string | null;
  /** Asked for with `ctx.require()` while the task ran (not in `requires()`). */
  readonly dynamic?: true;
}

/**
 * What a task's outputs were built from: written to `lineage.json` when its attempt starts
 * (and again after each `ctx.require()`), so that no output exists without one.
 */
export interface Lineage {
  readonly format: 1;
  readonly id: string;
  readonly version: string | null;
  readonly runId: string;
  /** When the attempt that built the outputs started (ISO): the build's identity as its dependants record it. */
  readonly builtAt: string;
  /** md5 of the id, version and the inputs' ids and fingerprints: the same inputs built the same way give the same fingerprint. */
  readonly fingerprint: string;
  /**
   * Every task class this output was built from, however far upstream (`type/chain/Name`),
   * with its version then: a version changed anywhere upstream shows without reading upstream.
   */
  readonly upstream: Readonly<Record<string, string | null>>;
  readonly inputs: readonly LineageInput[];
}

/** `type/chain/Name` of a task id (`type/chain/Name/hash`): its class, as lineage names it. */
export function classKeyOf(taskId: string): string {
  const i = taskId.lastIndexOf('/');
  return i > 0 ? taskId.slice(0, i) : taskId;
}

/**
 * `classKeyOf` for ids that come in runs of one class (a fan-in's inputs): the key is sliced
 * once per run, not once per id.
 */
export function classKeys(): (taskId: string) => string {
  let last = '';
  return (id) => {
    if (!(id.startsWith(last) && id.lastIndexOf('/') === last.length)) last = classKeyOf(id);
    return last;
  };
}

/**
 * A build's fingerprint. Built from no inputs, it is the hash in its id: that is already the
 * md5 of its parameters and its `version`, so nothing new needs hashing (a 100,000-leaf
 * fan-in's root takes one per leaf). Built from inputs, it is the md5 of its id and version
 * (JSON, a line each) and then a line `<fingerprint> <id>` per input (`-` for no fingerprint)
 * in the order the build read them (`requires()`, then each `ctx.require()`): a task that
 * reads the same inputs in another order may well make something else of them. (Not sorting
 * also saves a quarter of a second at 100,000 inputs.)
 */
export function fingerprintOf(id: string, version: string | null, inputs: readonly Pick<LineageInput, 'id' | 'fingerprint'>[]): string {
  if (inputs.length === 0) return id.slice(id.lastIndexOf('/') + 1);
  const md5 = createHash('md5').update(`${JSON.stringify(id)}\n${JSON.stringify(version)}`);
  // Hashed a slice of lines at a time: a 100,000-input root never holds all its lines at once.
  for (let start = 0; start < inputs.length; start += SLICE) {
    let text = '';
    for (const i of inputs.slice(start, start + SLICE)) text += `\n${i.fingerprint ?? '-'} ${i.id}`;
    md5.update(text);
  }
  return md5.digest('hex');
}

/**
 * A lineage's JSON text (with a final newline) in pieces of {@link SLICE} inputs: what a
 * 100,000-input root writes without first making one 12 MB string and then a buffer of it.
 * Equal, joined, to `JSON.stringify(l)` and a newline.
 */
export function* lineageText(l: Lineage): Generator<string> {
  const head = JSON.stringify({ ...l, inputs: [] });
  // `inputs` is the last key: the head ends with `[]}`.
  yield head.slice(0, -2);
  for (let start = 0; start < l.inputs.length; start += SLICE) {
    const part = JSON.stringify(l.inputs.slice(start, start + SLICE));
    yield `${start === 0 ? '' : ','}${part.slice(1, -1)}`;
  }
  yield ']}\n';
}

/** The lineage of a build, its fingerprint and upstream classes derived from its inputs' (`upstreamOf` an input: that input's own upstream, if known). */
export function makeLineage(o: {
  id: string;
  version: string | null;
  runId: string;
  builtAt: string;
  inputs: readonly LineageInput[];
  upstreamOf: (input: LineageInput) => Readonly<Record<string, string | null>> | undefined;
}): Lineage {
  const upstream: Record<string, string | null> = {};
  const keyOf = classKeys();
  for (const i of o.inputs) {
    const up = o.upstreamOf(i);
    if (up) for (const k in up) upstream[k] = up[k] ?? null;
    upstream[keyOf(i.id)] = i.version;
  }
  return {
    format: 1,
    id: o.id,
    version: o.version,
    runId: o.runId,
    builtAt: o.builtAt,
    fingerprint: fingerprintOf(o.id, o.version, o.inputs),
    upstream,
    inputs: o.inputs,
  };
}

const isStringOrNull = (v: unknown): v is string | null => v === null || typeof v === 'string';

function isInput(v: unknown): v is LineageInput {
  if (typeof v !== 'object' || v === null) return false;
  const i = v as Record<string, unknown>;
  return typeof i.id === 'string' && isStringOrNull(i.version) && isStringOrNull(i.fingerprint) && isStringOrNull(i.builtAt) && (i.dynamic === undefined || i.dynamic === true);
}

/** A lineage file's text, checked; undefined when it is not one this nectar can read. */
export function parseLineage(text: string): Lineage | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const l = v as Record<string, unknown>;
  if (l.format !== 1 || typeof l.id !== 'string' || !isStringOrNull(l.version) || typeof l.runId !== 'string') return undefined;
  if (typeof l.builtAt !== 'string' || typeof l.fingerprint !== 'string') return undefined;
  if (typeof l.upstream !== 'object' || l.upstream === null || !Object.values(l.upstream).every(isStringOrNull)) return undefined;
  if (!Array.isArray(l.inputs) || !l.inputs.every(isInput)) return undefined;
  return v as Lineage;
}
