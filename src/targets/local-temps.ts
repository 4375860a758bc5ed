import { createWriteStream, type Dirent, promises as fsp, readdirSync, statSync, unlinkSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import type { AtomicWriter } from '../core/target';

/** `.<name>.tmp-<pid>-<n>`: what {@link tempPathFor} makes, and all that a sweep ever removes. */
const TEMP_NAME = /^\.[^/\\]+\.tmp-(\d+)-(\d+)$/;

/** Whether a file name is a write's temp file (never a key). */
export function isTempName(name: string): boolean {
  return TEMP_NAME.test(name);
}

/** Temp files this process is writing (created, not yet renamed or removed): removed on exit. */
const inFlight = new Set<string>();
let tempCounter = 0;
let exitHookInstalled = false;

/**
 * `dir/.name.tmp-<pid>-<n>`: hidden beside its final name, so the rename stays on one file
 * system. The path counts as in flight until {@link releaseTemp}.
 */
export function tempPathFor(path: string): string {
  tempCounter += 1;
  const tmp = join(dirname(path), `.${path.slice(path.lastIndexOf(sep) + 1)}.tmp-${process.pid}-${tempCounter}`);
  inFlight.add(tmp);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', removeInFlight);
  }
  return tmp;
}

/** The temp file was renamed into place or removed: no longer this process's to clean up. */
export function releaseTemp(tmp: string): void {
  inFlight.delete(tmp);
}

/** On exit (normal, or process.exit after a signal handler): whatever is still in flight is garbage. */
function removeInFlight(): void {
  for (const tmp of inFlight) {
    try {
      unlinkSync(tmp);
    } catch {
      // Already renamed or removed, or the folder is gone: nothing left to do.
    }
  }
  inFlight.clear();
}

/** A stream into the temp file `tmp`, open as `fd`: renamed to `path` on commit, removed on abort. */
export function atomicWriter(path: string, tmp: string, fd: number): AtomicWriter {
  const stream = createWriteStream(tmp, { fd });
  let state: 'open' | 'committed' | 'aborted' = 'open';
  const closed = (): Promise<void> =>
    new Promise((res, rej) => {
      if (stream.closed) return res();
      stream.once('close', () => (stream.errored ? rej(stream.errored) : res()));
    });
  const writer = stream as unknown as AtomicWriter;
  writer.commit = async () => {
    if (state !== 'open') throw new Error(`cannot commit: writer already ${state}`);
    if (!stream.writableEnded) stream.end();
    await closed();
    await fsp.rename(tmp, path);
    state = 'committed';
    releaseTemp(tmp);
  };
  writer.abort = async () => {
    if (state !== 'open') return;
    state = 'aborted';
    if (!stream.destroyed) stream.destroy();
    await closed().catch(() => undefined);
    try {
      await fsp.rm(tmp, { force: true });
    } finally {
      releaseTemp(tmp);
    }
  };
  return writer;
}

/** False only when the pid is certainly not a live process here (ESRCH); EPERM and the like mean alive. */
function pidAlive(pid: number): boolean {
  // kill(0, sig) signals the whole process group: never a question about one process.
  if (!Number.isSafeInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** When to judge a temp file: the clock and the age past which its writer is presumed gone. */
export interface SweepPolicy {
  now: () => number;
  maxAgeMs: number;
}

type Verdict = 'keep' | 'remove' | 'if-old';

/**
 * A temp file of a dead writer is removed; one whose pid is alive (possibly reused) only once
 * it has not been written for `maxAgeMs`. This process's own temps are judged by age alone:
 * another copy of this module (a worker thread) shares the pid but not the in-flight set.
 */
function verdict(dir: string, entry: Dirent): Verdict {
  if (!entry.isFile()) return 'keep';
  const m = TEMP_NAME.exec(entry.name);
  if (!m || inFlight.has(join(dir, entry.name))) return 'keep';
  const pid = Number(m[1]);
  return pid !== process.pid && !pidAlive(pid) ? 'remove' : 'if-old';
}

/**
 * Remove the temp files in `dir` that dead writers left (see {@link verdict}); how many went.
 * Synchronous: one readdir and a stat per temp file, done only when a folder that already
 * existed is first written (or on demand), cheaper than trips through the libuv pool.
 */
export function sweepDir(dir: string, policy: SweepPolicy): number {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  let removed = 0;
  for (const e of entries) {
    const v = verdict(dir, e);
    if (v === 'keep') continue;
    const path = join(dir, e.name);
    try {
      if (v === 'if-old' && policy.now() - statSync(path).mtimeMs < policy.maxAgeMs) continue;
      unlinkSync(path);
      removed++;
    } catch {
      // Renamed into place or removed by someone else meanwhile: not ours to count.
    }
  }
  return removed;
}
