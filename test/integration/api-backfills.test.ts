/**
 * Backfills through a real server: a year of days with ten broken partitions, fixed and
 * resumed (exactly those ten run again); at most N partitions in flight; cancel and resume;
 * a backfill carried on after a restart; and bad ranges refused with a 400 naming them.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rmDir, tempDir, writeChains } from '../helpers/runtime';
import { call, startTestServer } from '../helpers/server';

const CHAIN = `
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { p, task, type RunContext } from 'nectar';

const g = globalThis as unknown as { inflight: number; maxInflight: number; ran: string[] };
g.inflight = 0; g.maxInflight = 0; g.ran = [];

/** A day's figures; fails while a marker for its day is in the broken folder. */
export class DayTask extends task({ day: p.date(), broken: p.string(), ms: p.int({ default: 0 }) }) {
  async run(ctx: RunContext<DayTask>) {
    g.inflight += 1; g.maxInflight = Math.max(g.maxInflight, g.inflight);
    try {
      await new Promise((r) => setTimeout(r, this.params.ms));
      if (existsSync(join(this.params.broken, this.params.day))) throw new Error('broken day ' + this.params.day);
      g.ran.push(this.params.day);
      await ctx.output.write('figures of ' + this.params.day);
    } finally { g.inflight -= 1; }
  }
}
`;

interface Part { value: string; state: string; run_id: string | null }
interface Detail { state: string; progress: { pending: number; running: number; done: number; failed: number; cancelled: number }; parts: Part[]; partitions: number; backfill_id: string }
const g = globalThis as unknown as { inflight: number; maxInflight: number; ran: string[] };

describe('backfills on a server', () => {
  let dir: string;
  let chains: string;
  let broken: string;
  beforeAll(() => {
    dir = tempDir('nectar-api-backfills-');
    chains = writeChains(dir, { 'sales/day_chain.ts': CHAIN });
    broken = join(dir, 'broken');
    mkdirSync(broken);
  });
  afterAll(() => rmDir(dir));

  const post = (url: string, body: unknown) => call(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const detail = async (base: string, id: string): Promise<Detail> => (await call(`${base}/api/backfills/${id}`)).body.data as unknown as Detail;

  it('backfills 366 days at most 8 at a time; 10 fail; after a fix, resume runs exactly those 10', async () => {
    const bad = ['2012-01-05', '2012-02-29', '2012-03-31', '2012-05-01', '2012-06-15', '2012-07-04', '2012-08-08', '2012-10-10', '2012-11-30', '2012-12-31'];
    for (const d of bad) writeFileSync(join(broken, d), '');
    const { srv, base } = await startTestServer(chains, join(dir, 'year'));
    g.ran = [];
    g.maxInflight = 0;
    const started = await post(`${base}/api/backfills`, { task: 'sales/DayTask', from: '2012-01-01', to: '2012-12-31', params: { broken, ms: 1 }, concurrency: 8 });
    expect(started.status).toBe(202);
    const id = started.body.data['backfill_id'] as string;
    expect(started.body.data).toMatchObject({ over: 'day', range: '2012-01-01..2012-12-31 by day', partitions: 366, concurrency: 8, state: 'RUNNING' });
    await srv.backfills.settled(id);
    let d = await detail(base, id);
    expect(d.state).toBe('FAILED');
    expect(d.progress).toEqual({ pending: 0, running: 0, done: 356, failed: 10, cancelled: 0 });
    expect(d.parts.filter((p) => p.state === 'FAILED').map((p) => p.value)).toEqual(bad);
    expect(g.maxInflight).toBeLessThanOrEqual(8);
    expect(g.maxInflight).toBeGreaterThan(1);
    const before = new Map(d.parts.map((p) => [p.value, p.run_id]));
    const run = (await call(`${base}/api/runs/${d.parts[0]?.run_id as string}`)).body.data;
    expect(run['trigger']).toEqual({ kind: 'backfill', backfill: id, partition: '2012-01-01', label: `backfill ${id.slice(0, 8)} 2012-01-01` });

    for (const day of bad) rmSync(join(broken, day));
    g.ran = [];
    const resumed = await post(`${base}/api/backfills/${id}/resume`, {});
    expect(resumed.status).toBe(202);
    await srv.backfills.settled(id);
    d = await detail(base, id);
    expect([d.state, d.progress.done]).toEqual(['SUCCEEDED', 366]);
    expect(g.ran.sort()).toEqual(bad);
    const rerun = d.parts.filter((p) => p.run_id !== before.get(p.value)).map((p) => p.value);
    expect(rerun).toEqual(bad);
    expect((await post(`${base}/api/backfills/${id}/resume`, {})).body.error?.code).toBe('RUN_SUCCEEDED');

    // The same range again: every partition is complete, so every one is SKIPPED and DONE at once.
    g.ran = [];
    const again = await post(`${base}/api/backfills`, { task: 'sales/day_chain/DayTask', from: '2012-01-01', to: '2012-12-31', params: { broken, ms: 1 }, concurrency: 50 });
    await srv.backfills.settled(again.body.data['backfill_id'] as string);
    expect((await detail(base, again.body.data['backfill_id'] as string)).progress.done).toBe(366);
    expect(g.ran).toEqual([]);
    const list = (await call(`${base}/api/backfills`)).body.data;
    expect((list['backfills'] as Array<{ backfill_id: string }>).map((b) => b.backfill_id)).toEqual([again.body.data['backfill_id'], id]);
    await srv.close();
  });

  it('cancels (pending partitions CANCELLED), resumes, and carries on after a restart', async () => {
    let { srv, base } = await startTestServer(chains, join(dir, 'cancel'));
    const started = await post(`${base}/api/backfills`, { task: 'sales/DayTask', from: '2013-01-01', to: '2013-01-20', params: { broken, ms: 30 }, concurrency: 1 });
    const id = started.body.data['backfill_id'] as string;
    const cancelled = await post(`${base}/api/backfills/${id}/cancel`, {});
    expect([cancelled.status, cancelled.body.data['state']]).toEqual([200, 'CANCELLED']);
    let d = await detail(base, id);
    expect(d.progress.cancelled + d.progress.done).toBe(20);
    expect(d.progress.cancelled).toBeGreaterThan(15);
    expect((await post(`${base}/api/backfills/${id}/cancel`, {})).body.error?.code).toBe('RUN_NOT_ACTIVE');

    // Resume, then stop the server while it runs: the next server carries it on to the end.
    await post(`${base}/api/backfills/${id}/resume`, {});
    for (let i = 0; i < 200 && (await detail(base, id)).progress.done < 3; i++) await new Promise((r) => setTimeout(r, 20));
    await srv.close();
    ({ srv, base } = await startTestServer(chains, join(dir, 'cancel')));
    await srv.backfills.settled(id);
    d = await detail(base, id);
    expect([d.state, d.progress]).toEqual(['SUCCEEDED', { pending: 0, running: 0, done: 20, failed: 0, cancelled: 0 }]);
    await srv.close();
  });

  it('refuses bad ranges and requests with a 400 naming what is wrong', async () => {
    const { srv, base } = await startTestServer(chains, join(dir, 'bad'), { NECTAR_BACKFILL_MAX: '400' });
    const err = async (body: unknown) => {
      const a = await post(`${base}/api/backfills`, body);
      return [a.status, a.body.error?.code, a.body.message];
    };
    const p = { broken };
    expect(await err({ task: 'sales/DayTask', from: '2012-12-31', to: '2012-01-01', params: p })).toEqual([400, 'BAD_RANGE', "the range is inverted: 'from' 2012-12-31 is after 'to' 2012-01-01"]);
    expect(await err({ task: 'sales/DayTask', from: '2011-01-01', to: '2012-12-31', params: p })).toEqual([400, 'BAD_RANGE', '2011-01-01..2012-12-31 by day is 731 partitions, over the cap of 400 (NECTAR_BACKFILL_MAX)']);
    expect(await err({ task: 'sales/DayTask', from: '2012-13-01', to: '2012-12-31', params: p })).toEqual([400, 'BAD_RANGE', `'from' "2012-13-01": expected a date YYYY-MM-DD`]);
    expect(await err({ task: 'sales/DayTask', from: '2012-01-01', to: '2012-01-02', step: 'fortnight', params: p })).toEqual([400, 'BAD_RANGE', `'step' "fortnight": expected day, hour, week, month`]);
    expect(await err({ task: 'sales/DayTask', from: '2012-01-01', params: p })).toEqual([400, 'BAD_RANGE', "give 'from' and 'to' ('to' is missing), or 'values'"]);
    expect(await err({ task: 'sales/DayTask', from: '2012-01-01', to: '2012-01-02', over: 'city', params: p })).toEqual([400, 'BAD_RANGE', "'over': DayTask has no parameter 'city' (parameters: day, broken, ms)"]);
    expect((await err({ task: 'sales/DayTask', from: '2012-01-01', to: '2012-01-02' }))[1]).toBe('MISSING_PARAM');
    expect((await err({ task: 'sales/NoTask', from: '2012-01-01', to: '2012-01-02' }))[1]).toBe('UNKNOWN_TASK');
    expect(await err({ task: 'sales/DayTask', from: '2012-01-01', to: '2012-01-02', color: 'red' })).toEqual([400, 'BAD_REQUEST', "unknown field 'color' (expected task, from, to, step, values, over, params, concurrency)"]);
    expect((await err({ task: 'sales/DayTask', from: '2012-01-01', to: '2012-01-02', params: p, concurrency: 0 }))[1]).toBe('BAD_RANGE');
    expect((await call(`${base}/api/backfills/00000000-0000-0000-0000-000000000000`)).body.error?.code).toBe('BACKFILL_NOT_FOUND');
    expect((await call(`${base}/api/backfills`)).body.data['total']).toBe(0); // nothing bad was recorded
    await srv.close();
  });
});
