import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { NectarServer } from '../../src/api/server';
import { call, pollDone, startTestServer } from '../helpers/server';
import { rmDir, tempDir, writeChains } from '../helpers/runtime';

const CHAIN = `
import { p, task, type RunContext } from 'nectar';
export class HelloTask extends task({ name: p.string() }) {
  async run(ctx: RunContext<HelloTask>) { await ctx.output.write('hello ' + this.params.name); }
}
export class TotalsTask extends task({ day: p.date() }) {
  async run(ctx: RunContext<TotalsTask>) { await ctx.output.write('totals ' + this.params.day); }
}
export class DayReportTask extends task({ day: p.date() }) {
  requires() { return new TotalsTask({ day: this.params.day }); }
  async run(ctx: RunContext<DayReportTask>) { await ctx.output.write('report of ' + (await ctx.input.readText())); }
}
export class ShoutTask extends task({ name: p.string() }) {
  requires() { return new HelloTask({ name: this.params.name }); }
  async run(ctx: RunContext<ShoutTask>) { await ctx.output.write((await ctx.input.readText()).toUpperCase()); }
}
`;

let dir: string;
let srv: NectarServer;
let base: string;
beforeAll(async () => {
  dir = tempDir();
  ({ srv, base } = await startTestServer(writeChains(dir, { 'api/hello_chain.ts': CHAIN }), dir));
});
afterAll(async () => {
  await srv.close();
  rmDir(dir);
});

const post = (path: string) => call(`${base}${path}`, { method: 'POST' });
async function runToDone(path: string): Promise<string> {
  const a = await post(path);
  expect(a.status).toBe(202);
  const done = await pollDone(String(a.body.data['status_url']));
  expect(done.body.data['job_status']).toBe('DONE');
  return String(a.body.data['task_id']);
}

describe('stale tasks over the API', () => {
  it('the status says a task is stale and why; a POST rebuilds it unless told ?stale=keep; a bad policy is a 400', async () => {
    const shout = await runToDone('/api/chains/api/ShoutTask?name=ada');
    const status = () => call(`${base}/api/chainstatus?chain=${encodeURIComponent(shout)}`);
    expect((await status()).body.data).not.toHaveProperty('stale');

    // HelloTask is built again: ShoutTask is now stale.
    const hello = shout.replace('/ShoutTask/', '/HelloTask/');
    rmSync(join(dir, 'targets', 'chains', hello, 'out.txt'));
    await runToDone('/api/chains/api/HelloTask?name=ada');
    const stale = (await status()).body.data;
    expect(stale['job_status']).toBe('DONE');
    expect(stale['stale']).toEqual([expect.stringMatching(/^upstream HelloTask rebuilt \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)]);

    // The lineage of both sides: ShoutTask built from HelloTask, HelloTask built into a stale ShoutTask.
    const lineageOf = async (id: string) => (await call(`${base}/api/tasks/${id}/lineage`)).body.data as { built_from: { task_id: string; present: boolean; stale?: string[] }[]; built_into: { task_id: string; stale?: string[] }[]; stale?: string[] };
    const up = await lineageOf(shout);
    expect(up.built_from).toEqual([expect.objectContaining({ task_id: hello, present: true })]);
    expect(up.stale).toEqual(stale['stale']);
    const down = await lineageOf(hello);
    expect(down.built_from).toEqual([]);
    expect(down.built_into).toEqual([expect.objectContaining({ task_id: shout, stale: stale['stale'] })]);

    const kept = await post('/api/chains/api/ShoutTask?name=ada&stale=keep');
    expect(kept.status).toBe(200);
    expect(kept.body.data['stale']).toEqual(stale['stale']);

    const bad = await post('/api/chains/api/ShoutTask?name=ada&stale=sometimes');
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain("'stale' must be one of rebuild, keep, fail");

    expect(await runToDone('/api/chains/api/ShoutTask?name=ada')).toBe(shout);
    expect((await status()).body.data).not.toHaveProperty('stale');
  });

  it('the partitions grid shows a partition built from a rebuilt input as STALE', async () => {
    for (const day of ['2026-11-29', '2026-11-30']) await runToDone(`/api/chains/api/DayReportTask?day=${day}`);
    const done = await post('/api/chains/api/TotalsTask?day=2026-11-30');
    expect(done.status).toBe(200);
    const totals = done.body.data['task_id'] as string;
    rmSync(join(dir, 'targets', 'chains', totals, 'out.txt'));
    await runToDone('/api/chains/api/TotalsTask?day=2026-11-30');
    const grid = (await call(`${base}/api/partitions/api/DayReportTask?from=2026-11-28&to=2026-11-30`)).body.data as { counts: Record<string, number>; partitions: { value: string; state: string }[] };
    expect(grid.partitions.map((p) => [p.value, p.state])).toEqual([
      ['2026-11-28', 'MISSING'],
      ['2026-11-29', 'DONE'],
      ['2026-11-30', 'STALE'],
    ]);
    expect(grid.counts).toMatchObject({ DONE: 1, STALE: 1, MISSING: 1 });
  });
});
