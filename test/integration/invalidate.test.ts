import { spawn } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NectarServer } from '../../src/api/server';
import { call, pollDone, startTestServer } from '../helpers/server';
import { REPO, rmDir, tempDir, writeChains } from '../helpers/runtime';

const CHAIN = `
import { existsSync } from 'node:fs';
import { p, task, type RunContext } from 'nectar';
export class BaseTask extends task({ n: p.int() }) {
  async run(ctx: RunContext<BaseTask>) { await ctx.output.write('base ' + this.params.n); }
}
export class MidTask extends task({ n: p.int() }) {
  requires() { return new BaseTask({ n: this.params.n }); }
  async run(ctx: RunContext<MidTask>) { await ctx.output.write('mid of ' + (await ctx.input.readText())); }
}
export class TopTask extends task({ n: p.int() }) {
  requires() { return new MidTask({ n: this.params.n }); }
  async run(ctx: RunContext<TopTask>) { await ctx.output.write('top of ' + (await ctx.input.readText())); }
}
/** Reads BaseTask by ctx.require (a dynamic requirement): recorded all the same. */
export class SideTask extends task({ n: p.int() }) {
  async run(ctx: RunContext<SideTask>) { await ctx.output.write('side of ' + (await (await ctx.require(new BaseTask({ n: this.params.n }))).readText())); }
}
export class OtherTask extends task({ n: p.int() }) {
  requires() { return new BaseTask({ n: this.params.n + 1 }); }
  async run(ctx: RunContext<OtherTask>) { await ctx.output.write('other'); }
}
/** Needs BaseTask, then waits for a gate file: a run that stays in flight. */
export class GateTask extends task({ n: p.int(), gate: p.string() }) {
  requires() { return new BaseTask({ n: this.params.n }); }
  async run(ctx: RunContext<GateTask>) {
    while (!existsSync(this.params.gate)) await new Promise((r) => setTimeout(r, 10));
    await ctx.output.write('through');
  }
}
`;

let dir: string;
let chains: string;
let srv: NectarServer;
let base: string;
beforeAll(async () => {
  dir = tempDir();
  chains = writeChains(dir, { 'inv/inv_chain.ts': CHAIN });
  ({ srv, base } = await startTestServer(chains, dir));
});
afterAll(async () => {
  await srv.close();
  rmDir(dir);
});

async function runToDone(path: string): Promise<string> {
  const a = await call(`${base}${path}`, { method: 'POST' });
  expect(a.status).toBe(202);
  expect((await pollDone(String(a.body.data['status_url']))).body.data['job_status']).toBe('DONE');
  return String(a.body.data['task_id']);
}
const folder = (id: string): string[] => readdirSync(join(dir, 'targets', 'chains', id)).filter((f) => !f.startsWith('.')).sort();
const complete = (id: string): boolean => existsSync(join(dir, 'targets', 'chains', id, 'out.txt'));

/** The CLI in a child process, awaited (not spawnSync: the server under test lives in this process and must keep answering). */
function nectar(args: string[]): Promise<{ code: number | null; out: string }> {
  const env = { ...process.env, NECTAR_CHAINS: chains, NECTAR_TARGETS: join(dir, 'targets'), NECTAR_DB: join(dir, 'nectar.db'), NECTAR_LOG_LEVEL: 'warn' };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO, 'bin/nectar.js'), ...args], { env, cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, out }));
  });
}

