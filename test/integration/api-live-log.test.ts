import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NectarServer } from '../../src/api/server';
import { type Answer, call, pollDone, startTestServer } from '../helpers/server';
import { rmDir, tempDir, writeChains } from '../helpers/runtime';

const CHAIN = `
import { existsSync } from 'node:fs';
import { p, task, type RunContext } from 'nectar';

/** Logs a line, then waits until the file named by 'gate' exists. */
export class GateTask extends task({ gate: p.string() }) {
  async run(ctx: RunContext<GateTask>) {
    ctx.log.info('waiting at the gate');
    while (!existsSync(this.params.gate)) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      await new Promise((r) => setTimeout(r, 10));
    }
    ctx.log.info('through the gate');
    await ctx.output.write('open');
  }
}
`;

let dir: string;
let srv: NectarServer;
let base: string;
beforeAll(async () => {
  dir = tempDir();
  ({ srv, base } = await startTestServer(writeChains(dir, { 'live/gate_chain.ts': CHAIN }), dir));
});
afterAll(async () => {
  await srv.close();
  rmDir(dir);
});

const msgs = (a: Answer): string[] => (a.body.data['lines'] as { msg?: string }[]).map((l) => l.msg ?? '');

describe('GET /api/tasks/.../log', () => {
  it('answers the lines of a running task from memory (live), then its stored log once it ends', async () => {
    const gate = join(dir, 'gate.open');
    const a = await call(`${base}/api/chains/live/GateTask?gate=${encodeURIComponent(gate)}`, { method: 'POST' });
    expect(a.status).toBe(202);
    const taskId = a.body.data['task_id'] as string;
    const logUrl = `${base}/api/tasks/${taskId}/log`;

    let live: Answer | undefined;
    for (let i = 0; i < 500; i++) {
      const x = await call(logUrl);
      if (x.status === 200 && msgs(x).includes('waiting at the gate')) {
        live = x;
        break;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    if (!live) throw new Error('the running task never showed its log line');
    expect(live.body.data['live']).toBe(true);
    expect(live.body.data['task_id']).toBe(taskId);
    expect(live.body.data['dropped']).toBe(0);
    expect(msgs(live)[0]).toMatch(/^GateTask\(gate=.*\) started$/);
    expect(msgs(live)).not.toContain('through the gate');
    // Nothing is on disk yet: the answer came from memory.
    const logFile = join(dir, 'targets', 'chains', taskId, 'log');
    expect(existsSync(join(dir, 'targets', 'chains', taskId, 'params.json'))).toBe(true);
    expect(existsSync(logFile)).toBe(false);
    const text = await fetch(`${logUrl}?format=text`);
    expect(text.status).toBe(200);
    expect(text.headers.get('content-type')).toMatch(/^text\/plain/);
    const body = await text.text();
    expect(body).toContain('"msg":"waiting at the gate"');
    expect(body.endsWith('\n')).toBe(true);

    writeFileSync(gate, 'open');
    expect((await pollDone(a.body.data['status_url'] as string)).body.data['job_status']).toBe('DONE');
    expect(srv.runs.liveLogs.size).toBe(0);
    const stored = await call(logUrl);
    expect(stored.status).toBe(200);
    expect(stored.body.data['live']).toBe(false);
    expect(existsSync(logFile)).toBe(true);
    expect(msgs(stored)).toEqual(expect.arrayContaining(['waiting at the gate', 'through the gate']));
    expect(msgs(stored)[msgs(stored).length - 1]).toMatch(/ done$/);
    const storedText = await (await fetch(`${logUrl}?format=text`)).text();
    expect(storedText).toContain('"msg":"through the gate"');
  });

  it('is 404 for a task that is neither running nor logged', async () => {
    const a = await call(`${base}/api/tasks/live/gate_chain/GateTask/${'0'.repeat(32)}/log`);
    expect(a.status).toBe(404);
    expect(a.body.error?.code).toBe('NOT_FOUND');
  });
});
