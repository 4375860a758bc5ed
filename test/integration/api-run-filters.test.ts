import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NectarServer } from '../../src/api/server';
import type { RunPage, TaskRunsAnswer } from '../../src/api/wire';
import { call, pollDone, startTestServer } from '../helpers/server';
import { rmDir, tempDir, writeChains } from '../helpers/runtime';

const CHAIN = `
import { existsSync } from 'node:fs';
import { p, task, type RunContext } from 'nectar';
export class StageTask extends task({ date: p.date(), stage: p.string(), n: p.int({ default: 1 }), loud: p.bool({ default: false }) }) {
  async run(ctx: RunContext<StageTask>) { await ctx.output.write(this.params.stage + ' ' + this.params.date); }
}
export class ReportTask extends task({ date: p.date(), stage: p.string() }) {
  requires() { return new StageTask({ date: this.params.date, stage: this.params.stage }); }
  async run(ctx: RunContext<ReportTask>) { await ctx.output.write('report of ' + (await ctx.input.readText())); }
}
export class SummaryTask extends task({ date: p.date(), stage: p.string() }) {
  requires() { return new StageTask({ date: this.params.date, stage: this.params.stage }); }
  async run(ctx: RunContext<SummaryTask>) { await ctx.output.write('summary of ' + (await ctx.input.readText())); }
}
/** Runs until the file named by 'gate' exists. */
export class GateTask extends task({ gate: p.string() }) {
  async run(ctx: RunContext<GateTask>) {
    while (!existsSync(this.params.gate)) await new Promise((r) => setTimeout(r, 10));
    await ctx.output.write('through');
  }
}
`;
/** The same class name in another type: what `task=StageTask` finds too, and `task=hist/StageTask` does not. */
const OTHER = CHAIN.replace(/export class ReportTask[\s\S]*$/, '');