describe('invalidation', () => {
  it('lists without --yes, then removes exactly the task and its recorded dependants (static and dynamic)', async () => {
    const top = await runToDone('/api/chains/inv/TopTask?n=1');
    const side = await runToDone('/api/chains/inv/SideTask?n=1');
    const other = await runToDone('/api/chains/inv/OtherTask?n=1');
    const mid = top.replace('/TopTask/', '/MidTask/');
    const baseId = top.replace('/TopTask/', '/BaseTask/');

    const dry = await nectar(['invalidate', 'inv/BaseTask', '-p', 'n=1', '--downstream', '--json']);
    expect(dry.code).toBe(0);
    const listed = JSON.parse(dry.out) as { dry_run: boolean; removed: number; tasks: { task_id: string; because: string | null; keys: string[] }[] };
    expect(listed).toMatchObject({ dry_run: true, removed: 0 });
    expect(Object.fromEntries(listed.tasks.map((t) => [t.task_id, t.because]))).toEqual({ [baseId]: null, [mid]: baseId, [top]: mid, [side]: baseId });
    expect([baseId, mid, top, side].every(complete)).toBe(true);

    const text = await nectar(['invalidate', 'inv/BaseTask', '-p', 'n=1', '--downstream', '--yes']);
    expect(text.code).toBe(0);
    expect(text.out).toContain('removed 8 files of 4 tasks');
    for (const id of [baseId, mid, top, side]) expect(folder(id)).toEqual(['log', 'params.json']);
    // OtherTask and the BaseTask it was built from (n=2) were not built from BaseTask(n=1): untouched.
    expect(complete(other)).toBe(true);
    const otherBase = (await call(`${base}/api/chains/inv/BaseTask?n=2`, { method: 'POST' })).body;
    expect(otherBase.message).toBe('already complete');
  });

  it('without --downstream removes the task only; its dependants are then stale once it is rebuilt', async () => {
    const mid = await runToDone('/api/chains/inv/MidTask?n=2');
    const baseId = mid.replace('/MidTask/', '/BaseTask/');
    const a = await call(`${base}/api/tasks/${baseId}/invalidate`, { method: 'POST' });
    expect(a.status).toBe(200);
    expect(a.body.data).toMatchObject({ dry_run: false, removed: 2, tasks: [{ task_id: baseId, because: null }] });
    expect(complete(mid)).toBe(true);
    expect(complete(baseId)).toBe(false);
    await runToDone('/api/chains/inv/BaseTask?n=2');
    const status = (await call(`${base}/api/chainstatus?chain=${encodeURIComponent(mid)}`)).body.data;
    expect(status['stale']).toEqual([expect.stringMatching(/^upstream BaseTask rebuilt /)]);
  });

  it('refuses while a run in flight uses them, and says which run', async () => {
    const gate = join(dir, 'gate');
    const started = await call(`${base}/api/chains/inv/GateTask?n=3&gate=${encodeURIComponent(gate)}`, { method: 'POST' });
    expect(started.status).toBe(202);
    const gateId = String(started.body.data['task_id']);
    // BaseTask(n=3) is built by that run (a POST of it joins the run, or finds it done): wait for it, then try to remove it.
    const baseTask = String((await call(`${base}/api/chains/inv/BaseTask?n=3`, { method: 'POST' })).body.data['task_id']);
    await pollDone(`${base}/api/chainstatus?chain=${encodeURIComponent(baseTask)}`);
    const refused = await call(`${base}/api/tasks/${baseTask}/invalidate`, { method: 'POST' });
    expect(refused.status).toBe(409);
    expect(refused.body.error?.code).toBe('RUN_ACTIVE');
    expect(refused.body.message).toContain(String(started.body.data['run_id']));
    expect(complete(baseTask)).toBe(true);
    const bad = await call(`${base}/api/tasks/${baseTask}/invalidate?downstream=perhaps`, { method: 'POST' });
    expect(bad.status).toBe(400);

    writeFileSync(gate, 'open');
    await pollDone(String(started.body.data['status_url']));
    const ok = await call(`${base}/api/tasks/${baseTask}/invalidate?downstream=true&dry_run=true`, { method: 'POST' });
    expect(ok.status).toBe(200);
    expect((ok.body.data['tasks'] as { task_id: string }[]).map((t) => t.task_id)).toEqual([baseTask, gateId]);
    expect(complete(baseTask)).toBe(true); // a dry run removes nothing
  });
});
