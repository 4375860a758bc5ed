/**
 * What only the worker-process executor does: a CPU-bound task leaves this event loop free, a
 * task that ignores every signal is killed at its timeout, a worker that died while idle is
 * replaced. What every executor does is in test/contract/executor-contract.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Runtime } from '../../src/runtime/runtime';
import { makeRuntime, rmDir, tempDir, writeChains } from '../helpers/runtime';

const CHAIN = `
import { writeFileSync } from 'node:fs';
import { p, task, type RunContext } from 'nectar';

function spin(ms: number): number {
  const end = Date.now() + ms;
  let x = 0;
  while (Date.now() < end) x += Math.sqrt(x + 1);
  return x;
}

/** CPU-bound: would freeze an event loop. */
export class CrunchTask extends task({ ms: p.int() }, { executor: 'process' }) {
  async run(ctx: RunContext<CrunchTask>) {
    spin(this.params.ms);
    ctx.log.info({ pid: process.pid }, 'crunched');
    await ctx.output.write(String(process.pid));
  }
}

/** Spins forever, ignoring any signal: only killing its process stops it. */
export class RunawayTask extends task({ pidFile: p.string() }, { executor: 'process', timeout: 300 }) {
  async run(ctx: RunContext<RunawayTask>) {
    writeFileSync(this.params.pidFile, String(process.pid));
    await ctx.output.write('written before the spin');
    spin(60_000);
  }
}
`;

describe('worker-process executor', () => {
  let dir: string;
  let rt: Runtime;
  beforeAll(() => {
    dir = tempDir();
    rt = makeRuntime(writeChains(dir, { 'proc/work_chain.ts': CHAIN }), join(dir, 'targets'));
  });
  afterAll(async () => {
    await rt.close();
    rmDir(dir);
  });

  const read = (id: string): string => readFileSync(join(dir, 'targets/chains', id, 'out.txt'), 'utf8');

  it('runs a CPU-heavy task in a child process without freezing this one', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 20);
    const t = rt.instantiate('proc/CrunchTask', { ms: '600' });
    const r = await rt.run(t);
    clearInterval(timer);
    expect(r.state).toBe('SUCCEEDED');
    expect(Number(read(t.id))).not.toBe(process.pid);
    expect(ticks).toBeGreaterThan(5); // the event loop kept turning while the task spun (a frozen one gives 0 or 1)
    expect(readFileSync(join(dir, 'targets/chains', t.id, 'log'), 'utf8')).toContain('crunched');
  });

  it('kills a task that runs past its timeout, and its output is gone', async () => {
    const pidFile = join(dir, 'runaway.pid');
    const t = rt.instantiate('proc/RunawayTask', { pidFile });
    const r = await rt.run(t);
    expect(r.state).toBe('FAILED');
    expect(r.failures[0]?.error?.code).toBe('TIMEOUT');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await new Promise((res) => setTimeout(res, 100));
    expect(() => process.kill(pid, 0)).toThrow(); // no such process: it really stopped
    expect(existsSync(join(dir, 'targets/chains', t.id, 'out.txt'))).toBe(false);
    expect(readFileSync(join(dir, 'targets/chains', t.id, 'log'), 'utf8')).toContain('timed out');
  });

  it('replaces a worker process that died while idle', async () => {
    const first = rt.instantiate('proc/CrunchTask', { ms: 1 });
    expect((await rt.run(first)).state).toBe('SUCCEEDED');
    process.kill(Number(read(first.id)), 'SIGKILL');
    await new Promise((res) => setTimeout(res, 100));
    const second = rt.instantiate('proc/CrunchTask', { ms: 2 });
    const r = await rt.run(second);
    expect(r.state).toBe('SUCCEEDED');
    expect(read(second.id)).not.toBe(read(first.id));
  });
});
