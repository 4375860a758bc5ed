/**
 * The test kit for chain authors (`nectar/testing`): a temp target root per kit, fake settings
 * as the only values (the environment and settings files are not read), plans, seeded
 * fixtures, failures explained, worker processes given the same fakes, and cleanup.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { testKit } from 'nectar/testing';
import { filesUnder, rmDir, tempDir, writeChains } from '../helpers/runtime';

const CHAIN = `
import { defineSettings, p, program, setting, task, type RunContext } from 'nectar';

export const settings = defineSettings({
  API_KEY: setting.secret(),
  REGION: setting.string({ default: 'eu-west' }),
  LIMIT: setting.int(),
});

export class RawTask extends task({ n: p.int() }) {
  async run(ctx: RunContext<RawTask>) {
    await ctx.output.write(Array.from({ length: this.params.n }, (_, i) => String(i + 1)).join('\\n'));
  }
}

/** Sums RawTask's numbers, up to LIMIT of them; logs its key (by mistake). */
export class SumTask extends task({ n: p.int() }, { settings: ['API_KEY', 'REGION', 'LIMIT'] }) {
  requires() { return new RawTask({ n: this.params.n }); }
  output() { return { sum: this.target('sum.json'), seen: this.target('settings.json') }; }
  async run(ctx: RunContext<SumTask>) {
    ctx.log.info('using key ' + ctx.settings['API_KEY']);
    const nums = (await ctx.input.readText()).split('\\n').filter(Boolean).map(Number).slice(0, Number(ctx.settings['LIMIT']));
    await ctx.output.sum.write(JSON.stringify(nums.reduce((a, b) => a + b, 0)));
    await ctx.output.seen.write(JSON.stringify({ region: ctx.settings['REGION'], limit: ctx.settings['LIMIT'], keyLength: String(ctx.settings['API_KEY']).length, pid: process.pid }));
  }
}

/** The same work in a worker process. */
export class SumInProcessTask extends task({ n: p.int() }, { settings: ['API_KEY', 'REGION', 'LIMIT'], executor: 'process' }) {
  requires() { return new RawTask({ n: this.params.n }); }
  output() { return this.target('settings.json'); }
  async run(ctx: RunContext<SumInProcessTask>) {
    await ctx.output.write(JSON.stringify({ region: ctx.settings['REGION'], limit: ctx.settings['LIMIT'], keyLength: String(ctx.settings['API_KEY']).length, pid: process.pid }));
  }
}

/** A program given the settings it declares as NECTAR_SETTING_<NAME>; prints the key (by mistake). */
export class ProgramSettingsTask extends program({ n: p.int() }, { settings: ['API_KEY', 'LIMIT'] }) {
  output() { return this.target('seen.json'); }
  command() {
    const script = "const e = process.env; console.log('key ' + e.NECTAR_SETTING_API_KEY); require('fs').writeFileSync(e.NECTAR_OUTPUT, JSON.stringify({ limit: e.NECTAR_SETTING_LIMIT, keyLength: e.NECTAR_SETTING_API_KEY.length, region: e.NECTAR_SETTING_REGION ?? null, inherited: Object.keys(e).filter((k) => k.startsWith('NECTAR_') && !/^NECTAR_(SETTING|PARAM|OUTPUT|INPUT|PARAMS_FILE|TASK_ID)/.test(k)) }))";
    return [process.execPath, '-e', script, '--'];
  }
}

export class BrokenTask extends task({ n: p.int() }) {
  requires() { return new RawTask({ n: this.params.n }); }
  async run(): Promise<void> { throw new Error('broken on purpose'); }
}

