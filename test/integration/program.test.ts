/**
 * Program tasks: an external program instead of a run function. Success (params as args, env
 * and a JSON file; input file; output moved into place), a non-zero exit (FAILED with the code
 * and the stderr tail, no output), a hang past the timeout (the whole process group gone, no
 * orphan) and a cancel from the API. A program task on each executor (worker processes,
 * BullMQ workers) is in test/contract/executor-contract.ts.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { taskFolder } from '../../src/core/binding';
import { makeRuntime, rmDir, tempDir, writeChains } from '../helpers/runtime';
import { call, startTestServer } from '../helpers/server';

const SCRIPT = `
const fs = require('node:fs');
const { spawn } = require('node:child_process');
const params = JSON.parse(fs.readFileSync(process.env.NECTAR_PARAMS_FILE, 'utf8'));
const mode = process.env.NECTAR_PARAM_MODE;
console.log('args ' + JSON.stringify(process.argv.slice(2)));
if (mode === 'fail') {
  console.error('reading the input');
  console.error('bad row 7: not a number');
  process.exit(3);
}
if (mode === 'hang') {
  // A child of its own too: both must go when the task is stopped.
  const c = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  fs.writeFileSync(params.pids, process.pid + ' ' + c.pid);
  setInterval(() => {}, 1000);
} else {
  const text = fs.readFileSync(process.env.NECTAR_INPUT, 'utf8');
  fs.writeFileSync(process.env.NECTAR_OUTPUT, JSON.stringify({ words: text.split(/\\s+/).filter(Boolean).length, mode: params.mode }));
  console.log('counted');
}
`;

const CHAIN = `
import { join } from 'node:path';
import { p, program, task, type RunContext } from 'nectar';

const SCRIPT = join(process.env['NECTAR_TEST_SCRIPTS'] as string, 'count.js');

export class WordsTask extends task({ text: p.string() }) {
  async run(ctx: RunContext<WordsTask>) { await ctx.output.write(this.params.text); }
}

export class CountTask extends program({ text: p.string(), mode: p.enum(['ok', 'fail', 'hang']), pids: p.string({ default: '' }) }, { timeout: 1500 }) {
  requires() { return new WordsTask({ text: this.params.text }); }
  output() { return this.target('count.json'); }
  command() { return [process.execPath, SCRIPT]; }
}

export class LongTask extends program({ pids: p.string(), mode: p.enum(['hang']) }) {
  command() { return [process.execPath, SCRIPT]; }
}
`;

/** Alive: signal 0 reaches it and it is not a zombie waiting for a reaper. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function gone(pids: number[]): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (pids.every((p) => !alive(p))) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

/** The pids the program wrote (both: the file exists, empty, a moment before its content is in). */
async function waitFor(path: string): Promise<number[]> {
  const read = (): string => (existsSync(path) ? readFileSync(path, 'utf8') : '');
  for (let i = 0; i < 200 && !/^\d+ \d+$/.test(read()); i++) await new Promise((r) => setTimeout(r, 25));
  return read().split(' ').map(Number);
}

describe('program tasks', () => {
  let dir: string;
  let chains: string;

  beforeAll(() => {
    dir = tempDir('nectar-program-');
    chains = writeChains(dir, { 'prog/count_chain.ts': CHAIN });
    writeFileSync(join(dir, 'count.js'), SCRIPT);
    process.env['NECTAR_TEST_SCRIPTS'] = dir;
  });
  afterAll(() => rmDir(dir));

  test('success: params as arguments, environment and a JSON file; the input file; the output moved into place; stdout in the log', async () => {
    const rt = makeRuntime(chains, join(dir, 't1'));
    try {
      const root = rt.instantiate('prog/CountTask', { text: 'one two three', mode: 'ok' });
      const r = await rt.run(root);
      expect(r.state).toBe('SUCCEEDED');
      const folder = join(dir, 't1', taskFolder(root.id));
      expect(JSON.parse(readFileSync(join(folder, 'count.json'), 'utf8'))).toEqual({ words: 3, mode: 'ok' });
      const log = readFileSync(join(folder, 'log'), 'utf8');
      expect(log).toContain('args [\\"--mode=ok\\",\\"--pids=\\",\\"--text=one two three\\"]');
      expect(log).toContain('counted');
    } finally {
      await rt.close();
    }
  });

  test('exit 3: FAILED with the exit code and the end of stderr, no output left behind', async () => {
    const rt = makeRuntime(chains, join(dir, 't3'));
    try {
      const root = rt.instantiate('prog/CountTask', { text: 'x', mode: 'fail' });
      const r = await rt.run(root);
      expect(r.state).toBe('FAILED');
      const msg = r.failures[0]?.error?.message ?? '';
      expect(msg).toContain('exited with code 3');
      expect(msg).toContain('bad row 7: not a number');
      expect(existsSync(join(dir, 't3', taskFolder(root.id), 'count.json'))).toBe(false);
      expect(readFileSync(join(dir, 't3', taskFolder(root.id), 'log'), 'utf8')).toContain('reading the input');
    } finally {
      await rt.close();
    }
  });

  test('hanging past its timeout: TIMEOUT, and its whole process group is gone', async () => {
    const rt = makeRuntime(chains, join(dir, 't4'));
    const pidsFile = join(dir, 'pids-timeout');
    try {
      const r = await rt.run(rt.instantiate('prog/CountTask', { text: 'x', mode: 'hang', pids: pidsFile }));
      expect(r.state).toBe('FAILED');
      expect(r.failures[0]?.error?.code).toBe('TIMEOUT');
      const pids = await waitFor(pidsFile);
      expect(pids).toHaveLength(2);
      expect(await gone(pids)).toBe(true);
    } finally {
      await rt.close();
    }
  });

  test('cancelled from the API: the program and its children are gone', async () => {
    const pidsFile = join(dir, 'pids-cancel');
    const { srv, base } = await startTestServer(chains, join(dir, 's'));
    try {
      const a = await call(`${base}/api/chains/prog/LongTask?mode=hang&pids=${encodeURIComponent(pidsFile)}`, { method: 'POST' });
      expect(a.status).toBe(202);
      const pids = await waitFor(pidsFile);
      expect(pids.every(alive)).toBe(true);
      const c = await call(`${base}/api/runs/${a.body.data['run_id'] as string}/cancel`, { method: 'POST' });
      expect(c.status).toBe(200);
      expect(c.body.data['state']).toBe('CANCELLED');
      expect(await gone(pids)).toBe(true);
    } finally {
      await srv.close();
    }
  });
});
