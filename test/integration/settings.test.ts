/**
 * Settings and secrets of a chain type: values from the environment or the type's settings
 * file, never in task ids; a task sees only the settings it declares; a secret a task logs or
 * puts in an error is found nowhere (target files, the run store, API answers, the event
 * stream); a missing setting is reported when the chains load, naming it and the type.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { discover } from '../../src/discovery/discover';
import { REPO, filesUnder, makeRuntime, rmDir, tempDir, writeChains } from '../helpers/runtime';
import { call, pollDone, startTestServer } from '../helpers/server';

const SECRET = 'sk-live-7f3a9c2e41d8';

const CHAIN = `
import { defineSettings, p, setting, task, type RunContext } from 'nectar';

export const settings = defineSettings({
  API_KEY: setting.secret({ description: 'the vendor API key' }),
  REGION: setting.string({ default: 'eu-west' }),
  LIMIT: setting.int(),
});

/** Uses the key, logs it (by mistake), writes what it was given. */
export class FetchTask extends task({ q: p.string() }, { settings: ['API_KEY', 'REGION'] }) {
  async run(ctx: RunContext<FetchTask>) {
    ctx.log.info('calling the API with key ' + ctx.settings['API_KEY']);
    await ctx.output.write(JSON.stringify({ keys: Object.keys(ctx.settings).sort(), region: ctx.settings['REGION'], keyLength: String(ctx.settings['API_KEY']).length }));
  }
}

/** Fails with the key in its message. */
export class LeakTask extends task({ q: p.string() }, { settings: ['API_KEY'] }) {
  async run(ctx: RunContext<LeakTask>): Promise<void> {
    throw new Error('the vendor refused key ' + ctx.settings['API_KEY']);
  }
}

