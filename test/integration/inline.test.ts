/**
 * Inline answers: `Prefer: wait=N` (RFC 7240) or `?wait=N` holds the POST until the task is
 * done (200 with its output) or the time is up (the usual 202), capped by NECTAR_MAX_WAIT;
 * and `nectar run --print`.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { NectarServer } from '../../src/api/server';
import { REPO, rmDir, tempDir, writeChains } from '../helpers/runtime';
import { call, pollDone, startTestServer } from '../helpers/server';

const CHAIN = `
import { setTimeout as sleep } from 'node:timers/promises';
import { p, task, type RunContext } from 'nectar';

export class EchoTask extends task({ text: p.string(), ms: p.int({ default: 0 }) }) {
  async run(ctx: RunContext<EchoTask>) {
    if (this.params.ms) await sleep(this.params.ms, undefined, { signal: ctx.signal });
    await ctx.output.write(this.params.text);
  }
}

export class StatsTask extends task({ n: p.int() }) {
  output() { return this.target('stats.json'); }
  async run(ctx: RunContext<StatsTask>) {
    await ctx.output.write(JSON.stringify({ n: this.params.n, squares: [1, 4, 9].slice(0, this.params.n) }));
  }
}

export class PairTask extends task({ n: p.int() }) {
  output() { return { a: this.target('a.txt'), b: this.target('b.json') }; }
  async run(ctx: RunContext<PairTask>) {
    await ctx.output.a.write('first');
    await ctx.output.b.write('{"second":2}');
  }
}

export class BytesTask extends task({ n: p.int() }) {
  async run(ctx: RunContext<BytesTask>) { await ctx.output.write(new Uint8Array([0xff, 0xfe, 0x00, 0x80])); }
}

export class BrokenTask extends task({ why: p.string() }) {
  async run(): Promise<void> { throw new Error('broken: ' + this.params.why); }
}

/** Has a parameter named wait: ?wait is its own. */
export class WaitParamTask extends task({ wait: p.int() }) {
  async run(ctx: RunContext<WaitParamTask>) { await ctx.output.write('waited ' + this.params.wait); }
}
`;

describe('inline answers (Prefer: wait)', () => {
  let dir: string;
  let srv: NectarServer;
  let base: string;

  beforeAll(async () => {
    dir = tempDir('nectar-inline-');
    const chains = writeChains(dir, { 'inl/inline_chain.ts': CHAIN });
    const s = await startTestServer(chains, dir, { NECTAR_MAX_WAIT: '5', NECTAR_INLINE_MAX_BYTES: '64' });
    srv = s.srv;
    base = s.base;
  });
  afterAll(async () => {
    await srv?.close();
    rmDir(dir);
  });

  const post = (path: string, headers: Record<string, string> = {}) => call(`${base}${path}`, { method: 'POST', headers });

  test('done in time: 200 with the output as text, the usual status fields, and Preference-Applied', async () => {
    const a = await post('/api/chains/inl/EchoTask?text=hi%20there&ms=100', { Prefer: 'respond-async, wait=4' });
    expect(a.status).toBe(200);
    expect(a.headers.get('preference-applied')).toBe('wait=4');
    expect(a.body.data).toMatchObject({ job_status: 'DONE', inline: true, output: 'hi there' });
    expect(a.body.data['resource_url']).toMatch(/\/api\/targets\/chains\/inl\/inline_chain\/EchoTask\/[0-9a-f]{32}\/out\.txt$/);
    expect(typeof a.body.data['run_id']).toBe('string');
  });

  test('JSON outputs come back as JSON; several outputs by name; ?wait works like the header', async () => {
    const a = await post('/api/chains/inl/StatsTask?n=3&wait=4');
    expect(a.status).toBe(200);
    expect(a.body.data['output']).toEqual({ n: 3, squares: [1, 4, 9] });
    const b = await post('/api/chains/inl/PairTask?n=1', { Prefer: 'wait=4' });
    expect(b.body.data['outputs']).toEqual({ 'a.txt': 'first', 'b.json': { second: 2 } });
  });

  test('already complete: 200 at once, with the output when a wait was asked for', async () => {
    await post('/api/chains/inl/EchoTask?text=again', { Prefer: 'wait=4' });
    const a = await post('/api/chains/inl/EchoTask?text=again', { Prefer: 'wait=4' });
    expect(a.status).toBe(200);
    expect(a.body.message).toBe('already complete');
    expect(a.body.data['output']).toBe('again');
    const plain = await post('/api/chains/inl/EchoTask?text=again');
    expect(plain.body.data['output']).toBeUndefined();
  });

  test('not done in time: the usual 202 with a status URL, so the run is never lost; the wait is capped', async () => {
    const a = await post('/api/chains/inl/EchoTask?text=slow&ms=2500', { Prefer: 'wait=1' });
    expect(a.status).toBe(202);
    expect(a.body.data['status_url']).toBeDefined();
    const done = await pollDone(a.body.data['status_url'] as string);
    expect(done.body.data['job_status']).toBe('DONE');

    const b = await post('/api/chains/inl/EchoTask?text=slower&ms=7000', { Prefer: 'wait=60' });
    expect(b.status).toBe(202);
    expect(b.headers.get('preference-applied')).toBe('wait=5');
  });

  test('outputs too large or not text: inline false, with the resource_url to follow', async () => {
    const big = await post(`/api/chains/inl/EchoTask?text=${'x'.repeat(100)}`, { Prefer: 'wait=4' });
    expect(big.status).toBe(200);
    expect(big.body.data).toMatchObject({ job_status: 'DONE', inline: false });
    expect(big.body.data['inline_reason']).toMatch(/larger than 64 bytes/);
    expect(big.body.data['output']).toBeUndefined();
    expect((await fetch(big.body.data['resource_url'] as string)).status).toBe(200);
    const bin = await post('/api/chains/inl/BytesTask?n=1', { Prefer: 'wait=4' });
    expect(bin.body.data).toMatchObject({ inline: false });
    expect(bin.body.data['inline_reason']).toMatch(/not text/);
  });

  test('a failure in time: 200 with job_status FAILED and the error', async () => {
    const a = await post('/api/chains/inl/BrokenTask?why=no%20input', { Prefer: 'wait=4' });
    expect(a.status).toBe(200);
    expect(a.body.data['job_status']).toBe('FAILED');
    expect((a.body.data['error'] as { message: string }).message).toContain('broken: no input');
  });

  test('a bad ?wait is a 400 naming it; a task with its own wait parameter keeps ?wait', async () => {
    const bad = await post('/api/chains/inl/EchoTask?text=x&wait=soon');
    expect(bad.status).toBe(400);
    expect(bad.body.error?.code).toBe('BAD_REQUEST');
    expect(bad.body.message).toContain("'wait'");
    const own = await post('/api/chains/inl/WaitParamTask?wait=7', { Prefer: 'wait=4' });
    expect(own.status).toBe(200);
    expect(own.body.data['output']).toBe('waited 7');
  });
});

describe('nectar run --print', () => {
  test('writes the root output to stdout, the summary to stderr', () => {
    const dir = tempDir('nectar-print-');
    try {
      const env = { ...process.env, NECTAR_CHAINS: join(REPO, 'chains'), NECTAR_TARGETS: join(dir, 't'), NECTAR_LOG_LEVEL: 'warn' };
      const r = spawnSync(process.execPath, [join(REPO, 'bin/nectar.js'), 'run', 'testchains/ShoutTask', '--param', 'name=ada', '--print'], { env, encoding: 'utf8' });
      expect(r.status).toBe(0);
      expect(r.stdout).toBe('HELLO ADA\n');
      expect(r.stderr).toContain('SUCCEEDED');
      const both = spawnSync(process.execPath, [join(REPO, 'bin/nectar.js'), 'run', 'testchains/ShoutTask', '--print', '--json'], { env, encoding: 'utf8' });
      expect(both.status).toBe(2);
      expect(both.stderr).toContain('--print and --json');
    } finally {
      rmDir(dir);
    }
  });
});
