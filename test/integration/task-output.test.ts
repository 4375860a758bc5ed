/**
 * What a task leaves behind, through the real CLI in child processes: every attempt's lines
 * in its `log`; what it prints with `console.*` in its log and never in `nectar run --json`
 * or `--print` output; and no temp file after `nectar run` is stopped by SIGTERM or SIGINT
 * mid-write.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { taskFolder } from '../../src/core/binding';
import { REPO, filesUnder, makeRuntime, rmDir, tempDir, writeChains } from '../helpers/runtime';

const CHAIN = `
import { writeFileSync } from 'node:fs';
import { p, task, type RunContext } from 'nectar';

/** Fails its first attempt, succeeds on the second. */
export class FlakyTask extends task({ tag: p.string() }, { retries: 2, retryDelay: 1 }) {
  async run(ctx: RunContext<FlakyTask>) {
    ctx.log.info({ tag: this.params.tag }, 'trying');
    if (ctx.attempt === 1) throw new Error('first attempt fails');
    await ctx.output.write('ok');
  }
}

/** Prints with console.* as careless chain code does. */
export class ChattyTask extends task({ tag: p.string() }) {
  async run(ctx: RunContext<ChattyTask>) {
    console.log('chatty says hello', this.params.tag);
    console.info({ n: 1 });
    console.error('chatty on stderr');
    await ctx.output.write('quiet output');
  }
}

/** Four chatty tasks printing at once, each after a pause. */
export class ChorusTask extends task({ n: p.int({ default: 4 }) }) {
  requires() {
    return Array.from({ length: this.params.n }, (_, i) => new LateChattyTask({ tag: 'v' + i }));
  }
  async run(ctx: RunContext<ChorusTask>) {
    await ctx.output.write('sung');
  }
}
export class LateChattyTask extends task({ tag: p.string() }) {
  async run(ctx: RunContext<LateChattyTask>) {
    await new Promise((r) => setTimeout(r, 20));
    console.log('voice', this.params.tag);
    await new Promise((r) => setTimeout(r, 20));
    console.log('voice again', this.params.tag);
    await ctx.output.write(this.params.tag);
  }
}

/** Streams slowly; drops a marker once a write is under way so a test can stop it mid-write. */
export class SlowWriteTask extends task({ marker: p.string() }) {
  async run(ctx: RunContext<SlowWriteTask>) {
    const w = ctx.output.open();
    for (let i = 0; i < 400; i++) {
      w.write('chunk ' + i + '\\n');
      if (i === 5) writeFileSync(this.params.marker, 'writing');
      await new Promise((r) => setTimeout(r, 10));
    }
    await w.commit();
  }
}
`;

let dir: string;
let chains: string;
let n = 0;
let targets: string;
beforeAll(() => {
  dir = tempDir('nectar-out-');
  chains = writeChains(dir, { 'out/out_chain.ts': CHAIN });
});
afterAll(() => rmDir(dir));
beforeEach(() => {
  n++;
  targets = join(dir, `targets-${n}`);
});

const env = (): NodeJS.ProcessEnv => ({ ...process.env, NECTAR_CHAINS: chains, NECTAR_TARGETS: targets, NECTAR_LOG_LEVEL: 'warn' });
function nectar(args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [join(REPO, 'bin/nectar.js'), ...args], { env: env(), encoding: 'utf8', cwd: dir });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const logLines = (taskId: string): { attempt: number; msg: string; level: number; console?: string }[] =>
  readFileSync(join(targets, taskFolder(taskId), 'log'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { attempt: number; msg: string; level: number; console?: string });

describe.each(['inprocess', 'process'])('with the %s executor', (executor) => {
  it('a task that fails then succeeds has both attempts in its log, marked by attempt', () => {
    const r = nectar(['run', 'out/FlakyTask', '-p', 'tag=a', '--executor', executor]);
    expect(r.code).toBe(0);
    const id = makeRuntime(chains, targets).instantiate('out/FlakyTask', { tag: 'a' }).id;
    const lines = logLines(id);
    const first = lines.filter((l) => l.attempt === 1);
    const second = lines.filter((l) => l.attempt === 2);
    expect(first.map((l) => l.msg)).toEqual(expect.arrayContaining(['trying', expect.stringContaining('failed: first attempt fails')]));
    expect(second.map((l) => l.msg)).toEqual(expect.arrayContaining(['trying', expect.stringContaining('done')]));
    // In the order they happened.
    expect(lines.findIndex((l) => l.attempt === 2)).toBeGreaterThan(lines.findLastIndex((l) => l.attempt === 1));
  });

  it("what a task prints goes to its log, and `nectar run --json` / `--print` output stays clean", () => {
    const json = nectar(['run', 'out/ChattyTask', '-p', 'tag=j', '--executor', executor, '--json']);
    expect(json.code).toBe(0);
    const summary = JSON.parse(json.out) as { state: string };
    expect(summary.state).toBe('SUCCEEDED');
    expect(json.out).not.toContain('chatty');

    const print = nectar(['run', 'out/ChattyTask', '-p', 'tag=p', '--executor', executor, '--print']);
    expect(print.code).toBe(0);
    expect(print.out).toBe('quiet output');

    const id = makeRuntime(chains, targets).instantiate('out/ChattyTask', { tag: 'j' }).id;
    const printed = logLines(id).filter((l) => l.console);
    expect(printed.map((l) => [l.console, l.msg])).toEqual([
      ['log', 'chatty says hello j'],
      ['info', '{ n: 1 }'],
      ['error', 'chatty on stderr'],
    ]);
    expect(printed.map((l) => l.level)).toEqual([30, 30, 50]);
  });
});

it('tasks printing at the same time each get their own lines, none on stdout', () => {
  const r = nectar(['run', 'out/ChorusTask', '--json', '--workers', '8']);
  expect(r.code).toBe(0);
  expect(() => JSON.parse(r.out)).not.toThrow();
  const rt = makeRuntime(chains, targets);
  for (let i = 0; i < 4; i++) {
    const id = rt.instantiate('out/LateChattyTask', { tag: `v${i}` }).id;
    const printed = logLines(id).filter((l) => l.console).map((l) => l.msg);
    expect(printed).toEqual([`voice v${i}`, `voice again v${i}`]);
  }
});

describe.each(['SIGTERM', 'SIGINT'] as const)('nectar run stopped by %s mid-write', (signal) => {
  it('leaves no temp file and no output, and says the run was cancelled', async () => {
    const marker = join(dir, `marker-${n}`);
    const child = spawn(process.execPath, [join(REPO, 'bin/nectar.js'), 'run', 'out/SlowWriteTask', '-p', `marker=${marker}`], { env: env(), cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.resume();
    const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
    for (let i = 0; i < 400 && !existsSync(marker); i++) await new Promise((r) => setTimeout(r, 25));
    expect(existsSync(marker)).toBe(true);
    child.kill(signal);
    expect(await exited).toBe(1);
    const files = filesUnder(targets).map((f) => f.slice(targets.length));
    expect(files.filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect(files.filter((f) => f.endsWith('out.txt'))).toEqual([]);
    expect(out).toMatch(/cancel/i);
  });
});