/** Declares no settings: sees none. */
export class PlainTask extends task({ q: p.string() }) {
  async run(ctx: RunContext<PlainTask>) {
    await ctx.output.write(JSON.stringify(Object.keys(ctx.settings)));
  }
}
`;

const NEEDY = `
import { defineSettings, p, setting, task, type RunContext } from 'nectar';
export const settings = defineSettings({ DB_URL: setting.string() });
export class QueryTask extends task({ q: p.string() }, { settings: ['DB_URL'] }) {
  async run(ctx: RunContext<QueryTask>) { await ctx.output.write(String(ctx.settings['DB_URL'])); }
}
export class OfflineTask extends task({ q: p.string() }) {
  async run(ctx: RunContext<OfflineTask>) { await ctx.output.write('fine'); }
}
`;

describe('settings and secrets', () => {
  let dir: string;
  let chains: string;
  const env = { NECTAR_VENDOR_API_KEY: SECRET, NECTAR_VENDOR_LIMIT: '5' };

  beforeAll(() => {
    dir = tempDir('nectar-settings-');
    chains = writeChains(dir, { 'vendor/api_chain.ts': CHAIN, 'needy/db_chain.ts': NEEDY });
    Object.assign(process.env, env);
  });
  afterAll(() => {
    for (const k of Object.keys(env)) delete process.env[k];
    rmDir(dir);
  });

  test('a secret a task logs or throws is nowhere: target files, the run store, the API, the event stream', async () => {
    const { srv, base, rt } = await startTestServer(chains, dir, env);
    const events: string[] = [];
    for (const name of ['task:added', 'task:state', 'task:log', 'task:retry', 'run:end'] as const) rt.events.on(name, (e) => events.push(JSON.stringify(e)));
    const answers: string[] = [];
    const get = async (url: string): Promise<string> => {
      const text = await (await fetch(url)).text();
      answers.push(text);
      return text;
    };
    try {
      const ok = await call(`${base}/api/chains/vendor/FetchTask?q=a`, { method: 'POST' });
      const bad = await call(`${base}/api/chains/vendor/LeakTask?q=b`, { method: 'POST' });
      const done = await pollDone(ok.body.data['status_url'] as string);
      const failed = await pollDone(bad.body.data['status_url'] as string);
      answers.push(JSON.stringify(done.body), JSON.stringify(failed.body));
      expect(done.body.data['job_status']).toBe('DONE');
      expect(failed.body.data['job_status']).toBe('FAILED');
      const out = JSON.parse(await get(done.body.data['resource_url'] as string)) as { keys: string[]; region: string; keyLength: number };
      expect(out).toEqual({ keys: ['API_KEY', 'REGION'], region: 'eu-west', keyLength: SECRET.length });
      for (const r of [ok, bad]) {
        const runId = r.body.data['run_id'] as string;
        await get(`${base}/api/runs/${runId}`);
        await get(`${base}/api/runs/${runId}/events`);
        await get(`${base}/api/runs/${runId}/graph?format=dot`);
        const taskId = r.body.data['task_id'] as string;
        const log = await get(`${base}/api/tasks/${taskId}/log`);
        expect(log).toContain('[redacted]');
      }
      await get(`${base}/api/runs`);
      await get(`${base}/api/chains`);
      await get(`${base}/openapi.json`);
      expect(answers.join('\n')).toContain('the vendor refused key [redacted]');
    } finally {
      await srv.close();
    }
    expect(events.length).toBeGreaterThan(5);
    for (const e of events) expect(e).not.toContain(SECRET);
    for (const a of answers) expect(a).not.toContain(SECRET);
    const stored = filesUnder(dir).filter((f) => !f.endsWith('_chain.ts'));
    expect(stored.some((f) => f.endsWith('nectar.db'))).toBe(true);
    for (const f of stored) expect(readFileSync(f).includes(Buffer.from(SECRET))).toBe(false);
  });

  test('settings are not in the task id; a task sees only what it declares; the settings file is read, the environment wins', async () => {
    const a = makeRuntime(chains, join(dir, 'ta'));
    const idA = a.instantiate('vendor/FetchTask', { q: 'x' }).id;
    process.env['NECTAR_VENDOR_API_KEY'] = 'another-key-000';
    const b = makeRuntime(chains, join(dir, 'tb'));
    expect(b.instantiate('vendor/FetchTask', { q: 'x' }).id).toBe(idA);
    process.env['NECTAR_VENDOR_API_KEY'] = SECRET;

    const plain = a.instantiate('vendor/PlainTask', { q: 'p' });
    expect((await a.run(plain)).state).toBe('SUCCEEDED');
    expect(await a.store.target(`chains/${plain.id}/out.txt`).readText()).toBe('[]');

    const settingsDir = join(dir, 'settings');
    mkdirSync(settingsDir, { recursive: true });
    writeFileSync(join(settingsDir, 'vendor.json'), JSON.stringify({ REGION: 'us-east', LIMIT: 9, API_KEY: 'file-key-123' }));
    const c = makeRuntime(chains, join(dir, 'tc'), { NECTAR_SETTINGS_DIR: settingsDir });
    const t = c.instantiate('vendor/FetchTask', { q: 'f' });
    expect((await c.run(t)).state).toBe('SUCCEEDED');
    const got = JSON.parse(await c.store.target(`chains/${t.id}/out.txt`).readText()) as { region: string; keyLength: number };
    expect(got.region).toBe('us-east');
    expect(got.keyLength).toBe(SECRET.length);
    for (const r of [a, b, c]) await r.close();
  });

  test('a missing setting is reported when the chains load, naming it and the chain type; tasks not needing it still run', async () => {
    const reg = discover(chains, require, { settingsDir: join(dir, 'none') });
    const problem = reg.problems.find((p) => p.reason.includes('DB_URL'));
    expect(problem?.reason).toContain("chain type 'needy'");
    expect(problem?.reason).toContain('NECTAR_NEEDY_DB_URL');
    const rt = makeRuntime(chains, join(dir, 'tn'));
    expect(() => rt.instantiate('needy/QueryTask', { q: 'x' })).toThrow(/setting DB_URL is required.*NECTAR_NEEDY_DB_URL/);
    expect((await rt.run(rt.instantiate('needy/OfflineTask', { q: 'x' }))).state).toBe('SUCCEEDED');
    await rt.close();
  });
});

const PINNED = `
import { defineSettings, p, setting, task, type RunContext } from 'nectar';
export const settings = defineSettings({ PIN: setting.secret(), CODE: setting.secret() });
export class PinTask extends task({ q: p.string() }, { settings: ['PIN'] }) {
  async run(ctx: RunContext<PinTask>) { await ctx.output.write('unlocked'); }
}
export class CodeTask extends task({ q: p.string() }, { settings: ['CODE'] }) {
  async run(ctx: RunContext<CodeTask>) { await ctx.output.write('coded'); }
}
`;

describe('a secret too short to redact', () => {
  let dir: string;
  let chains: string;
  beforeAll(() => {
    dir = tempDir('nectar-short-secret-');
    chains = writeChains(dir, { 'pinned/pin_chain.ts': PINNED });
  });
  afterAll(() => rmDir(dir));

  const tooShort = (name: string): string => `secret ${name} of type pinned is shorter than 4 characters, too short to redact safely`;

  test('is refused when the chains load, from the environment or the settings file, naming the type, the setting and why', () => {
    const settingsDir = join(dir, 'settings');
    mkdirSync(settingsDir, { recursive: true });
    writeFileSync(join(settingsDir, 'pinned.json'), JSON.stringify({ CODE: 'xy' }));
    for (const pin of ['', '123']) {
      const reg = discover(chains, require, { settingsDir, env: { NECTAR_PINNED_PIN: pin } });
      const reason = reg.problems.map((p) => p.reason).join('\n');
      expect(reason).toContain(`chain type 'pinned': `);
      expect(reason).toContain(tooShort('PIN'));
      expect(reason).toContain(tooShort('CODE'));
    }
    // Four characters are enough.
    const ok = discover(chains, require, { settingsDir, env: { NECTAR_PINNED_PIN: '1234', NECTAR_PINNED_CODE: 'abcd' } });
    expect(ok.problems).toEqual([]);
  });

  test('its tasks refuse to construct with that message (BAD_CONFIG); the value is not shown', async () => {
    process.env['NECTAR_PINNED_PIN'] = 'a1';
    process.env['NECTAR_PINNED_CODE'] = 'long-enough';
    const rt = makeRuntime(chains, join(dir, 'targets'), { NECTAR_SETTINGS_DIR: join(dir, 'none') });
    try {
      let err: unknown;
      try {
        rt.instantiate('pinned/PinTask', { q: 'x' });
      } catch (e) {
        err = e;
      }
      expect(err).toMatchObject({ code: 'BAD_CONFIG', message: expect.stringContaining(tooShort('PIN')) });
      expect((err as Error).message).not.toMatch(/\ba1\b/);
      expect((await rt.run(rt.instantiate('pinned/CodeTask', { q: 'x' }))).state).toBe('SUCCEEDED');
    } finally {
      delete process.env['NECTAR_PINNED_PIN'];
      delete process.env['NECTAR_PINNED_CODE'];
      await rt.close();
    }
  });
});

const PRINTER = `
import { defineSettings, p, setting, task, type RunContext } from 'nectar';
export const settings = defineSettings({ TOKEN: setting.secret() });
/** Prints its secret with console.* instead of ctx.log (a mistake nectar cleans up after). */
export class PrintTask extends task({ n: p.int() }, { settings: ['TOKEN'] }) {
  async run(ctx: RunContext<PrintTask>) {
    console.log('token is %s', ctx.settings['TOKEN']);
    console.error({ token: ctx.settings['TOKEN'] });
    await ctx.output.write('ok');
  }
}
`;

describe('secrets printed with console.*', () => {
  const TOKEN = 'tok-3c91e07d5a';
  let dir: string;
  let chains: string;
  beforeAll(() => {
    dir = tempDir('nectar-console-');
    chains = writeChains(dir, { 'printer/print_chain.ts': PRINTER });
  });
  afterAll(() => rmDir(dir));

  test.each(['inprocess', 'process'])('go to the task\'s log redacted, and nowhere in the CLI\'s output (%s executor)', (executor) => {
    const targets = join(dir, `targets-${executor}`);
    const r = spawnSync(process.execPath, [join(REPO, 'bin/nectar.js'), 'run', 'printer/PrintTask', '--param', `n=${executor.length}`, '--executor', executor], {
      env: { ...process.env, NECTAR_CHAINS: chains, NECTAR_TARGETS: targets, NECTAR_PRINTER_TOKEN: TOKEN },
      encoding: 'utf8',
      cwd: dir,
    });
    expect(r.status).toBe(0);
    const [logFile] = filesUnder(targets).filter((f) => f.endsWith('/log'));
    const log = readFileSync(logFile as string, 'utf8');
    expect(log).toContain('token is [redacted]');
    expect(log).toContain("token: '[redacted]'");
    expect(r.stdout + r.stderr + log).not.toContain(TOKEN);
  });
});
