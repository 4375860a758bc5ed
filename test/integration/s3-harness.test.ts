/**
 * Proves the S3 test harness (test/helpers/s3.ts) against the real AWS SDK: basic calls,
 * streamed multipart upload integrity, truncated listings, abort, and fault injection.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { type S3Harness, pendingUploadsOnDisk, s3ClientConfig, startFaultProxy, startS3 } from '../helpers/s3';

const MB = 1024 * 1024;

let s3: S3Harness;
beforeAll(async () => {
  s3 = await startS3();
});
afterAll(async () => {
  await s3?.stop();
});

/** sha256 and length of a GetObject body, read as a stream. */
async function digest(body: unknown): Promise<{ sha: string; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    h.update(chunk);
    size += chunk.length;
  }
  return { sha: h.digest('hex'), size };
}

/** Error name of a rejected SDK call. */
async function errorName(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as Error).name;
  }
  throw new Error('expected the call to fail');
}

describe('S3 test harness (s3rver)', () => {
  it('round-trips Put, Head, Get and Delete', async () => {
    const Bucket = await s3.newBucket();
    await s3.client.send(new PutObjectCommand({ Bucket, Key: 'dir/a.txt', Body: 'hello s3', ContentType: 'text/plain', Metadata: { who: 'nectar' } }));
    const head = await s3.client.send(new HeadObjectCommand({ Bucket, Key: 'dir/a.txt' }));
    expect(head.ContentLength).toBe(8);
    expect(head.Metadata).toEqual({ who: 'nectar' });
    const got = await s3.client.send(new GetObjectCommand({ Bucket, Key: 'dir/a.txt' }));
    expect(await got.Body?.transformToString()).toBe('hello s3');
    await s3.client.send(new DeleteObjectCommand({ Bucket, Key: 'dir/a.txt' }));
    expect(await errorName(s3.client.send(new HeadObjectCommand({ Bucket, Key: 'dir/a.txt' })))).toBe('NotFound');
  });

  it('reads back a streamed 12 MB multipart Upload byte for byte', async () => {
    const Bucket = await s3.newBucket();
    const sent = createHash('sha256');
    let left = 12 * MB;
    const body = new Readable({
      read() {
        if (left === 0) return void this.push(null);
        const chunk = randomBytes(Math.min(256 * 1024, left));
        left -= chunk.length;
        sent.update(chunk);
        this.push(chunk);
      },
    });
    const upload = new Upload({ client: s3.client, params: { Bucket, Key: 'big.bin', Body: body }, partSize: 5 * MB, queueSize: 2 });
    const parts = new Set<number>();
    upload.on('httpUploadProgress', (p) => p.part !== undefined && parts.add(p.part));
    await upload.done();
    expect([...parts].sort()).toEqual([1, 2, 3]);

    const got = await s3.client.send(new GetObjectCommand({ Bucket, Key: 'big.bin' }));
    expect(got.ContentLength).toBe(12 * MB);
    expect(await digest(got.Body)).toEqual({ sha: sent.digest('hex'), size: 12 * MB });
    expect(pendingUploadsOnDisk(s3.dir, Bucket)).toEqual([]);
  });

  it('reads back a streamed single PutObject unchanged (no aws-chunked framing stored)', async () => {
    const Bucket = await s3.newBucket();
    const data = randomBytes(200_000);
    await s3.client.send(new PutObjectCommand({ Bucket, Key: 's.bin', Body: Readable.from([data.subarray(0, 70_000), data.subarray(70_000)]), ContentLength: data.length }));
    const got = await s3.client.send(new GetObjectCommand({ Bucket, Key: 's.bin' }));
    expect(await digest(got.Body)).toEqual({ sha: createHash('sha256').update(data).digest('hex'), size: data.length });
  });

  it('paginates a ListObjectsV2 of 1,200 keys with MaxKeys 1000', async () => {
    const Bucket = await s3.newBucket();
    const keys = Array.from({ length: 1200 }, (_, i) => `k/${String(i).padStart(4, '0')}`);
    for (let i = 0; i < keys.length; i += 50) {
      await Promise.all(keys.slice(i, i + 50).map((Key) => s3.client.send(new PutObjectCommand({ Bucket, Key, Body: Key }))));
    }
    const pages: ListObjectsV2CommandOutput[] = [];
    let token: string | undefined;
    do {
      const page = await s3.client.send(new ListObjectsV2Command({ Bucket, Prefix: 'k/', MaxKeys: 1000, ContinuationToken: token }));
      pages.push(page);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token && pages.length < 10);
    expect(pages.map((p) => [p.KeyCount, p.IsTruncated])).toEqual([
      [1000, true],
      [200, false],
    ]);
    expect(pages.flatMap((p) => (p.Contents ?? []).map((o) => o.Key))).toEqual(keys);
  });

  it('aborts a multipart upload and leaves nothing behind', async () => {
    const Bucket = await s3.newBucket();
    const Key = 'aborted/part.bin';
    const { UploadId } = await s3.client.send(new CreateMultipartUploadCommand({ Bucket, Key }));
    await s3.client.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 1, Body: randomBytes(64 * 1024) }));
    const listed = await s3.client.send(new ListPartsCommand({ Bucket, Key, UploadId }));
    expect(listed.Parts?.map((p) => [p.PartNumber, p.Size])).toEqual([[1, 64 * 1024]]);
    const before = await s3.client.send(new ListMultipartUploadsCommand({ Bucket }));
    expect(before.Uploads?.map((u) => [u.Key, u.UploadId])).toEqual([[Key, UploadId]]);
    expect(pendingUploadsOnDisk(s3.dir, Bucket)).toEqual([UploadId]);

    const aborted = await s3.client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId }));
    expect(aborted.$metadata.httpStatusCode).toBe(204);

    const after = await s3.client.send(new ListMultipartUploadsCommand({ Bucket }));
    expect(after.Uploads ?? []).toEqual([]);
    expect(pendingUploadsOnDisk(s3.dir, Bucket)).toEqual([]);
    expect(await errorName(s3.client.send(new ListPartsCommand({ Bucket, Key, UploadId })))).toBe('NoSuchUpload');
    expect(await errorName(s3.client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId })))).toBe('NoSuchUpload');
    expect(await errorName(s3.client.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 2, Body: 'late' })))).toBe('NoSuchUpload');
    expect(pendingUploadsOnDisk(s3.dir, Bucket)).toEqual([]);
    expect(await errorName(s3.client.send(new HeadObjectCommand({ Bucket, Key })))).toBe('NotFound');
  });

  it('survives injected 503 SlowDown answers through the fault proxy', async () => {
    const Bucket = await s3.newBucket();
    const proxy = await startFaultProxy(s3.endpoint, { failFirst: 2 });
    const client = new S3Client(s3ClientConfig(proxy.url));
    try {
      await client.send(new PutObjectCommand({ Bucket, Key: 'retried.txt', Body: 'made it' }));
      expect(proxy.stats).toEqual({ requests: 3, injected: 2 });
      const got = await s3.client.send(new GetObjectCommand({ Bucket, Key: 'retried.txt' }));
      expect(await got.Body?.transformToString()).toBe('made it');
    } finally {
      client.destroy();
      await proxy.stop();
    }
  });

  it('survives connection resets through the fault proxy', async () => {
    const Bucket = await s3.newBucket();
    await s3.client.send(new PutObjectCommand({ Bucket, Key: 'h.txt', Body: 'x' }));
    const proxy = await startFaultProxy(s3.endpoint, { resetEvery: 3 });
    const client = new S3Client(s3ClientConfig(proxy.url));
    try {
      for (let i = 0; i < 10; i++) {
        const head = await client.send(new HeadObjectCommand({ Bucket, Key: 'h.txt' }));
        expect(head.ContentLength).toBe(1);
      }
      // Every third request was reset and retried: 10 successes + 4 resets.
      expect(proxy.stats).toEqual({ requests: 14, injected: 4 });
    } finally {
      client.destroy();
      await proxy.stop();
    }
  });
});
