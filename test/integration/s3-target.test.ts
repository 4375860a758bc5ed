import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { ListMultipartUploadsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { S3TargetStore } from '../../src/targets/s3';
import { targetContract } from '../contract/target-contract';
import { REPO } from '../helpers/runtime';
import { type S3Harness, s3ClientConfig, startFaultProxy, startS3 } from '../helpers/s3';

const MiB = 1024 * 1024;
let s3: S3Harness;
beforeAll(async () => {
  s3 = await startS3();
});
afterAll(async () => {
  await s3?.stop();
});

const storeIn = (bucket: string, client: S3Client = s3.client, extra: Partial<ConstructorParameters<typeof S3TargetStore>[0]> = {}): S3TargetStore =>
  new S3TargetStore({ client, bucket, partSize: 5 * MiB, queueSize: 2, ...extra });

targetContract('s3', async () => {
  const bucket = await s3.newBucket();
  return { store: storeIn(bucket), cleanup: async () => undefined };
});

describe('S3 target', () => {
  it('streams a 200 MB output through multipart upload with bounded memory, byte for byte', async () => {
    const store = storeIn(await s3.newBucket());
    const t = store.target('chains/big/out.bin');
    const chunk = Buffer.alloc(MiB);
    const sent = createHash('sha256');
    const before = process.memoryUsage().rss;
    let peak = before;
    async function* gen() {
      for (let i = 0; i < 200; i++) {
        chunk.fill(i % 251);
        sent.update(chunk);
        peak = Math.max(peak, process.memoryUsage().rss);
        yield Buffer.from(chunk);
      }
    }
    await t.writeFrom(gen());
    const got = createHash('sha256');
    let size = 0;
    for await (const c of t.createReadStream()) {
      got.update(c as Buffer);
      size += (c as Buffer).length;
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    expect(size).toBe(200 * MiB);
    expect(got.digest('hex')).toBe(sent.digest('hex'));
    // Holding it would cost 200 MB; a few 5 MB parts in flight cost a few tens.
    expect(peak - before).toBeLessThan(120 * MiB);
  });

  it('gives a presigned URL that plain fetch downloads', async () => {
    const store = storeIn(await s3.newBucket());
    await store.target('chains/t/c/T/abc/out.txt').write('signed and delivered');
    const url = await store.presign('chains/t/c/T/abc/out.txt', 60);
    expect(url).toContain('X-Amz-Expires=60');
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('signed and delivered');
  });

  it('leaves no object when the writing process is killed mid-upload, and the stale upload can be aborted', async () => {
    const bucket = await s3.newBucket();
    const script = `
      require('./bin/register');
      const { S3Client } = require('@aws-sdk/client-s3');
      const { S3TargetStore } = require('./src/targets/s3.ts');
      const client = new S3Client(${JSON.stringify(s3ClientConfig(s3.endpoint))});
      const store = new S3TargetStore({ client, bucket: ${JSON.stringify(bucket)}, partSize: 5 * 1024 * 1024, queueSize: 1 });
      const w = store.target('chains/k/out.bin').open();
      let n = 0;
      const tick = () => {
        w.write(Buffer.alloc(1024 * 1024, 1));
        if (++n === 12) process.stdout.write('uploading\\n');
        if (n < 1000) setTimeout(tick, 5);
      };
      tick();
    `;
    const child = spawn(process.execPath, ['-e', script], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((res) => child.stdout.once('data', () => res()));
    await new Promise((r) => setTimeout(r, 300)); // let a part or two land
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const store = storeIn(bucket);
    expect(await store.target('chains/k/out.bin').exists()).toBe(false);
    const pending = await s3.client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    expect((pending.Uploads ?? []).length).toBe(1);
    expect(await store.abortStaleUploads('chains/', 0)).toBe(1);
    const after = await s3.client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    expect(after.Uploads ?? []).toEqual([]);
  });

  it('cleans up the multipart upload of a write that is aborted', async () => {
    const bucket = await s3.newBucket();
    const store = storeIn(bucket);
    const w = store.target('chains/a/out.bin').open();
    for (let i = 0; i < 12; i++) w.write(Buffer.alloc(MiB, 2));
    await new Promise((r) => setTimeout(r, 300));
    await w.abort();
    expect(await store.target('chains/a/out.bin').exists()).toBe(false);
    const pending = await s3.client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    expect(pending.Uploads ?? []).toEqual([]);
  });

  it('decides which of many tasks are complete with a few listings, not a HEAD each', async () => {
    const bucket = await s3.newBucket();
    const proxy = await startFaultProxy(s3.endpoint, {});
    try {
      const client = new S3Client(s3ClientConfig(proxy.url));
      const store = storeIn(bucket, client);
      const keys = Array.from({ length: 1500 }, (_, i) => `chains/t/c/T/${createHash('md5').update(String(i)).digest('hex')}/out.txt`);
      const others = Array.from({ length: 30 }, (_, i) => `chains/t/c/U/${String(i).padStart(4, '0')}/out.txt`);
      await Promise.all(keys.filter((_, i) => i % 3 !== 0).map((k) => s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: k, Body: 'x' }))));
      await Promise.all(others.filter((_, i) => i % 2 === 0).map((k) => store.target(k).write('y')));
      const before = proxy.stats.requests;
      const exists = await store.existsMany([...keys, ...others, 'chains/x/y/Z/one/out.txt']);
      const used = proxy.stats.requests - before;
      expect(exists.slice(0, 1500)).toEqual(keys.map((_, i) => i % 3 !== 0));
      expect(exists.slice(1500, 1530)).toEqual(others.map((_, i) => i % 2 === 0));
      expect(exists[1530]).toBe(false);
      // Family T: 1,500 keys -> 5 ranges of 300 keys, about a page each; family U (30 keys) -> 1; one HEAD.
      expect(used).toBeLessThanOrEqual(8);
      const headEach = storeIn(bucket, client, { listThreshold: Number.POSITIVE_INFINITY });
      const b2 = proxy.stats.requests;
      expect(await headEach.existsMany(keys.slice(0, 100))).toEqual(exists.slice(0, 100));
      expect(proxy.stats.requests - b2).toBe(100);
    } finally {
      await proxy.stop();
    }
  });

  it('survives 503s and connection resets: retried with backoff', async () => {
    const bucket = await s3.newBucket();
    const proxy = await startFaultProxy(s3.endpoint, { failEvery: 3, status: 503 });
    try {
      const store = storeIn(bucket, new S3Client({ ...s3ClientConfig(proxy.url), maxAttempts: 6 }));
      for (let i = 0; i < 10; i++) await store.target(`chains/f/${i}/out.txt`).write(`v${i}`);
      for (let i = 0; i < 10; i++) expect(await store.target(`chains/f/${i}/out.txt`).readText()).toBe(`v${i}`);
      expect(await store.existsMany(Array.from({ length: 10 }, (_, i) => `chains/f/${i}/out.txt`))).toEqual(Array(10).fill(true));
      expect(proxy.stats.injected).toBeGreaterThan(5);
    } finally {
      await proxy.stop();
    }
    const resets = await startFaultProxy(s3.endpoint, { resetEvery: 4 });
    try {
      const store = storeIn(bucket, new S3Client({ ...s3ClientConfig(resets.url), maxAttempts: 6 }));
      for (let i = 0; i < 10; i++) expect(await store.target(`chains/f/${i}/out.txt`).exists()).toBe(true);
      expect(resets.stats.injected).toBeGreaterThan(0);
    } finally {
      await resets.stop();
    }
  });

  it('names the problem when the bucket is missing', async () => {
    await expect(storeIn('no-such-bucket-here').check()).rejects.toThrow("bucket 'no-such-bucket-here' does not exist");
  });
});
