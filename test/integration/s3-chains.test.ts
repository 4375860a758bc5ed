import { spawnSync } from 'node:child_process';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { join } from 'node:path';
import type { NectarServer } from '../../src/api/server';
import { REPO, rmDir, tempDir, writeChains } from '../helpers/runtime';
import { type S3Harness, startS3 } from '../helpers/s3';
import { call, pollDone, startTestServer } from '../helpers/server';

let s3: S3Harness;
let dir: string;
let s3env: Record<string, string>;
beforeAll(async () => {
  s3 = await startS3();
  dir = tempDir();
  s3env = { NECTAR_ENV: 'test', NECTAR_S3_ENDPOINT: s3.endpoint, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' };
});
afterAll(async () => {
  await s3?.stop();
  rmDir(dir);
});

function nectar(args: string[], env: Record<string, string>): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [join(REPO, 'bin/nectar.js'), ...args], {
    env: { ...process.env, NECTAR_CHAINS: join(REPO, 'chains'), NECTAR_DB: join(dir, 'cli.db'), NECTAR_LOG_LEVEL: 'warn', ...env },
    encoding: 'utf8',
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

async function keysIn(bucket: string): Promise<string[]> {
  const r = await s3.client.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (r.Contents ?? []).map((o) => o.Key as string).sort();
}

describe('the example chains on S3, unchanged', () => {
  it('run from the CLI: outputs, params.json and log land in the bucket; a second run does nothing', async () => {
    const bucket = await s3.newBucket();
    const env = { ...s3env, NECTAR_BUCKET: bucket };
    const r = nectar(['run', 'testchains/ShoutTask', '-p', 'name=s3', '--json'], env);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.out) as { ran: number; roots: { outputs: string[] }[] };
    expect(summary.ran).toBe(2);
    const keys = await keysIn(bucket);
    expect(keys.filter((k) => k.includes('/ShoutTask/')).map((k) => k.split('/').pop())).toEqual(['lineage.json', 'log', 'out.txt', 'params.json']);
    const out = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: summary.roots[0]?.outputs[0] }));
    expect(await out.Body?.transformToString()).toBe('HELLO S3\n');
    const again = JSON.parse(nectar(['run', 'testchains/ShoutTask', '-p', 'name=s3', '--json'], env).out) as { ran: number; skipped: number };
    expect(again).toMatchObject({ ran: 0, skipped: 1 });

    // Lineage lives in the bucket too: ShoutTask names the HelloTask it was built from, and
    // invalidating HelloTask downstream removes exactly both tasks' outputs and lineage.
    const lineageKey = keys.find((k) => k.includes('/ShoutTask/') && k.endsWith('/lineage.json')) as string;
    const lineage = JSON.parse((await (await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: lineageKey }))).Body?.transformToString()) ?? '{}') as { inputs: { id: string }[] };
    expect(lineage.inputs.map((i) => i.id.split('/')[2])).toEqual(['HelloTask']);
    const inv = nectar(['invalidate', 'testchains/HelloTask', '-p', 'name=s3', '--downstream', '--yes'], env);
    expect(inv.out).toContain('removed 4 files of 2 tasks');
    expect((await keysIn(bucket)).map((k) => k.split('/').slice(-2).join('/').replace(/^[0-9a-f]{32}/, '<h>'))).toEqual(['<h>/log', '<h>/params.json', '<h>/log', '<h>/params.json']);
  });

  it('runs the elections chain in worker processes against S3', async () => {
    const bucket = await s3.newBucket();
    const r = nectar(['run', 'elections/TopDayTask', '-p', 'count=3000', '--executor', 'process', '--json'], { ...s3env, NECTAR_BUCKET: bucket });
    expect(r.code).toBe(0);
    expect((JSON.parse(r.out) as { ran: number }).ran).toBe(3);
    expect((await keysIn(bucket)).filter((k) => k.endsWith('/log'))).toHaveLength(3);
  });

  it('uploads the log of a failing task too, and leaves no output', async () => {
    const bucket = await s3.newBucket();
    const chains = writeChains(dir, {
      'broken/fail_chain.ts': `
import { task, type RunContext } from 'nectar';
export class FailTask extends task({}) {
  async run(ctx: RunContext<FailTask>) {
    ctx.log.info('about to fail');
    await ctx.output.write('half');
    throw new Error('failed on purpose');
  }
}
`,
    });
    const r = nectar(['run', 'broken/FailTask'], { ...s3env, NECTAR_BUCKET: bucket, NECTAR_CHAINS: chains });
    expect(r.code).toBe(1);
    const keys = await keysIn(bucket);
    expect(keys.map((k) => k.split('/').pop())).toEqual(['log', 'params.json']);
    const log = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: keys[0] }));
    const text = (await log.Body?.transformToString()) ?? '';
    expect(text).toContain('about to fail');
    expect(text).toContain('failed on purpose');
  });

  it('reports a missing bucket or a bad endpoint at start-up, naming what to fix', () => {
    const missing = nectar(['run', 'testchains/HelloTask'], { ...s3env, NECTAR_BUCKET: 'no-such-bucket' });
    expect(missing.code).toBe(2);
    expect(missing.err).toContain("bucket 'no-such-bucket' does not exist");
    const unset = nectar(['list'], { ...s3env });
    expect(unset.code).toBe(2);
    expect(unset.err).toContain('set NECTAR_BUCKET');
    const bad = nectar(['list'], { ...s3env, NECTAR_BUCKET: 'b', NECTAR_S3_ENDPOINT: 'not a url' });
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/NECTAR_BUCKET|NECTAR_S3_ENDPOINT/);
  });

  it('serves the API on S3: resource_url is a presigned link plain fetch downloads', async () => {
    const bucket = await s3.newBucket();
    const saved = { ...process.env };
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' });
    let srv: NectarServer | undefined;
    try {
      const started = await startTestServer(join(REPO, 'chains'), tempDir(), { ...s3env, NECTAR_BUCKET: bucket, NECTAR_URL_EXPIRES: '120' });
      srv = started.srv;
      const a = await call(`${started.base}/api/chains/testchains/ShoutTask?name=api`, { method: 'POST' });
      expect(a.status).toBe(202);
      expect(a.body.data['expires_in']).toBe(120);
      const done = await pollDone(a.body.data['status_url'] as string);
      expect(done.body.error).toBeUndefined();
      expect(done.body.data['job_status']).toBe('DONE');
      const url = done.body.data['resource_url'] as string;
      expect(url.startsWith(s3.endpoint)).toBe(true);
      expect(url).toContain('X-Amz-Signature=');
      expect(done.body.data['expires_in']).toBe(120);
      expect(await (await fetch(url)).text()).toBe('HELLO API\n');
    } finally {
      await srv?.close();
      process.env = saved;
    }
  });
});
