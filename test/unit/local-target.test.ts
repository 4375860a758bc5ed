import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { LocalTargetStore } from '../../src/targets/local';
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
});
