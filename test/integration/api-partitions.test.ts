/**
 * The partitions API: each partition value's state (DONE from its outputs, FAILED or RUNNING
 * from its latest run, MISSING otherwise), on local disk and on a real S3-protocol server,
 * where a year of days costs a handful of listings, not a request per cell.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rmDir, tempDir, writeChains } from '../helpers/runtime';
import { type FaultProxy, type S3Harness, startFaultProxy, startS3 } from '../helpers/s3';
import { call, startTestServer } from '../helpers/server';

const CHAIN = `
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { p, task, type RunContext } from 'nectar';

/** A day's figures; fails while a marker for its day is in the broken folder, waits while a gate for it is there. */
export class DayTask extends task({ day: p.date(), broken: p.string() }) {
  async run(ctx: RunContext<DayTask>) {
    while (existsSync(join(this.params.broken, 'gate-' + this.params.day))) await new Promise((r) => setTimeout(r, 10));
    if (existsSync(join(this.params.broken, this.params.day))) throw new Error('broken day ' + this.params.day);
    await ctx.output.write('figures of ' + this.params.day);
  }
}
`;

interface Answer { counts: Record<string, number>; partitions: Array<{ value: string; state: string; run_id: string | null }>; over: string; range: string }

describe('the partitions API', () => {
  let dir: string;
  let chains: string;
  let broken: string;
  beforeAll(() => {
    dir = tempDir('nectar-api-partitions-');
    chains = writeChains(dir, { 'sales/day_chain.ts': CHAIN });
    broken = join(dir, 'broken');
    mkdirSync(broken);
  });
  afterAll(() => rmDir(dir));

  const post = (url: string, body: unknown) => call(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('on local disk: DONE, FAILED, RUNNING and MISSING, and bad ranges refused', async () => {
    const { srv, base } = await startTestServer(chains, join(dir, 'local'));
    for (const d of ['2012-01-10', '2012-01-20', '2012-01-30']) writeFileSync(join(broken, d), '');
    const b = await post(`${base}/api/backfills`, { task: 'sales/DayTask', from: '2012-01-01', to: '2012-01-31', params: { broken }, concurrency: 4 });
    await srv.backfills.settled(b.body.data['backfill_id'] as string);
    writeFileSync(join(broken, 'gate-2012-02-15'), '');
    const started = await call(`${base}/api/chains/sales/DayTask?day=2012-02-15&broken=${encodeURIComponent(broken)}`, { method: 'POST' });
    expect(started.status).toBe(202);

    const q = `from=2012-01-01&to=2012-02-29&broken=${encodeURIComponent(broken)}`;
    const a = (await call(`${base}/api/partitions/sales/DayTask?${q}`)).body.data as unknown as Answer;
    expect(a).toMatchObject({ over: 'day', range: '2012-01-01..2012-02-29 by day' });
    expect(a.counts).toEqual({ DONE: 28, STALE: 0, FAILED: 3, RUNNING: 1, MISSING: 28 });
    const at = (v: string) => a.partitions.find((p) => p.value === v);
    expect(at('2012-01-01')).toMatchObject({ state: 'DONE', run_id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(at('2012-01-10')).toMatchObject({ state: 'FAILED', run_id: expect.any(String) });
    expect(at('2012-02-15')).toMatchObject({ state: 'RUNNING', run_id: started.body.data['run_id'] });
    expect(at('2012-02-16')).toEqual({ value: '2012-02-16', state: 'MISSING', task_id: expect.any(String), run_id: null, deadline_missed: false });
    expect(a.partitions.map((p) => p.value).slice(0, 2)).toEqual(['2012-01-01', '2012-01-02']);

    // The same by week, and by a list of values.
    const weeks = (await call(`${base}/api/partitions/sales/day_chain/DayTask?from=2012-01-02&to=2012-01-30&step=week&broken=${encodeURIComponent(broken)}`)).body.data as unknown as Answer;
    expect(weeks.partitions.map((p) => `${p.value} ${p.state}`)).toEqual(['2012-01-02 DONE', '2012-01-09 DONE', '2012-01-16 DONE', '2012-01-23 DONE', '2012-01-30 FAILED']);
    const list = (await call(`${base}/api/partitions/sales/DayTask?values=2012-01-20,2012-03-01&over=day&broken=${encodeURIComponent(broken)}`)).body.data as unknown as Answer;
    expect(list.partitions.map((p) => p.state)).toEqual(['FAILED', 'MISSING']);

    const err = async (query: string) => {
      const r = await call(`${base}/api/partitions/sales/DayTask?${query}`);
      return [r.status, r.body.error?.code];
    };
    expect(await err(`from=2012-03-01&to=2012-01-01&broken=x`)).toEqual([400, 'BAD_RANGE']);
    expect(await err(`from=2012-01-01&to=2012-01-02`)).toEqual([400, 'MISSING_PARAM']);
    expect(await err(`from=1900-01-01&to=2100-01-01&broken=x`)).toEqual([400, 'BAD_RANGE']);
    expect((await call(`${base}/api/partitions/sales/NoTask?from=2012-01-01&to=2012-01-02`)).status).toBe(404);
    expect((await call(`${base}/api/partitions/sales/DayTask?from=2012-01-01&to=2012-01-02&broken=x`, { method: 'POST' })).status).toBe(405);

    await import('node:fs').then((fs) => fs.rmSync(join(broken, 'gate-2012-02-15')));
    await srv.runs.settled(started.body.data['run_id'] as string);
    await srv.close();
    expect(existsSync(join(broken, 'gate-2012-02-15'))).toBe(false);
  });

  describe('on S3', () => {
    let s3: S3Harness;
    let proxy: FaultProxy;
    beforeAll(async () => {
      s3 = await startS3();
      proxy = await startFaultProxy(s3.endpoint, {});
      // The SDK in this process reads its credentials from the process environment.
      Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' });
    });
    afterAll(async () => {
      await proxy?.stop();
      await s3?.stop();
    });

    it('answers a year of days with a few listings, not a request per cell', async () => {
      const bucket = await s3.newBucket();
      const env = { NECTAR_ENV: 'test', NECTAR_BUCKET: bucket, NECTAR_S3_ENDPOINT: proxy.url, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' };
      const { srv, base } = await startTestServer(chains, join(dir, 's3'), env);
      const b = await post(`${base}/api/backfills`, { task: 'sales/DayTask', from: '2012-01-01', to: '2012-06-30', params: { broken: join(dir, 'none') }, concurrency: 8 });
      await srv.backfills.settled(b.body.data['backfill_id'] as string);
      const before = proxy.stats.requests;
      const got = await call(`${base}/api/partitions/sales/DayTask?from=2012-01-01&to=2012-12-31&broken=${encodeURIComponent(join(dir, 'none'))}`);
      expect([got.status, got.body.message]).toEqual([200, 'success']);
      const a = got.body.data as unknown as Answer;
      const requests = proxy.stats.requests - before;
      expect(a.counts).toEqual({ DONE: 182, STALE: 0, FAILED: 0, RUNNING: 0, MISSING: 184 });
      expect(requests).toBeGreaterThan(0);
      expect(requests).toBeLessThanOrEqual(10);
      await srv.close();
    });
  });
});
