import { HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { inParallel } from '../core/parallel';
import { assertSafeKey } from '../core/target';

/** True for the SDK's "no such key/bucket" answers. */
export function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404;
}

/** Whether one key exists: a HEAD request. */
export async function headExists(client: S3Client, bucket: string, key: string): Promise<boolean> {
  try {
    await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

/** Keys per listed range: with a task's three files, about one 1,000-key page. */
const LIST_CHUNK = 300;

/** `chains/<type>/<chain>/<Task>/`: the prefix that one listing covers for a whole task family. */
function familyOf(key: string): string {
  const parts = key.split('/');
  return parts.length > 4 ? `${parts.slice(0, 4).join('/')}/` : `${parts.slice(0, -1).join('/')}/`;
}

/** How `existsMany` asks: HEAD requests in flight at once, and from how many keys of one task family a listing is used instead. */
export interface ExistsOptions {
  readonly headConcurrency: number;
  readonly listThreshold: number;
}

/**
 * Which keys exist, batched: keys grouped by task family; a family with many keys is answered
 * by listing the ranges of its prefix that the keys asked for span (about a page each, pages
 * in parallel); the rest by HEAD requests, a bounded number in flight.
 */
export async function existsMany(client: S3Client, bucket: string, keys: readonly string[], o: ExistsOptions): Promise<boolean[]> {
  const out = new Array<boolean>(keys.length).fill(false);
  const families = new Map<string, number[]>();
  keys.forEach((k, i) => {
    assertSafeKey(k);
    const f = familyOf(k);
    let list = families.get(f);
    if (!list) families.set(f, (list = []));
    list.push(i);
  });
  const heads: number[] = [];
  const ranges: { prefix: string; keys: string[] }[] = [];
  for (const [prefix, idx] of families) {
    if (idx.length < o.listThreshold) {
      heads.push(...idx);
      continue;
    }
    // Consecutive runs of the sorted keys, each small enough that its range of the listing
    // (the task's other files included) fits in about one page; the runs are listed in parallel.
    const wanted = idx.map((i) => keys[i] as string).sort();
    for (let i = 0; i < wanted.length; i += LIST_CHUNK) ranges.push({ prefix, keys: wanted.slice(i, i + LIST_CHUNK) });
  }
  const found = new Set<string>();
  await inParallel(ranges, o.headConcurrency, async (r) => {
    for (const k of await listRange(client, bucket, r.prefix, r.keys[0] as string, r.keys[r.keys.length - 1] as string)) found.add(k);
  });
  for (const idx of families.values()) if (idx.length >= o.listThreshold) for (const i of idx) out[i] = found.has(keys[i] as string);
  await inParallel(heads, o.headConcurrency, async (i) => {
    out[i] = await headExists(client, bucket, keys[i] as string);
  });
  return out;
}

/** Every key under `prefix` from `first` to `last` inclusive (lexicographic, as S3 lists). */
async function listRange(client: S3Client, bucket: string, prefix: string, first: string, last: string): Promise<Set<string>> {
  const found = new Set<string>();
  let token: string | undefined;
  // StartAfter is exclusive: start just before `first`.
  let startAfter: string | undefined = first.slice(0, -1) + String.fromCharCode(first.charCodeAt(first.length - 1) - 1);
  for (;;) {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token, StartAfter: token ? undefined : startAfter, MaxKeys: 1000 }),
    );
    let past = false;
    for (const o of page.Contents ?? []) {
      if (o.Key === undefined) continue;
      if (o.Key > last) {
        past = true;
        break;
      }
      found.add(o.Key);
    }
    if (past || !page.IsTruncated || !page.NextContinuationToken) return found;
    token = page.NextContinuationToken;
    startAfter = undefined;
  }
}
