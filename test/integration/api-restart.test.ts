import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { REPO, rmDir, tempDir, writeChains } from '../helpers/runtime';
import { call, pollDone } from '../helpers/server';

const CHAIN = `
import { existsSync, writeFileSync } from 'node:fs';
import { p, task, type RunContext } from 'nectar';

export class QuickTask extends task({ n: p.int() }) {
  async run(ctx: RunContext<QuickTask>) { await ctx.output.write(String(this.params.n)); }
}

/** Marks that it started, then waits until the gate file exists. */
export class GateTask extends task({ gate: p.string(), started: p.string() }) {
  async run(ctx: RunContext<GateTask>) {
    writeFileSync(this.params.started, 'started');
    while (!existsSync(this.params.gate)) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      await new Promise((r) => setTimeout(r, 20));
    }
    await ctx.output.write('through the gate');
  }
}
`;

let dir: string;
let env: NodeJS.ProcessEnv;
const children: ChildProcess[] = [];

beforeAll(() => {
  dir = tempDir();
  env = { ...process.env, NECTAR_CHAINS: writeChains(dir, { 'durable/gate_chain.ts': CHAIN }), NECTAR_TARGETS: join(dir, 'targets'), NECTAR_DB: join(dir, 'db', 'nectar.db'), NECTAR_LOG_LEVEL: 'warn' };
});
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmDir(dir);
});

/** `nectar serve --port 0` as a real process; resolves with its base URL once it listens. */
function serve(): Promise<{ child: ChildProcess; base: string }> {
  const child = spawn(process.execPath, [join(REPO, 'bin/nectar.js'), 'serve', '--port', '0'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
      if (m) resolve({ child, base: m[1] as string });
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}): ${err}`)));
  });
}

const exited = (c: ChildProcess): Promise<unknown> => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(null) : c.once('exit', r)));

describe('a server killed with SIGKILL mid-run', () => {
  it('shows every run after a restart, marks the one in flight, and retries it', async () => {
    const gate = join(dir, 'gate');
    const started = join(dir, 'started');
    const a = await serve();
    const quick = await call(`${a.base}/api/chains/durable/QuickTask?n=1`, { method: 'POST' });
    await pollDone(quick.body.data['status_url'] as string);
    const slow = await call(`${a.base}/api/chains/durable/GateTask?gate=${encodeURIComponent(gate)}&started=${encodeURIComponent(started)}`, { method: 'POST' });
    const slowRun = slow.body.data['run_id'] as string;
    for (let i = 0; i < 500 && !existsSync(started); i++) await new Promise((r) => setTimeout(r, 10));
    expect(existsSync(started)).toBe(true);
    // The kill comes once the run store has the task as running (it is recorded a moment after
    // it starts), as another reader of the file sees it.
    const db = new Database(join(dir, 'db', 'nectar.db'), { readonly: true, fileMustExist: true });
    const recorded = (): boolean => db.prepare<[string], { state: string }>('SELECT state FROM tasks WHERE run_id = ?').get(slowRun)?.state === 'RUNNING';
    for (let i = 0; i < 500 && !recorded(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(recorded()).toBe(true);
    db.close();
    a.child.kill('SIGKILL');
    await exited(a.child);

    const b = await serve();
    const runs = await call(`${b.base}/api/runs`);
    const byId = new Map((runs.body.data['runs'] as { run_id: string; state: string; interrupted: boolean; error: { code?: string } | null }[]).map((r) => [r.run_id, r]));
    expect(byId.get(quick.body.data['run_id'] as string)?.state).toBe('SUCCEEDED');
    const interrupted = byId.get(slowRun);
    expect(interrupted).toMatchObject({ state: 'FAILED', interrupted: true, error: { code: 'INTERRUPTED' } });
    const detail = await call(`${b.base}/api/runs/${slowRun}`);
    expect((detail.body.data['nodes'] as { name: string; state: string }[]).map((n) => `${n.name}:${n.state}`)).toEqual(['GateTask:FAILED']);

    writeFileSync(gate, 'open');
    const retry = await call(`${b.base}/api/runs/${slowRun}/retry`, { method: 'POST' });
    expect(retry.status).toBe(202);
    const done = await pollDone(retry.body.data['status_url'] as string);
    expect(done.body.data['job_status']).toBe('DONE');
    expect(await (await fetch(done.body.data['resource_url'] as string)).text()).toBe('through the gate');

    b.child.kill('SIGTERM');
    await exited(b.child);
    expect(b.child.exitCode).toBe(0);
  });
});
