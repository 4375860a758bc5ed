import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, rmDir, tempDir, writeChains } from '../helpers/runtime';

const CHAIN = `
import { p, task, type RunContext } from 'nectar';
export class GreetTask extends task({ name: p.string(), times: p.int({ default: 1, min: 1 }) }) {
  async run(ctx: RunContext<GreetTask>) { await ctx.output.write(('hi ' + this.params.name + '\\n').repeat(this.params.times)); }
}
export class LoudTask extends task({ name: p.string() }) {
  requires() { return new GreetTask({ name: this.params.name }); }
  async run(ctx: RunContext<LoudTask>) { await ctx.output.write((await ctx.input.readText()).toUpperCase()); }
}
/** Streams 40 chunks slowly; drops a marker file halfway so a test can kill it mid-write. */
export class SlowWriteTask extends task({ marker: p.string() }) {
  async run(ctx: RunContext<SlowWriteTask>) {
    const w = ctx.output.open();
    for (let i = 0; i < 40; i++) {
      w.write('chunk ' + i + '\\n');
      if (i === 20) require('node:fs').writeFileSync(this.params.marker, 'half');
      await new Promise((r) => setTimeout(r, 10));
    }
    await w.commit();
  }
}
export class PingTask extends task({}) {
  requires() { return new PongTask(); }
  run() {}
}
export class PongTask extends task({}) {
  requires() { return new PingTask(); }
  run() {}
}
export class BrokenTask extends task({}) {
  requires() { return new GreetTask({ name: 'x' }); }
  run() { throw new Error('this task is broken'); }
}
`;

let dir: string;
let env: NodeJS.ProcessEnv;
beforeAll(() => {
  dir = tempDir();
  const chains = writeChains(dir, { 'cli/greet_chain.ts': CHAIN });
  env = { ...process.env, NECTAR_CHAINS: chains, NECTAR_TARGETS: join(dir, 'targets'), NECTAR_LOG_LEVEL: 'warn' };
});
afterAll(() => rmDir(dir));

