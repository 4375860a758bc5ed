import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalTargetStore } from '../../src/targets/local';
import { LIST_THRESHOLD } from '../../src/targets/local-exists';
import { targetContract } from '../contract/target-contract';
import { REPO, rmDir, tempDir } from '../helpers/runtime';

targetContract('local', async () => {
  const dir = tempDir();
  return { store: new LocalTargetStore(dir), cleanup: async () => rmDir(dir) };
});

describe('local target', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => rmDir(dir));

  it('checks a task family of many instances by listing its folder once, agreeing with a stat per key', async () => {
    const store = new LocalTargetStore(dir);
    const ids = Array.from({ length: 3 * LIST_THRESHOLD }, (_, i) => `id${i}`);
    for (const [i, id] of ids.entries()) if (i % 4 === 0) await store.target(`chains/t/c/T/${id}/out.txt`).write('x');
    mkdirSync(join(dir, 'chains/t/c/T/id1')); // a folder without its output
    const keys = [...ids.map((id) => `chains/t/c/T/${id}/out.txt`), ...ids.slice(0, LIST_THRESHOLD).map((id) => `chains/t/c/None/${id}/out.txt`), 'chains/t/c/T/id0/log', 'top'];
    const want = keys.map((k) => existsSync(join(dir, k)));
    expect(await store.existsMany(keys)).toEqual(want);
    expect(want.filter(Boolean)).toHaveLength(ids.length / 4);
  });

  it('streams a large output with bounded memory', async () => {
    const store = new LocalTargetStore(dir);
    const t = store.target('chains/big/out.bin');
    const chunk = Buffer.alloc(1 << 20, 7);
    const total = 1024; // 1 GB
    const before = process.memoryUsage().rss;
    let peak = before;
    async function* gen() {
      for (let i = 0; i < total; i++) {
        peak = Math.max(peak, process.memoryUsage().rss);
        yield chunk;
      }
    }
    await t.writeFrom(gen());
    let read = 0;
    for await (const c of t.createReadStream()) {
      read += (c as Buffer).length;
      if (read % (64 << 20) === 0) peak = Math.max(peak, process.memoryUsage().rss);
    }
    expect(read).toBe(total << 20);
    // Holding it would cost 1 GB; streaming costs a few buffers.
    expect(peak - before).toBeLessThan(128 << 20);
    await t.delete();
  });

  it('leaves no output when the writing process is killed mid-write', async () => {
    const script = `
      require('./bin/register');
      const { LocalTargetStore } = require('./src/targets/local.ts');
      const t = new LocalTargetStore(process.argv[1]).target('chains/k/out.txt');
      const w = t.open();
      let n = 0;
      const tick = () => { w.write('x'.repeat(65536)); if (++n === 20) process.stdout.write('writing\\n'); setImmediate(tick); };
      tick();
    `;
    const child = spawn(process.execPath, ['-e', script, dir], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((res) => child.stdout.once('data', () => res()));
    child.kill('SIGKILL');
    await new Promise((res) => child.once('exit', res));
    const folder = join(dir, 'chains/k');
    expect(existsSync(join(folder, 'out.txt'))).toBe(false);
    // Only the hidden temp file remains, which no reader ever looks at.
    expect(readdirSync(folder).every((f) => f.startsWith('.out.txt.tmp-'))).toBe(true);
  });

  it('recreates a task folder removed by hand, whichever way it is written next', async () => {
    const store = new LocalTargetStore(dir);
    const t = store.target('chains/t/c/T/abc/out.txt');
    const folder = join(dir, 'chains/t/c/T/abc');
    await t.write('first');
    const big = 'b'.repeat(200 * 1024); // past the synchronous path
    const ways: [string, string, () => Promise<void>][] = [
      ['small write', 'small', () => t.write('small')],
      ['large write', big, () => t.write(big)],
      ['bytes write', 'bytes', () => t.write(Buffer.from('bytes'))],
      ['writeFrom', 'streamed\n', () => t.writeFrom(['stream', 'ed\n'])],
      ['open', 'opened', async () => {
        const w = t.open();
        w.write('open');
        w.write('ed');
        await w.commit();
      }],
    ];
    for (const [, want, write] of ways) {
      rmDir(folder);
      await write();
      expect(readFileSync(join(folder, 'out.txt'), 'utf8')).toBe(want);
      expect(readdirSync(folder)).toEqual(['out.txt']);
    }
    // The whole root gone too.
    rmDir(dir);
    await t.write('again');
    expect(await t.readText()).toBe('again');
  });
});

