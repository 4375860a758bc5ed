/**
 * Smoke check for bench/radosgw.ts: `node bin/run-ts.js bench/radosgw-check.ts`. Starts the
 * throwaway Ceph, then CreateBucket / Put / Head / List through the SDK, prints timings.
 */
import { CreateBucketCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { radosgwClient, startRadosgw } from './radosgw';

async function main(): Promise<void> {
  const t0 = performance.now();
  const rgw = await startRadosgw();
  if (!rgw) return;
  process.stdout.write(`radosgw up in ${((performance.now() - t0) / 1000).toFixed(1)} s at ${rgw.endpoint}\n`);
  const client = radosgwClient(rgw);
  try {
    await client.send(new CreateBucketCommand({ Bucket: 'check' }));
    await client.send(new PutObjectCommand({ Bucket: 'check', Key: 'a/b.txt', Body: 'hello' }));
    const head = await client.send(new HeadObjectCommand({ Bucket: 'check', Key: 'a/b.txt' }));
    const list = await client.send(new ListObjectsV2Command({ Bucket: 'check', Prefix: 'a/' }));
    const ok = head.ContentLength === 5 && list.KeyCount === 1 && list.Contents?.[0]?.Key === 'a/b.txt';
    process.stdout.write(`create/put/head/list: ${ok ? 'ok' : 'WRONG'} (head ${head.ContentLength}, list ${list.KeyCount})\n`);
    if (!ok) process.exitCode = 1;
  } finally {
    client.destroy();
    const t1 = performance.now();
    await rgw.stop();
    process.stdout.write(`stopped in ${((performance.now() - t1) / 1000).toFixed(1)} s\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`radosgw check: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
