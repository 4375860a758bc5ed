import type { Readable, Writable } from 'node:stream';

/**
 * A Writable whose data becomes visible at the target only on `commit()`; `abort()` (or a
 * process that dies first) leaves nothing at the target's key.
 */
export interface AtomicWriter extends Writable {
  /** End the stream if needed, then make the data visible at once. */
  commit(): Promise<void>;
  /** Drop everything written. Safe to call after commit (then it does nothing). */
  abort(): Promise<void>;
}

/** Something a stream of chunks can be written from. */
export type WriteSource = Readable | AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>;

/**
 * One object at a key under a target root (local folder or S3 bucket). Every write is
 * atomic: readers see the old state or the whole new data, never part of it.
 */
export interface Target {
  /** Path under the root, always with `/` separators: `chains/<task id>/out.txt`. */
  readonly key: string;
  exists(): Promise<boolean>;
  readText(): Promise<string>;
  readBytes(): Promise<Buffer>;
  /** Stream the content; for outputs too large to hold in memory. */
  createReadStream(): Readable;
  write(data: string | Uint8Array): Promise<void>;
  /** Stream `source` in; visible only once all of it is written. */
  writeFrom(source: WriteSource): Promise<void>;
  /** A writable the caller fills and then commits or aborts. */
  open(): AtomicWriter;
  delete(): Promise<void>;
}

/** A target root. Keys are relative, `/`-separated and never leave the root. */
export interface TargetStore {
  /** `local` or `s3`: for logs and the API. */
  readonly kind: string;
  /** A human-readable location of the root (folder path or `s3://bucket/prefix`). */
  readonly location: string;
  target(key: string): Target;
  /** Existence of many keys at once, in order; the store picks the fastest way (batched lists, bounded parallelism). */
  existsMany(keys: readonly string[]): Promise<boolean[]>;
  /**
   * Every key under a folder key (`chains/<type>/<chain>/<Task>`), however deep, sorted; temp
   * files of writes in progress are not keys. Empty when there is nothing there.
   */
  list(folderKey: string): Promise<string[]>;
  /** A GET URL valid for `expiresIn` seconds, for stores that can sign one (S3); absent for local folders. */
  presign?(key: string, expiresIn: number): Promise<string>;
  /** The file of a key on this machine, for stores that have one (local folders): programs read inputs there. */
  localPath?(key: string): string;
  /**
   * Remove temp files of writers that are gone from one task folder (local folders); returns
   * how many. For an executor that just killed a writer: writes sweep a folder by themselves.
   */
  sweepTemps?(folderKey: string): Promise<number>;
}

/** An empty, `.` or `..` segment, a leading or trailing slash, a backslash or a NUL. */
const UNSAFE_KEY = /(?:^|\/)\.{0,2}(?:\/|$)|[\\\0]/;

/** Rejects keys that could leave the root: absolute, `..`, empty or odd segments, backslashes. */
export function assertSafeKey(key: string): void {
  if (UNSAFE_KEY.test(key)) throw new Error(`unsafe target key ${JSON.stringify(key)}`);
}