let dir: string;
let srv: NectarServer;
let base: string;
beforeAll(async () => {
  dir = tempDir();
  ({ srv, base } = await startTestServer(writeChains(dir, { 'hist/filter_chain.ts': CHAIN, 'other/filter_chain.ts': OTHER }), dir));
});
afterAll(async () => {
  await srv.close();
  rmDir(dir);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Start a run and wait until its root is done: its run id and task id. */
async function runToDone(path: string): Promise<{ runId: string; taskId: string }> {
  const a = await call(`${base}${path}`, { method: 'POST' });
  expect(a.status).toBe(202);
  expect((await pollDone(String(a.body.data['status_url']))).body.data['job_status']).toBe('DONE');
  await sleep(3); // the next run is created later, never in the same millisecond
  return { runId: String(a.body.data['run_id']), taskId: String(a.body.data['task_id']) };
}

async function listed(query: string): Promise<{ ids: string[]; total: number }> {
  const a = await call(`${base}/api/runs?${query}`);
  expect(a.status).toBe(200);
  const page = a.body.data as unknown as RunPage;
  return { ids: page.runs.map((r) => r.run_id), total: page.total };
}

async function history(taskId: string, query = ''): Promise<TaskRunsAnswer> {
  const a = await call(`${base}/api/tasks/${taskId}/runs${query}`);
  expect(a.status).toBe(200);
  return a.body.data as unknown as TaskRunsAnswer;
}

/** An instant as an ISO date-time at +01:00. */
const plusOne = (ms: number): string => new Date(ms + 3_600_000).toISOString().replace('Z', '+01:00');

describe('GET /api/runs filters', () => {
  it('filters by task, params and created-at bounds, combined', async () => {
    const a = await runToDone('/api/chains/hist/StageTask?date=2026-12-01&stage=transform&n=5');
    const b = await runToDone('/api/chains/hist/StageTask?date=2026-12-02&stage=transform');
    const c = await runToDone('/api/chains/hist/StageTask?date=2026-12-01&stage=extract&loud=true');
    const d = await runToDone('/api/chains/other/StageTask?date=2026-12-01&stage=transform');
    const created = async (id: string): Promise<number> => Number((await call(`${base}/api/runs/${id}`)).body.data['created_at']);
    const [atB, atC] = [await created(b.runId), await created(c.runId)];
    const day = 'params=date=2026-12-01';

    expect(await listed(`task=hist/filter_chain/StageTask&${day}&params=stage=transform`)).toEqual({ ids: [a.runId], total: 1 });
    expect(await listed(`task=StageTask&${day}`)).toEqual({ ids: [d.runId, c.runId, a.runId], total: 3 });
    expect(await listed(`task=hist/StageTask&${day}`)).toEqual({ ids: [c.runId, a.runId], total: 2 });
    expect(await listed(`task=StageTask&${day}&limit=1&offset=1`)).toEqual({ ids: [c.runId], total: 3 });
    // Parameters as the run recorded them (defaults filled in): a number, a boolean, by their JSON.
    expect(await listed(`task=StageTask&params=n=5`)).toEqual({ ids: [a.runId], total: 1 });
    expect(await listed(`task=StageTask&${day}&params=loud=true`)).toEqual({ ids: [c.runId], total: 1 });
    expect(await listed(`task=StageTask&${day}&params=n=1&params=loud=false`)).toEqual({ ids: [d.runId], total: 1 });
    expect(await listed(`task=StageTask&params=date=2026-12-03`)).toEqual({ ids: [], total: 0 });

    // from inclusive, to exclusive; epoch ms, a date-time at an offset, dates at UTC midnight.
    expect(await listed(`task=hist/StageTask&from=${atB}&to=${atC}`)).toEqual({ ids: [b.runId], total: 1 });
    expect(await listed(`task=StageTask&${day}&from=${encodeURIComponent(plusOne(atC))}`)).toEqual({ ids: [d.runId, c.runId], total: 2 });
    expect(await listed(`task=hist/StageTask&from=${encodeURIComponent(new Date(atB + 1).toISOString())}&params=stage=transform`)).toEqual({ ids: [], total: 0 });
    expect(await listed(`task=StageTask&${day}&from=2000-01-01&to=2999-12-31`)).toEqual({ ids: [d.runId, c.runId, a.runId], total: 3 });
    expect(await listed(`task=StageTask&to=2000-01-01`)).toEqual({ ids: [], total: 0 });
    expect(await listed(`state=SUCCEEDED&task=other/StageTask&${day}`)).toEqual({ ids: [d.runId], total: 1 });
    expect(await listed(`state=FAILED&task=StageTask&${day}`)).toEqual({ ids: [], total: 0 });
  });

  const bad: ReadonlyArray<readonly [string, string]> = [
    ['task', 'task='],
    ['task', 'task=a/b/c/d'],
    ['task', 'task=a//b'],
    ['task', 'task=bad%20name'],
    ['task', 'task=a&task=b'],
    ['params', 'params=nodate'],
    ['params', 'params==x'],
    ['params', 'params=1n=2'],
    ['params', 'params=a-b=1'],
    ['params', 'params=date=2026-12-01&params=oops'],
    ['from', 'from=yesterday'],
    ['from', 'from=2026-13-01'],
    ['from', 'from=2026-02-30'],
    ['from', 'from=2026-12-01T10:00:00'],
    ['from', 'from=2026-12-01T25:00:00Z'],
    ['from', 'from=1.5'],
    ['from', 'from=-5'],
    ['from', 'from=1&from=2'],
    ['to', 'to=x'],
    ['to', 'to=2026-12-01T10:00:00%2B25:00'],
    ['to', 'to=99999999999999999'],
    ['from', 'from=2026-12-02&to=2026-12-01'],
    ['state', 'state=NOPE'],
    ['limit', 'limit=0'],
  ];
  it.each(bad)('a bad %s is a 400 naming it: ?%s', async (param, query) => {
    const a = await call(`${base}/api/runs?${query}`);
    expect(a.status).toBe(400);
    expect(a.body.error).toMatchObject({ code: 'BAD_REQUEST', details: { param } });
    expect(a.body.message).toContain(`'${param}'`);
  });

  it('accepts every time form it names, and from = to (an empty range)', async () => {
    for (const q of ['from=2026-12-01', 'from=2026-12-01T10:00Z', 'from=2026-12-01T10:00:00Z', 'from=2026-12-01T10:00:00.000%2B01:00', 'to=2026-12-01T10:00:00.5-05:30', 'from=0', 'from=1764583200000&to=1764583200000']) {
      expect([q, (await call(`${base}/api/runs?${q}`)).status]).toEqual([q, 200]);
    }
  });
});

describe('GET /api/tasks/<id>/runs', () => {
  it("lists a task's runs newest first: as a dependency run, then skipped (outputs exist); its root's run", async () => {
    const report = await runToDone('/api/chains/hist/ReportTask?date=2031-01-01&stage=history');
    const summary = await runToDone('/api/chains/hist/SummaryTask?date=2031-01-01&stage=history');
    const nodes = (await call(`${base}/api/runs/${report.runId}`)).body.data['nodes'] as { task_id: string; name: string }[];
    const stage = nodes.find((n) => n.name === 'StageTask')?.task_id ?? '';
    expect(stage).toMatch(/^hist\/filter_chain\/StageTask\/[0-9a-f]{32}$/);

    const h = await history(stage);
    expect(h.task_id).toBe(stage);
    expect(h.runs.map((r) => r.run_id)).toEqual([summary.runId, report.runId]);
    const [second, first] = h.runs;
    expect(second).toStrictEqual({
      run_id: summary.runId, run_url: `${base}/api/runs/${summary.runId}`, run_state: 'SUCCEEDED', root: false, ref: 'hist/filter_chain/SummaryTask',
      state: 'DONE', skipped: true, attempts: expect.any(Number), created_at: expect.any(Number),
      started_at: null, ended_at: expect.any(Number), duration_ms: null, error: null,
    });
    expect(first).toMatchObject({ run_id: report.runId, root: false, ref: 'hist/filter_chain/ReportTask', state: 'DONE', skipped: false, attempts: 1, error: null });
    expect(first?.duration_ms).toBe((first?.ended_at ?? 0) - (first?.started_at ?? 0));
    expect((second?.created_at ?? 0) > (first?.created_at ?? 0)).toBe(true);
    expect((await history(stage, '?limit=1')).runs.map((r) => r.run_id)).toEqual([summary.runId]);

    // The root's history: its one run. Asking for it again finds it complete (200, no run), so it stays one.
    expect((await history(report.taskId)).runs.map((r) => [r.run_id, r.root, r.state, r.skipped])).toEqual([[report.runId, true, 'DONE', false]]);
    const again = await call(`${base}/api/chains/hist/ReportTask?date=2031-01-01&stage=history`, { method: 'POST' });
    expect([again.status, again.body.data['job_status']]).toEqual([200, 'DONE']);
    expect((await history(report.taskId)).runs).toHaveLength(1);
  });

  it('shows a run in flight as it is now, then as it ended', async () => {
    const gate = join(dir, 'history.gate');
    const a = await call(`${base}/api/chains/hist/GateTask?gate=${encodeURIComponent(gate)}`, { method: 'POST' });
    expect(a.status).toBe(202);
    const taskId = String(a.body.data['task_id']);
    let live: TaskRunsAnswer | undefined;
    for (let i = 0; i < 200 && live?.runs[0]?.state !== 'RUNNING'; i++) {
      live = await history(taskId);
      await sleep(10);
    }
    expect(live?.runs).toEqual([expect.objectContaining({ run_id: a.body.data['run_id'], run_state: 'RUNNING', root: true, state: 'RUNNING', ended_at: null, duration_ms: null })]);
    writeFileSync(gate, '');
    await pollDone(String(a.body.data['status_url']));
    await srv.runs.settled(String(a.body.data['run_id']));
    expect((await history(taskId)).runs).toEqual([expect.objectContaining({ run_state: 'SUCCEEDED', state: 'DONE', skipped: false, duration_ms: expect.any(Number) })]);
  });

  it('answers a task that never ran with no runs; a malformed id or limit is a 400', async () => {
    const never = 'hist/filter_chain/StageTask/ffffffffffffffffffffffffffffffff';
    expect(await history(never)).toEqual({ task_id: never, runs: [] });
    const malformed = await call(`${base}/api/tasks/hist/filter_chain/StageTask/nothex/runs`);
    expect([malformed.status, malformed.body.message]).toEqual([400, 'not a task id: hist/filter_chain/StageTask/nothex']);
    const segment = await call(`${base}/api/tasks/hist/filter%20chain/StageTask/ffffffffffffffffffffffffffffffff/runs`);
    expect([segment.status, segment.body.error?.details]).toEqual([400, { param: 'chain' }]);
    for (const limit of ['0', '101', 'abc', '1.5']) {
      const a = await call(`${base}/api/tasks/${never}/runs?limit=${limit}`);
      expect([limit, a.status, a.body.error?.details]).toEqual([limit, 400, { param: 'limit' }]);
    }
    expect((await call(`${base}/api/tasks/${never}/runs?limit=100`)).status).toBe(200);
    expect((await call(`${base}/api/tasks/${never}/runs`, { method: 'POST' })).status).toBe(405);
  });

  it('is in the OpenAPI document, with the new filters of /api/runs', async () => {
    const doc = (await call(`${base}/openapi.json`)).body as unknown as { paths: Record<string, { get?: { parameters?: { name: string; in: string }[] } }> };
    const runs = doc.paths['/api/tasks/{type}/{chain}/{task}/{hash}/runs']?.get;
    expect(runs?.parameters?.map((p) => `${p.in}:${p.name}`)).toEqual(['path:type', 'path:chain', 'path:task', 'path:hash', 'query:limit']);
    expect(doc.paths['/api/runs']?.get?.parameters?.map((p) => p.name)).toEqual(['state', 'task', 'params', 'from', 'to', 'limit', 'offset']);
  });
});
