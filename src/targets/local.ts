import { createReadStream, mkdirSync, open as openFd, openSync, promises as fsp, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import type { AtomicWriter, Target, TargetStore, WriteSource } from '../core/target';
import { assertSafeKey } from '../core/target';
import { existsManyLocal } from './local-exists';
import { atomicWriter, isTempName, releaseTemp, type SweepPolicy, sweepDir, tempPathFor } from './local-temps';

const openFdAsync = promisify(openFd);

/**
 * Writes up to this size are done with synchronous calls: on a local file system they cost
 * microseconds, less than the four trips through the libuv pool that open/write/close/rename
 * take asynchronously (measured: a 10,000-task fan-in went from 2.3 s to 1.5 s). Larger data
 * is written asynchronously so that the event loop never waits long.
 */
const SYNC_WRITE_MAX = 64 * 1024;

/** A temp file untouched this long is presumed abandoned even if its pid is alive (pids get reused). */
const TEMP_MAX_AGE_MS = 24 * 3600_000;

/** Options of a {@link LocalTargetStore}. */
export interface LocalStoreOptions {
  /** The clock that ages temp files (default Date.now). */
  now?: () => number;
  /** Age past which a temp file of a live pid is swept anyway (default one day). */
  tempMaxAgeMs?: number;
}

const isMissing = (err: unknown): boolean => (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';

/** Targets in a folder on local disk. Writes go to a temp file beside the final one, then rename. */
export class LocalTargetStore implements TargetStore {
  readonly kind = 'local';
  readonly root: string;
  /** Folders known to exist: mkdir once per folder, not once per write. */
  readonly #dirs = new Set<string>();
  readonly #sweep: SweepPolicy;

  constructor(root: string, o: LocalStoreOptions = {}) {
    this.root = resolve(root);
    this.#sweep = { now: o.now ?? Date.now, maxAgeMs: o.tempMaxAgeMs ?? TEMP_MAX_AGE_MS };
  }

  get location(): string {
    return this.root;
  }

  /** Absolute path of a key; refuses keys that would leave the root. */
  localPath(key: string): string {
    return this.pathOf(key);
  }

  pathOf(key: string): string {
    // A safe key has no empty, `.` or `..` segment, so plain concatenation is already normal.
    assertSafeKey(key);
    return `${this.root}${sep}${sep === '/' ? key : key.split('/').join(sep)}`;
  }

  target(key: string): Target {
    return new LocalTarget(this, key, this.pathOf(key));
  }

  /**
   * One mkdir per folder while it stays in place. A folder that already existed may hold temp
   * files of writers that died: swept once, as it enters the cache (a new one has none).
   */
  async ensureDir(dir: string): Promise<void> {
    if (this.#dirs.has(dir)) return;
    const created = await fsp.mkdir(dir, { recursive: true });
    this.#entered(dir, created);
  }

  /** {@link ensureDir} for `open()` and small writes, which do not wait on the event loop. */
  ensureDirSync(dir: string): void {
    if (this.#dirs.has(dir)) return;
    this.#entered(dir, mkdirSync(dir, { recursive: true }));
  }

  /** A folder enters the cache; `created` is what mkdir made (undefined: it was there already, and is swept). */
  #entered(dir: string, created: string | undefined): void {
    if (this.#dirs.has(dir)) return;
    this.#dirs.add(dir);
    if (created !== undefined) return;
    try {
      sweepDir(dir, this.#sweep);
    } catch {
      // A failed sweep must never fail the write that triggered it.
    }
  }

  /**
   * Run `attempt` in `dir`. The folder cache saves a mkdir per write, but a folder removed by
   * hand (`rm -rf` under a running server) is then missing: on ENOENT, forget it, recreate it,
   * and try once more.
   */
  async inDir<T>(dir: string, attempt: () => Promise<T>): Promise<T> {
    await this.ensureDir(dir);
    try {
      return await attempt();
    } catch (err) {
      if (!isMissing(err)) throw err;
      this.#dirs.delete(dir);
      await this.ensureDir(dir);
      return attempt();
    }
  }

  /** {@link inDir} with synchronous calls. */
  inDirSync<T>(dir: string, attempt: () => T): T {
    this.ensureDirSync(dir);
    try {
      return attempt();
    } catch (err) {
      if (!isMissing(err)) throw err;
      this.#dirs.delete(dir);
      this.ensureDirSync(dir);
      return attempt();
    }
  }

  /**
   * Remove the temp files that dead writers left in a folder (`chains/<type>/.../<id>`): their
   * pid is gone, or they were not written for the safe age (a day). Returns how many went.
   * For code that just killed a writer (the process pool); writes sweep a folder by themselves.
   */
  async sweepTemps(folderKey: string): Promise<number> {
    return sweepDir(this.pathOf(folderKey), this.#sweep);
  }

  async list(folderKey: string): Promise<string[]> {
    const dir = this.pathOf(folderKey);
    let names: string[];
    try {
      names = (await fsp.readdir(dir, { recursive: true, withFileTypes: true })).filter((d) => d.isFile()).map((d) => `${d.parentPath}/${d.name}`.slice(dir.length + 1));
    } catch (err) {
      if (isMissing(err)) return [];
      throw err;
    }
    const keys = names.map((n) => `${folderKey}/${sep === '/' ? n : n.split(sep).join('/')}`).filter((k) => !isTempName(k.slice(k.lastIndexOf('/') + 1)));
    return keys.sort();
  }

  /** One stat per key, or one listing of a folder for the many keys under it (`existsManyLocal`). */
  existsMany(keys: readonly string[]): Promise<boolean[]> {
    return existsManyLocal(keys, (key) => this.pathOf(key));
  }
}

class LocalTarget implements Target {
  constructor(
    private readonly store: LocalTargetStore,
    readonly key: string,
    readonly path: string,
  ) {}

  async exists(): Promise<boolean> {
    try {
      await fsp.access(this.path);
      return true;
    } catch {
      return false;
    }
  }

  readText(): Promise<string> {
    return fsp.readFile(this.path, 'utf8');
  }

  readBytes(): Promise<Buffer> {
    return fsp.readFile(this.path);
  }

  createReadStream(): Readable {
    return createReadStream(this.path);
  }

  async write(data: string | Uint8Array): Promise<void> {
    const size = typeof data === 'string' ? data.length * 3 : data.byteLength;
    if (size <= SYNC_WRITE_MAX) return this.writeSync(data);
    await this.store.inDir(dirname(this.path), async () => {
      const tmp = tempPathFor(this.path);
      try {
        await fsp.writeFile(tmp, data);
        await fsp.rename(tmp, this.path);
      } catch (err) {
        await fsp.rm(tmp, { force: true }).catch(() => undefined);
        throw err;
      } finally {
        releaseTemp(tmp);
      }
    });
  }

  private writeSync(data: string | Uint8Array): void {
    this.store.inDirSync(dirname(this.path), () => {
      const tmp = tempPathFor(this.path);
      try {
        writeFileSync(tmp, data);
        renameSync(tmp, this.path);
      } catch (err) {
        rmSync(tmp, { force: true });
        throw err;
      } finally {
        releaseTemp(tmp);
      }
    });
  }

  async writeFrom(source: WriteSource): Promise<void> {
    const w = await this.openAsync();
    try {
      const readable = source instanceof Readable ? source : Readable.from(source);
      await pipeline(readable, w);
      await w.commit();
    } catch (err) {
      await w.abort();
      throw err;
    }
  }

  // The temp file is opened here, not by the stream, so that a missing folder shows at once
  // (and is recreated) rather than as a stream error later.
  open(): AtomicWriter {
    return this.store.inDirSync(dirname(this.path), () => {
      const tmp = tempPathFor(this.path);
      try {
        return atomicWriter(this.path, tmp, openSync(tmp, 'w'));
      } catch (err) {
        releaseTemp(tmp);
        throw err;
      }
    });
  }

  private openAsync(): Promise<AtomicWriter> {
    return this.store.inDir(dirname(this.path), async () => {
      const tmp = tempPathFor(this.path);
      try {
        return atomicWriter(this.path, tmp, await openFdAsync(tmp, 'w'));
      } catch (err) {
        releaseTemp(tmp);
        throw err;
      }
    });
  }

  async delete(): Promise<void> {
    await fsp.rm(this.path, { force: true });
  }
}
