/**
 * S3 completeness bench (`npm run bench` runs it last; alone: `node bin/run-ts.js bench/s3.ts
 * [--quick] [--json]`). A real S3-compatible server holds N complete
 * tasks (out.txt, params.json and log each) plus N/10 missing; nectar decides which of the
 * N + N/10 tasks are complete, batched (one listing per task family), beside one HEAD each
 * in sequence (the floor the issue names) and 32 HEADs in flight (what a careful loop does).
 * The server is radosgw (a production S3: single-node Ceph, bench/radosgw.ts) when Ceph is
 * installed, else s3rver as in the tests; s3rver walks its whole bucket folder on every list
 * request, so batching cannot win there.
 */
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { parseArgs } from 'node:util';
import { checkComplete, outputKeys, taskFolder } from '../src/core/binding';
import { S3TargetStore } from '../src/targets/s3';
import { startS3 } from '../test/helpers/s3';
import { radosgwClient, startRadosgw } from './radosgw';
import { LeafTask } from './tasks';

const { values: args } = parseArgs({ options: { quick: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } }, strict: false });
const N = args.quick ? 1_000 : 10_000;
const TARGET = 10;

async function timed<T>(f: () => Promise<T>): Promise<{ s: number; v: T }> {
  const t0 = performance.now();
  const v = await f();
  return { s: (performance.now() - t0) / 1000, v };
}

interface Server {
  name: string;
  note: string;
  client: S3Client;
  bucket: string;
  stop(): Promise<void>;
}

/** radosgw when Ceph is installed, else s3rver. */
async function startServer(): Promise<Server> {
  const bucket = 'nectar-bench';
  const rgw = await startRadosgw();
  if (rgw) {
    const client = radosgwClient(rgw);
    try {
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
    } catch (err) {
      client.destroy();
      await rgw.stop();
      throw err;
    }
    return {
      name: 'radosgw',
      note: 'radosgw',
      client,
      bucket,
      async stop() {
        client.destroy();
        await rgw.stop();
      },
    };
  }
  const s3 = await startS3({ bucket });
  return { name: 's3rver', note: 's3rver; its listing walks the whole bucket per request, so batching cannot win there', client: s3.client, bucket, stop: () => s3.stop() };
}

async function main(): Promise<void> {
  const s3 = await startServer();
  try {
    const tasks = Array.from({ length: N + N / 10 }, (_, i) => new LeafTask({ i, n: N }));
    const complete = tasks.slice(0, N);
    // Setup (not timed): the objects a complete task has.
    const store = new S3TargetStore({ client: s3.client, bucket: s3.bucket });
    let next = 0;
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (next < complete.length) {
          const t = complete[next++] as LeafTask;
          const folder = taskFolder(t.id);
          for (const name of ['out.txt', 'params.json', 'log']) await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: `${folder}/${name}`, Body: name }));
        }
      }),
    );
    const expected = tasks.map((_, i) => i < N);
    const check = (got: boolean[], what: string): void => {
      if (got.length !== expected.length || got.some((g, i) => g !== expected[i])) throw new Error(`${what} gave a wrong answer`);
    };
    const batched = await timed(() => checkComplete(tasks, store));
    check(batched.v, 'batched');
    const parallel = await timed(() => checkComplete(tasks, new S3TargetStore({ client: s3.client, bucket: s3.bucket, listThreshold: Number.POSITIVE_INFINITY, headConcurrency: 32 })));
    check(parallel.v, '32 HEADs in flight');
    const sequential = await timed(() => checkComplete(tasks, new S3TargetStore({ client: s3.client, bucket: s3.bucket, listThreshold: Number.POSITIVE_INFINITY, headConcurrency: 1 })));
    check(sequential.v, 'one HEAD each');
    const ratio = sequential.s / batched.s;
    const figures = {
      tasks: tasks.length,
      objects: N * 3,
      batchedS: batched.s,
      headEachS: sequential.s,
      head32S: parallel.s,
      ratio,
      ratioVs32: parallel.s / batched.s,
      server: s3.name,
      met: ratio >= TARGET,
      keysChecked: tasks.reduce((n, t) => n + outputKeys(t).length, 0),
    };
    if (args.json) process.stdout.write(`${JSON.stringify({ bench: 's3-completeness', figures })}\n`);
    else {
      const n = tasks.length.toLocaleString('en');
      process.stdout.write(
        `s3-complete-${N >= 10_000 ? '10k' : '1k'}: ${batched.s.toFixed(2)} s for ${n} tasks batched (${ratio.toFixed(1)}x faster than one HEAD each ${sequential.s.toFixed(2)} s; target >= ${TARGET}x${ratio >= TARGET ? '' : ' MISSED'}; ${figures.ratioVs32.toFixed(1)}x faster than 32 HEADs in flight ${parallel.s.toFixed(2)} s) (server: ${s3.note})\n`,
      );
    }
  } finally {
    await s3.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`s3 bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