function nectar(args: string[], extraEnv: NodeJS.ProcessEnv = {}): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [join(REPO, 'bin/nectar.js'), ...args], { env: { ...env, ...extraEnv }, encoding: 'utf8', cwd: dir });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('nectar CLI', () => {
  it('lists tasks, as text and JSON', () => {
    const text = nectar(['list']);
    expect(text.code).toBe(0);
    expect(text.out).toContain('cli/GreetTask  (greet_chain)  name times=1');
    const json = JSON.parse(nectar(['list', '--json']).out) as { tasks: { ref: string; params: { required: string[] } }[] };
    expect(json.tasks.map((t) => t.ref)).toEqual(['cli/greet_chain/BrokenTask', 'cli/greet_chain/GreetTask', 'cli/greet_chain/LoudTask', 'cli/greet_chain/PingTask', 'cli/greet_chain/PongTask', 'cli/greet_chain/SlowWriteTask']);
    expect(json.tasks[1]?.params.required).toEqual(['name']);
  });

  it('plans, runs, and then has nothing to do', () => {
    const plan = nectar(['plan', 'cli/LoudTask', '--param', 'name=ada']);
    expect(plan.code).toBe(0);
    expect(plan.out).toMatch(/^run +GreetTask\(name=ada, times=1\) +cli\/greet_chain\/GreetTask\/[0-9a-f]{32}$/m);
    expect(plan.out).toContain('2 to run, 0 complete');

    const run = nectar(['run', 'cli/LoudTask', '--param', 'name=ada', '--json']);
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.out) as { state: string; ran: number; roots: { task_id: string; outputs: string[] }[] };
    expect(summary.state).toBe('SUCCEEDED');
    expect(summary.ran).toBe(2);
    const out = summary.roots[0]?.outputs[0] as string;
    expect(readFileSync(join(dir, 'targets', out), 'utf8')).toBe('HI ADA\n');

    const again = nectar(['run', 'cli/LoudTask', '-p', 'name=ada']);
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/SUCCEEDED in [\d.]+ s: 0 ran, 1 skipped/);
    expect(nectar(['plan', 'cli/LoudTask', '-p', 'name=ada']).out).toContain('0 to run, 1 complete');
  });

  it('exits 1 on a failed task with its first error lines in the summary', () => {
    const r = nectar(['run', 'cli/BrokenTask']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('FAILED');
    expect(r.out).toMatch(/FAILED cli\/greet_chain\/BrokenTask\/[0-9a-f]{32} \(after 1 attempt\)\n {2}Error: this task is broken\n/);
    expect(r.out).toContain('at BrokenTask.run');
    expect(r.out).toContain('1 ran'); // GreetTask(name=x) ran; BrokenTask failed
  });

  it('exits 1 naming the tasks of a cycle, running nothing', () => {
    const r = nectar(['run', 'cli/PingTask']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/the run could not start: requirements form a cycle: cli\/greet_chain\/PingTask\/\w+ -> cli\/greet_chain\/PongTask\/\w+ -> cli\/greet_chain\/PingTask/);
    expect(r.out).toContain('0 ran');
  });

  it.each([
    [['run', 'cli/NoSuchTask'], /unknown task 'cli\/NoSuchTask'/],
    [['run', 'cli/GreetTask'], /'name': required parameter is missing/],
    [['run', 'cli/GreetTask', '-p', 'name=x', '-p', 'times=zero'], /'times': expected an integer, got "zero"/],
    [['run', 'cli/GreetTask', '-p', 'name=x', '-p', 'colour=red'], /'colour': unknown parameter/],
    [['run', 'cli/GreetTask', '-p', 'name'], /--param "name": expected name=value/],
    [['run', 'cli/GreetTask', '-p', 'name=x', '--workers', '0'], /--workers "0"/],
    [['graph', 'cli/GreetTask', '-p', 'name=x', '--format', 'png'], /argument 'png' is invalid/],
    [['frobnicate'], /unknown command 'frobnicate'/],
  ])('exits 2 on bad usage: %j', (args, message) => {
    const r = nectar(args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });

  it('exits 2 naming a bad configuration variable', () => {
    const r = nectar(['list'], { NECTAR_WORKERS: 'lots' });
    expect(r.code).toBe(2);
    expect(r.err).toContain('NECTAR_WORKERS="lots"');
  });

  it('prints the graph as DOT that Graphviz renders, and as JSON', () => {
    const dot = nectar(['graph', 'cli/LoudTask', '-p', 'name=bo']);
    expect(dot.code).toBe(0);
    expect(dot.out).toMatch(/^digraph nectar \{/);
    const which = spawnSync('which', ['dot'], { encoding: 'utf8' });
    if (which.status !== 0) {
      if (process.env['CI'] === 'true') throw new Error('Graphviz `dot` is missing on CI');
      console.warn('skipping the Graphviz render: `dot` is not installed');
    } else {
      const svg = spawnSync('dot', ['-Tsvg'], { input: dot.out, encoding: 'utf8' });
      expect(svg.status).toBe(0);
      expect(svg.stdout).toContain('<svg');
      expect(svg.stdout).toContain('GreetTask');
    }
    const json = JSON.parse(nectar(['graph', 'cli/LoudTask', '-p', 'name=bo', '--format', 'json']).out) as { nodes: { task: string; deps: string[] }[]; edges: unknown[] };
    expect(json.nodes.map((n) => n.task)).toEqual(['GreetTask', 'LoudTask']);
    expect(json.edges).toHaveLength(1);
  });

  it('leaves no partial output when killed with SIGKILL mid-write, and the rerun completes', async () => {
    const marker = join(dir, 'half.marker');
    const child = spawn(process.execPath, [join(REPO, 'bin/nectar.js'), 'run', 'cli/SlowWriteTask', '-p', `marker=${marker}`], { env, cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    for (let i = 0; i < 2000 && !existsSync(marker); i++) await new Promise((r) => setTimeout(r, 5));
    if (!existsSync(marker)) throw new Error(`the task never got halfway: ${stderr}`);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const plan = JSON.parse(nectar(['plan', 'cli/SlowWriteTask', '-p', `marker=${marker}`, '--json']).out) as { plan: { id: string; action: string }[] };
    const id = plan.plan[0]?.id as string;
    expect(plan.plan[0]?.action).toBe('run');
    const folder = join(dir, 'targets/chains', id);
    expect(readdirSync(folder).filter((f) => !f.startsWith('.'))).toEqual(['lineage.json', 'params.json']); // no out.txt, no log yet
    const rerun = nectar(['run', 'cli/SlowWriteTask', '-p', `marker=${marker}`]);
    expect(rerun.code).toBe(0);
    const text = readFileSync(join(folder, 'out.txt'), 'utf8');
    expect(text.split('\n')).toHaveLength(41);
  });
});