export class AfterBrokenTask extends task({ n: p.int() }) {
  requires() { return new BrokenTask({ n: this.params.n }); }
  async run(ctx: RunContext<AfterBrokenTask>) { await ctx.output.write('never'); }
}
`;

const SECRET = 'kit-secret-9d2f61b7';
type Kit = ReturnType<typeof testKit>;

describe('nectar/testing', () => {
  let dir: string;
  let chains: string;
  let settingsDir: string;
  const kits: Kit[] = [];
  const realEnv = { NECTAR_VENDOR_API_KEY: 'the-real-production-key', NECTAR_VENDOR_LIMIT: '1000' };

  function kit(settings?: Parameters<typeof testKit>[0]): Kit {
    const k = testKit({ chains, ...settings });
    kits.push(k);
    return k;
  }
  const fakes = { vendor: { API_KEY: SECRET, LIMIT: 3 } };

  beforeAll(() => {
    dir = tempDir('nectar-kit-test-');
    chains = writeChains(dir, { 'vendor/sum_chain.ts': CHAIN });
    // What a developer's machine may hold: the kit must read neither.
    settingsDir = join(dir, 'settings');
    mkdirSync(settingsDir);
    writeFileSync(join(settingsDir, 'vendor.json'), JSON.stringify({ API_KEY: 'from-the-file', LIMIT: 999, REGION: 'us-east' }));
    process.env['NECTAR_SETTINGS_DIR'] = settingsDir;
    Object.assign(process.env, realEnv);
  });
  afterAll(async () => {
    for (const k of kits) await k.close();
    for (const key of [...Object.keys(realEnv), 'NECTAR_SETTINGS_DIR']) delete process.env[key];
    rmDir(dir);
  });

  test('runs a task and its requirements under a temp root of its own, with the fake settings only', async () => {
    const k = kit({ settings: fakes });
    expect(k.problems).toEqual([]);
    const sum = k.task('vendor/SumTask', { n: 10 });
    const run = await k.runOk(sum);
    expect(run.state).toBe('SUCCEEDED');
    expect(run.ran).toEqual(['RawTask(n=10)', 'SumTask(n=10)']);
    expect(run.failures).toEqual([]);
    // LIMIT 3 of the fakes, not 1000 (environment) or 999 (file); REGION its default, not the file's.
    expect(await k.read(sum, 'sum.json')).toBe('6');
    expect(JSON.parse(await k.read(sum, 'settings.json'))).toEqual({ region: 'eu-west', limit: 3, keyLength: SECRET.length, pid: process.pid });
    // Everything lives under the kit's root.
    const files = filesUnder(k.root).map((f) => f.slice(k.root.length));
    expect(files.filter((f) => f.endsWith('/sum.json'))).toHaveLength(1);
    expect(files.every((f) => f.startsWith('/targets/chains/vendor/sum_chain/'))).toBe(true);
    // The secret the task logged is redacted in its log.
    const log = await k.log(sum);
    expect(log).toContain('using key [redacted]');
    for (const f of filesUnder(k.root)) expect(readFileSync(f, 'utf8')).not.toContain(SECRET);
  });

  test('two kits do not see each other\'s outputs, and each keeps its own fake settings', async () => {
    const a = kit({ settings: fakes });
    const b = kit({ settings: { vendor: { API_KEY: 'another-fake-key', LIMIT: 2 } } });
    expect(a.root).not.toBe(b.root);
    const ra = await a.runOk(a.task('vendor/SumTask', { n: 5 }));
    const rb = await b.runOk(b.task('vendor/SumTask', { n: 5 }));
    expect(rb.ran).toEqual(['RawTask(n=5)', 'SumTask(n=5)']);
    expect(ra.task.id).toBe(rb.task.id); // settings are not in ids
    expect(await b.read(rb.task, 'sum.json')).toBe('3');
    // Back to the first kit: its settings again.
    const again = await a.runOk(a.task('vendor/SumTask', { n: 4 }));
    expect(await a.read(again.task, 'sum.json')).toBe('6');
    expect(await a.read(ra.task, 'sum.json')).toBe('6');
  });

  test('two kits with different fake settings for one chain type run at the same time, each with its own', async () => {
    const a = kit({ settings: { vendor: { API_KEY: 'first-fake-key', REGION: 'eu-west', LIMIT: 2 } } });
    const b = kit({ settings: { vendor: { API_KEY: 'the-second-fake-key', REGION: 'us-east', LIMIT: 4 } } });
    // Interleaved: both runs are in flight together, in this process and in worker processes.
    const [ra, rb, pa, pb] = await Promise.all([
      a.runOk(a.task('vendor/SumTask', { n: 6 })),
      b.runOk(b.task('vendor/SumTask', { n: 6 })),
      a.runOk(a.task('vendor/SumInProcessTask', { n: 6 })),
      b.runOk(b.task('vendor/SumInProcessTask', { n: 6 })),
    ]);
    expect(await a.read(ra.task, 'sum.json')).toBe('3');
    expect(await b.read(rb.task, 'sum.json')).toBe('10');
    expect(JSON.parse(await a.read(ra.task, 'settings.json'))).toMatchObject({ region: 'eu-west', limit: 2, keyLength: 'first-fake-key'.length });
    expect(JSON.parse(await b.read(rb.task, 'settings.json'))).toMatchObject({ region: 'us-east', limit: 4, keyLength: 'the-second-fake-key'.length });
    expect(JSON.parse(await a.read(pa.task))).toMatchObject({ region: 'eu-west', limit: 2 });
    expect(JSON.parse(await b.read(pb.task))).toMatchObject({ region: 'us-east', limit: 4 });
  });

  test('plans without running: what would run, what is complete', async () => {
    const k = kit({ settings: fakes });
    const sum = k.task('vendor/SumTask', { n: 7 });
    const before = await k.plan(sum);
    expect(before.run).toEqual(['RawTask(n=7)', 'SumTask(n=7)']);
    expect(before.complete).toEqual([]);
    expect(before.entries.map((e) => e.id)).toEqual([k.task('vendor/RawTask', { n: 7 }).id, sum.id]);
    expect(existsSync(join(k.root, 'targets'))).toBe(false);
    await k.runOk(k.task('vendor/RawTask', { n: 7 }));
    const after = await k.plan(sum);
    expect(after.run).toEqual(['SumTask(n=7)']);
    expect(after.complete).toEqual(['RawTask(n=7)']);
  });

  test('seeds fixtures in place of a task\'s outputs; wrong names are errors naming the outputs', async () => {
    const k = kit({ settings: fakes });
    const raw = k.task('vendor/RawTask', { n: 100 });
    await k.seed(raw, '40\n2\n1000\n');
    const run = await k.runOk(k.task('vendor/SumTask', { n: 100 }));
    expect(run.ran).toEqual(['SumTask(n=100)']);
    expect(run.skipped).toEqual(['RawTask(n=100)']);
    expect(await k.read(run.task, 'sum.json')).toBe('1042');
    await expect(k.read(run.task)).rejects.toThrow(/name one of its outputs \(outputs: settings\.json, sum\.json\)/);

    const sum = k.task('vendor/SumTask', { n: 1 });
    await expect(k.seed(sum, 'one string')).rejects.toThrow(/has 2 outputs \(settings\.json, sum\.json\)/);
    await expect(k.seed(sum, { 'sum.json': '1' })).rejects.toThrow(/content missing for settings\.json/);
    await expect(k.seed(sum, { 'sum.json': '1', 'settings.json': '{}', 'extra.txt': 'x' })).rejects.toThrow(/no output named extra\.txt/);
    expect((await k.plan(sum)).run).toContain('SumTask(n=1)');
  });

  test('run() reports a failure; runOk() throws it with the task, its message and its stack', async () => {
    const k = kit({ settings: fakes });
    const after = k.task('vendor/AfterBrokenTask', { n: 2 });
    const run = await k.run(after);
    expect(run.state).toBe('FAILED');
    expect(run.failures.map((f) => [f.task, f.error?.message])).toEqual([['BrokenTask(n=2)', 'broken on purpose']]);
    expect(run.tasks.map((t) => [t.task, t.state])).toEqual(expect.arrayContaining([['AfterBrokenTask(n=2)', 'UPSTREAM_FAILED'], ['RawTask(n=2)', 'DONE']]));
    await expect(k.runOk(after)).rejects.toThrow(/run of AfterBrokenTask\(n=2\) ended FAILED:\nBrokenTask\(n=2\): Error: broken on purpose\n\s+at /);
  });

  test('a missing fake setting is reported at load, naming it, and its tasks refuse to start; other tasks run', async () => {
    const k = kit({ settings: { vendor: { LIMIT: 3 } } });
    expect(k.problems.join('\n')).toMatch(/chain type 'vendor': setting API_KEY is required/);
    expect(() => k.task('vendor/SumTask', { n: 1 })).toThrow(expect.objectContaining({ code: 'BAD_CONFIG', message: expect.stringContaining('API_KEY') }));
    expect((await k.runOk(k.task('vendor/RawTask', { n: 1 }))).ran).toEqual(['RawTask(n=1)']);
  });

  test('a fake for a setting or a type that does not exist is an error, and leaves no temp folder', () => {
    // A temp folder of this test's own, so that kits of other test files running now do not count.
    const tmpDir = join(dir, 'tmp');
    mkdirSync(tmpDir);
    expect(() => testKit({ chains, tmpDir, settings: { vendor: { API_KEY: 'k', LIMIT: 1, LIMT: 2 } } })).toThrow(/unknown fake setting vendor\.LIMT \(declared: API_KEY, REGION, LIMIT\)/);
    expect(() => testKit({ chains, tmpDir, settings: { vendr: { API_KEY: 'k' } } })).toThrow(/vendr\.API_KEY \(chain type 'vendr' declares no settings\)/);
    expect(readdirSync(tmpDir)).toEqual([]);
    const made = testKit({ chains, tmpDir });
    expect(readdirSync(tmpDir)).toEqual([basename(made.root)]);
    return made.close().then(() => expect(readdirSync(tmpDir)).toEqual([]));
  });

  test('a fake of the wrong kind is reported, naming the setting', () => {
    const k = kit({ settings: { vendor: { API_KEY: 'k', LIMIT: 'many' } } });
    expect(k.problems.join('\n')).toMatch(/setting LIMIT \(NECTAR_VENDOR_LIMIT\): expected a whole number/);
  });

  test('tasks that run in a worker process get the same fake settings', async () => {
    const k = kit({ settings: fakes });
    const run = await k.runOk(k.task('vendor/SumInProcessTask', { n: 3 }));
    const seen = JSON.parse(await k.read(run.task)) as { region: string; limit: number; keyLength: number; pid: number };
    expect(seen.pid).not.toBe(process.pid);
    expect(seen).toEqual({ region: 'eu-west', limit: 3, keyLength: SECRET.length, pid: seen.pid });
  });

  test('a program task gets the settings it declares, and only those, as NECTAR_SETTING_<NAME>; a secret it prints is redacted', async () => {
    const k = kit({ settings: fakes });
    expect(process.env['NECTAR_VENDOR_API_KEY']).toBe(realEnv.NECTAR_VENDOR_API_KEY);
    const run = await k.runOk(k.task('vendor/ProgramSettingsTask', { n: 1 }));
    // Not this process's NECTAR_VENDOR_API_KEY, NECTAR_SETTINGS_DIR, ...: nectar's own variables are not inherited.
    expect(JSON.parse(await k.read(run.task))).toEqual({ limit: '3', keyLength: SECRET.length, region: null, inherited: [] });
    const log = await k.log(run.task);
    expect(log).toContain('key [redacted]');
    expect(log).not.toContain(SECRET);
  });

  test('close() removes the temp root', async () => {
    const k = testKit({ chains, settings: fakes });
    await k.runOk(k.task('vendor/RawTask', { n: 2 }));
    expect(existsSync(k.root)).toBe(true);
    await k.close();
    expect(existsSync(k.root)).toBe(false);
  });
});
