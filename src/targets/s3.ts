import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  AbortMultipartUploadCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { PassThrough, Readable } from 'node:stream';
import { NectarError } from '../core/errors';
import type { AtomicWriter, Target, TargetStore, WriteSource } from '../core/target';
import { assertSafeKey } from '../core/target';
import { existsMany, headExists, isNotFound } from './s3-exists';

export interface S3StoreOptions {
  client: S3Client;
  bucket: string;
  /** Multipart part size for streamed writes (default 8 MiB; S3's minimum is 5 MiB). */
  partSize?: number;
  /** Parts uploaded at once per stream (default 4): memory per stream is about partSize x queueSize. */
  queueSize?: number;
  /** HEAD requests in flight at once when checking few keys (default 32). */
  headConcurrency?: number;
  /** From this many keys under one task family, one listing beats a HEAD each (default 24). */
  listThreshold?: number;
}

/**
 * Targets in an S3 bucket (or any S3-compatible store), keys mirroring the local layout.
 * A PUT is atomic; streamed writes go through a multipart upload that becomes visible only
 * when it completes and is aborted (its parts removed) when the write fails. Transient
 * failures (5xx, throttling, resets) are retried by the SDK client's retry strategy.
 */
export class S3TargetStore implements TargetStore {
  readonly kind = 's3';
  readonly client: S3Client;
  readonly bucket: string;
  readonly partSize: number;
  readonly queueSize: number;
  readonly #headConcurrency: number;
  readonly #listThreshold: number;

  constructor(o: S3StoreOptions) {
    this.client = o.client;
    this.bucket = o.bucket;
    this.partSize = o.partSize ?? 8 * 1024 * 1024;
    this.queueSize = o.queueSize ?? 4;
    this.#headConcurrency = o.headConcurrency ?? 32;
    this.#listThreshold = o.listThreshold ?? 24;
  }

  get location(): string {
    return `s3://${this.bucket}`;
  }

  target(key: string): Target {
    assertSafeKey(key);
    return new S3Target(this, key);
  }

  /** Fails with what to fix when the bucket is missing or the credentials cannot reach it. */
  async check(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (err) {
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      const why =
        status === 404 || isNotFound(err)
          ? `bucket '${this.bucket}' does not exist: create it, or set NECTAR_BUCKET to one that does`
          : status === 403 || status === 401
            ? `access to bucket '${this.bucket}' was refused: check the credentials (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_PROFILE) and their permissions`
            : `cannot reach bucket '${this.bucket}': ${(err as Error).message} (check NECTAR_S3_ENDPOINT and the network)`;
      throw new NectarError('BAD_CONFIG', why);
    }
  }

  /** A GET URL anyone can use for `expiresIn` seconds. */
  presign(key: string, expiresIn: number): Promise<string> {
    assertSafeKey(key);
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: key }), { expiresIn });
  }

  /** Which keys exist, batched (a listing per task family with many keys, HEAD requests for the rest). */
  existsMany(keys: readonly string[]): Promise<boolean[]> {
    return existsMany(this.client, this.bucket, keys, { headConcurrency: this.#headConcurrency, listThreshold: this.#listThreshold });
  }

  async list(folderKey: string): Promise<string[]> {
    assertSafeKey(folderKey);
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: `${folderKey}/`, ContinuationToken: token }));
      for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  }

  /**
   * Abort multipart uploads under `prefix` begun more than `olderThanMs` before `now`: what a
   * process killed mid-upload leaves behind (invisible, but billed). An upload whose start the
   * store does not report is left alone unless `olderThanMs` is 0. Returns how many were aborted.
   */
  async abortStaleUploads(prefix = 'chains/', olderThanMs = 24 * 3600_000, now = Date.now()): Promise<number> {
    let aborted = 0;
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      const page = await this.client.send(new ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: prefix, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }));
      for (const u of page.Uploads ?? []) {
        if (!u.Key || !u.UploadId) continue;
        if (olderThanMs > 0 && (!u.Initiated || now - u.Initiated.getTime() < olderThanMs)) continue;
        await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: u.Key, UploadId: u.UploadId }));
        aborted++;
      }
      if (!page.IsTruncated) return aborted;
      keyMarker = page.NextKeyMarker;
      uploadIdMarker = page.NextUploadIdMarker;
    }
  }
}

class S3Target implements Target {
  constructor(
    private readonly store: S3TargetStore,
    readonly key: string,
  ) {}

  private get params(): { Bucket: string; Key: string } {
    return { Bucket: this.store.bucket, Key: this.key };
  }

  exists(): Promise<boolean> {
    return headExists(this.store.client, this.store.bucket, this.key);
  }

  async readBytes(): Promise<Buffer> {
    const r = await this.store.client.send(new GetObjectCommand(this.params));
    if (!r.Body) return Buffer.alloc(0);
    return Buffer.from(await r.Body.transformToByteArray());
  }

  async readText(): Promise<string> {
    return (await this.readBytes()).toString('utf8');
  }

  createReadStream(): Readable {
    const out = new PassThrough();
    this.store.client.send(new GetObjectCommand(this.params)).then(
      (r) => {
        const body = r.Body;
        if (body instanceof Readable) {
          body.on('error', (e) => out.destroy(e));
          body.pipe(out);
        } else out.end();
      },
      (err: unknown) => out.destroy(err as Error),
    );
    return out;
  }

  async write(data: string | Uint8Array): Promise<void> {
    await this.store.client.send(new PutObjectCommand({ ...this.params, Body: data }));
  }

  async writeFrom(source: WriteSource): Promise<void> {
    const w = this.open();
    try {
      const readable = source instanceof Readable ? source : Readable.from(source);
      for await (const chunk of readable) {
        if (!w.write(chunk as Buffer | string)) await new Promise<void>((res, rej) => {
          w.once('drain', res);
          w.once('error', rej);
        });
      }
      await w.commit();
    } catch (err) {
      await w.abort();
      throw err;
    }
  }

  /** A stream into a multipart upload: the object appears on commit, never before. */
  open(): AtomicWriter {
    const body = new PassThrough();
    const upload = new Upload({ client: this.store.client, params: { ...this.params, Body: body }, partSize: this.store.partSize, queueSize: this.store.queueSize, leavePartsOnError: false });
    const done = upload.done();
    done.catch(() => undefined);
    let state: 'open' | 'committed' | 'aborted' = 'open';
    const writer = body as unknown as AtomicWriter;
    writer.commit = async () => {
      if (state !== 'open') throw new Error(`cannot commit: writer already ${state}`);
      if (!body.writableEnded) body.end();
      await done;
      state = 'committed';
    };
    writer.abort = async () => {
      if (state !== 'open') return;
      state = 'aborted';
      await upload.abort().catch(() => undefined);
      body.destroy();
      await done.catch(() => undefined);
      // Upload.abort() settles done() at once and cleans up in the background; remove the parts
      // now so that an aborted write leaves nothing billed behind when we return.
      if (upload.uploadId) {
        await this.store.client
          .send(new AbortMultipartUploadCommand({ ...this.params, UploadId: upload.uploadId }))
          .catch((err: unknown) => {
            if ((err as { name?: string }).name !== 'NoSuchUpload') throw err;
          });
      }
    };
    return writer;
  }

  async delete(): Promise<void> {
    await this.store.client.send(new DeleteObjectCommand(this.params));
  }
}