/** Temp files of dead writers: swept when nectar next writes to their folder. */
describe('local target temp files', () => {
  let dir: string;
  let sleeper: ChildProcess | undefined;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => {
    sleeper?.kill('SIGKILL');
    sleeper = undefined;
    rmDir(dir);
  });

  /** The pid of a process that has exited (and been reaped). */
  async function deadPid(): Promise<number> {
    const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    await new Promise((res) => child.once('exit', res));
    return child.pid as number;
  }

  /** The pid of a process that stays alive until the test ends. */
  async function livePid(): Promise<number> {
    sleeper = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    await new Promise((res) => sleeper?.once('spawn', res));
    return sleeper.pid as number;
  }

  function plant(folder: string, names: string[]): void {
    mkdirSync(join(dir, folder), { recursive: true });
    for (const n of names) writeFileSync(join(dir, folder, n), 'left behind');
  }
  const listed = (folder: string): string[] => readdirSync(join(dir, folder)).sort();

  it('removes the temp files of dead writers, keeps live ones and anything not named like a temp', async () => {
    const dead = await deadPid();
    const live = await livePid();
    const keep = [`.out.txt.tmp-${live}-1`, '.out.txt.tmp-x', `out.txt.tmp-${dead}-1`, `.out.txt.tmp-${dead}-1.bak`, `.out.txt.tmp-${dead}`];
    plant('chains/a', [`.out.txt.tmp-${dead}-1`, `.params.json.tmp-${dead}-7`, ...keep]);
    plant('chains/b', [`.out.txt.tmp-${dead}-2`, ...keep]);
    // The synchronous path (a small write) and the asynchronous one (a stream).
    const store = new LocalTargetStore(dir);
    await store.target('chains/a/out.txt').write('new');
    await store.target('chains/b/out.txt').writeFrom(['new']);
    expect(listed('chains/a')).toEqual([...keep, 'out.txt'].sort());
    expect(listed('chains/b')).toEqual([...keep, 'out.txt'].sort());
    expect(await store.target('chains/a/out.txt').readText()).toBe('new');

    // Once per folder per process: the next writes do not read the folder again.
    plant('chains/a', [`.out.txt.tmp-${dead}-9`]);
    await store.target('chains/a/out.txt').write('newer');
    expect(listed('chains/a')).toContain(`.out.txt.tmp-${dead}-9`);
    // On demand, it does.
    expect(await store.sweepTemps('chains/a')).toBe(1);
    expect(listed('chains/a')).toEqual([...keep, 'out.txt'].sort());
    expect(await store.sweepTemps('chains/none')).toBe(0);
  });

  it('removes a temp file of a live pid once it is older than the safe age (pids are reused)', async () => {
    const live = await livePid();
    plant('chains/a', [`.out.txt.tmp-${live}-1`, '.out.txt.tmp-x']);
    const day = 24 * 3600_000;
    const almost = new LocalTargetStore(dir, { now: () => Date.now() + day - 60_000 });
    await almost.target('chains/a/other.txt').write('x');
    expect(listed('chains/a')).toEqual([`.out.txt.tmp-${live}-1`, '.out.txt.tmp-x', 'other.txt']);
    const later = new LocalTargetStore(dir, { now: () => Date.now() + day + 60_000 });
    await later.target('chains/a/other.txt').write('y');
    expect(listed('chains/a')).toEqual(['.out.txt.tmp-x', 'other.txt']);
    const short = new LocalTargetStore(dir, { tempMaxAgeMs: 0, now: () => Date.now() + 1000 });
    plant('chains/a', [`.out.txt.tmp-${live}-2`]);
    expect(await short.sweepTemps('chains/a')).toBe(1);
  });

  it('never removes a temp file this process is writing, however old the clock says it is', async () => {
    const store = new LocalTargetStore(dir, { now: () => Date.now() + 365 * 24 * 3600_000 });
    const t = store.target('chains/w/out.txt');
    const w = t.open();
    w.write('in flight');
    await new Promise<void>((res) => w.write('', () => res()));
    const [tmp] = listed('chains/w');
    expect(tmp).toMatch(new RegExp(`^\\.out\\.txt\\.tmp-${process.pid}-\\d+$`));
    expect(await store.sweepTemps('chains/w')).toBe(0);
    await new LocalTargetStore(dir, { tempMaxAgeMs: 0 }).target('chains/w/x.txt').write('x');
    expect(listed('chains/w')).toEqual([tmp, 'x.txt']);
    await w.commit();
    expect(await t.readText()).toBe('in flight');
    expect(listed('chains/w')).toEqual(['out.txt', 'x.txt']);
  });

  it.each([
    ['calls process.exit', 'process.exit(0);', 0],
    ['handles SIGTERM with process.exit', "process.on('SIGTERM', () => process.exit(3)); setInterval(() => {}, 1000); process.stdout.write('ready\\n');", 3],
  ])('leaves no temp file when the process %s with writes in flight', async (_, exit, code) => {
    const script = `
      require('./bin/register');
      const { readdirSync } = require('node:fs');
      const { LocalTargetStore } = require('./src/targets/local.ts');
      const store = new LocalTargetStore(process.argv[1]);
      const folder = require('node:path').join(process.argv[1], 'chains/x');
      store.target('chains/x/done.txt').write('committed').then(() => {
        const w = store.target('chains/x/out.txt').open();
        w.write('x'.repeat(100000), () => {
          // The asynchronous write path, caught between writeFile and rename.
          store.target('chains/x/big.bin').write(Buffer.alloc(64 << 20, 1));
          const wait = () => {
            if (readdirSync(folder).filter((f) => f.includes('.tmp-')).length < 2) return setImmediate(wait);
            ${exit}
          };
          wait();
        });
      });
    `;
    const child = spawn(process.execPath, ['-e', script, dir], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<number | null>((res) => child.once('exit', (c) => res(c)));
    if (code === 3) {
      // 'ready' comes once both temp files exist.
      await new Promise<void>((res) => child.stdout.once('data', () => res()));
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(code);
    const left = readdirSync(join(dir, 'chains/x'));
    expect(left).toContain('done.txt');
    expect(left.filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});

