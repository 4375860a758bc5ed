import { createHmac, timingSafeEqual } from 'node:crypto';
import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import pino from 'pino';
import type { NectarServer } from '../../src/api/server';
import { NectarError } from '../../src/core/errors';
import { type WebhookConfig, Webhooks, loadWebhooks } from '../../src/runtime/webhooks';
import { REPO, rmDir, tempDir, writeChains } from '../helpers/runtime';
import { call, startTestServer } from '../helpers/server';

/** What the receiver got: one entry per request. */
interface Received {
  headers: IncomingHttpHeaders;
  raw: string;
  body: { event: string; delivery_id: string; sent_at: string; run: Record<string, unknown> };
  at: number;
}

/** A local HTTP receiver on a free port; `answer` picks the reply to each request (default 200). */
async function receiver(answer: (n: number) => { status: number; headers?: Record<string, string>; hang?: boolean } = () => ({ status: 200 })): Promise<{ url: string; got: Received[]; close(): Promise<void> }> {
  const got: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      got.push({ headers: req.headers, raw, body: JSON.parse(raw) as Received['body'], at: Date.now() });
      const a = answer(got.length);
      if (a.hang) return;
      res.writeHead(a.status, a.headers ?? {}).end('ok');
    });
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    got,
    close: () =>
      new Promise<void>((res) => {
        server.closeAllConnections();
        server.close(() => res());
      }),
  };
}

/** True when the header is the HMAC-SHA256 of `<timestamp>.<raw body>`, compared in constant time. */
function validSignature(secret: string, headers: IncomingHttpHeaders, raw: string): boolean {
  const sig = String(headers['x-nectar-signature'] ?? '');
  const want = Buffer.from(`sha256=${createHmac('sha256', secret).update(`${String(headers['x-nectar-timestamp'])}.${raw}`).digest('hex')}`);
  const have = Buffer.from(sig);
  return have.length === want.length && timingSafeEqual(have, want);
}

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const FAILING = `
import { task, type RunContext } from 'nectar';
export class BoomTask extends task({}) {
  async run(_ctx: RunContext<BoomTask>): Promise<void> { throw new Error('boom: the feed is down'); }
}
`;

const WEBHOOK_VARS = ['NECTAR_WEBHOOKS', 'NECTAR_WEBHOOK_URL', 'NECTAR_WEBHOOK_SECRET', 'NECTAR_WEBHOOK_EVENTS', 'NECTAR_WEBHOOK_ATTEMPTS', 'NECTAR_WEBHOOK_BASE_DELAY_MS', 'NECTAR_PUBLIC_URL', 'HOOK_SECRET'];

describe('webhooks through the API (configured by environment variables)', () => {
  let dir: string;
  let srv: NectarServer | undefined;
  let rcv: Awaited<ReturnType<typeof receiver>> | undefined;
  const saved: Record<string, string | undefined> = {};

  beforeEach(() => {
    dir = tempDir();
    for (const k of WEBHOOK_VARS) saved[k] = process.env[k];
  });
  afterEach(async () => {
    await srv?.close();
    await rcv?.close();
    srv = undefined;
    rcv = undefined;
    for (const k of WEBHOOK_VARS) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
    rmDir(dir);
  });

  /** Start a server over `chains` with these webhook variables, run `path`, wait for the run and its deliveries. */
  async function runWith(env: Record<string, string>, chains: string, path: string): Promise<string> {
    Object.assign(process.env, env);
    ({ srv } = await startTestServer(chains, dir));
    const base = `http://127.0.0.1:${srv.port}`;
    const a = await call(`${base}${path}`, { method: 'POST' });
    expect(a.status).toBe(202);
    const runId = a.body.data['run_id'] as string;
    await srv.runs.settled(runId);
    await until(() => srv?.runs.webhooks.pending === 0, 'deliveries to finish');
    return runId;
  }

  it('a successful run delivers run:succeeded once, signed, with the run fields', async () => {
    rcv = await receiver();
    const runId = await runWith(
      { NECTAR_WEBHOOK_URL: rcv.url, NECTAR_WEBHOOK_SECRET: 's3cret', NECTAR_PUBLIC_URL: 'https://nectar.example.org/' },
      join(REPO, 'chains'),
      '/api/chains/testchains/hello_chain/ShoutTask?name=ada',
    );
    expect(rcv.got).toHaveLength(1);
    const [r] = rcv.got as [Received];
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.headers['user-agent']).toBe('nectar');
    expect(r.headers['x-nectar-event']).toBe('run:succeeded');
    expect(r.headers['x-nectar-delivery']).toBe(r.body.delivery_id);
    expect(Math.abs(Number(r.headers['x-nectar-timestamp']) - Date.now() / 1000)).toBeLessThan(30);
    expect(validSignature('s3cret', r.headers, r.raw)).toBe(true);
    expect(validSignature('wrong', r.headers, r.raw)).toBe(false);
    expect(r.body.event).toBe('run:succeeded');
    expect(r.body.delivery_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Date(r.body.sent_at).toISOString()).toBe(r.body.sent_at);
    const run = r.body.run;
    expect(run).toMatchObject({ run_id: runId, task: 'testchains/hello_chain/ShoutTask', params: { name: 'ada' }, state: 'SUCCEEDED', error: null, url: `https://nectar.example.org/api/runs/${runId}` });
    expect(run['task_id']).toMatch(/^testchains\/hello_chain\/ShoutTask\/[0-9a-f]{32}$/);
    expect(run['counts']).toMatchObject({ DONE: 2 });
    expect(typeof run['created_at']).toBe('number');
    expect(run['duration_ms']).toBe((run['ended_at'] as number) - (run['started_at'] as number));
    // The payload matches what the API says of the run.
    const api = await call(`http://127.0.0.1:${srv?.port}/api/runs/${runId}`);
    const fields = ['run_id', 'task', 'task_id', 'params', 'state', 'created_at', 'started_at', 'ended_at', 'duration_ms', 'counts', 'error'];
    const pick = (o: Record<string, unknown>) => Object.fromEntries(fields.map((k) => [k, o[k]]));
    expect(pick(run)).toEqual(pick(api.body.data));
  });

  it('a failing run delivers run:failed with the error message and code, no stack', async () => {
    rcv = await receiver();
    const chains = writeChains(dir, { 'broken/bad_chain.ts': FAILING });
    writeFileSync(join(dir, 'hooks.json'), JSON.stringify([{ url: rcv.url, chains: ['broken'], secret_env: 'HOOK_SECRET' }]));
    const runId = await runWith({ NECTAR_WEBHOOKS: join(dir, 'hooks.json'), HOOK_SECRET: 'from-env' }, chains, '/api/chains/broken/bad_chain/BoomTask');
    expect(rcv.got).toHaveLength(1);
    const [r] = rcv.got as [Received];
    expect(r.headers['x-nectar-event']).toBe('run:failed');
    expect(validSignature('from-env', r.headers, r.raw)).toBe(true);
    expect(r.body.run).toMatchObject({ run_id: runId, state: 'FAILED', task: 'broken/bad_chain/BoomTask' });
    const error = r.body.run['error'] as Record<string, unknown>;
    expect(error['message']).toContain('boom: the feed is down');
    expect(error).toEqual({ message: expect.stringContaining('boom: the feed is down'), code: 'TASK_FAILED' });
    expect(r.raw).not.toContain('stack');
    expect(r.body.run['url']).toBeUndefined();
  });

  it('retries 500s with the same delivery id, then stops at the 200', async () => {
    rcv = await receiver((n) => ({ status: n <= 2 ? 500 : 200 }));
    await runWith({ NECTAR_WEBHOOK_URL: rcv.url, NECTAR_WEBHOOK_ATTEMPTS: '5', NECTAR_WEBHOOK_BASE_DELAY_MS: '20' }, join(REPO, 'chains'), '/api/chains/testchains/hello_chain/ShoutTask?name=retry');
    expect(rcv.got).toHaveLength(3);
    const ids = rcv.got.map((g) => g.headers['x-nectar-delivery']);
    expect(new Set(ids).size).toBe(1);
    expect(rcv.got.map((g) => g.body.delivery_id)).toEqual(ids);
    expect(rcv.got[0]?.headers['x-nectar-signature']).toBeUndefined();
    // Exponential: the second wait is about twice the first.
    const [a, b, c] = rcv.got.map((g) => g.at) as [number, number, number];
    expect(b - a).toBeGreaterThanOrEqual(15);
    expect(c - b).toBeGreaterThanOrEqual(35);
  });

  it('a 400 is final: one attempt', async () => {
    rcv = await receiver(() => ({ status: 400 }));
    const runId = await runWith({ NECTAR_WEBHOOK_URL: rcv.url, NECTAR_WEBHOOK_ATTEMPTS: '5', NECTAR_WEBHOOK_BASE_DELAY_MS: '10' }, join(REPO, 'chains'), '/api/chains/testchains/hello_chain/ShoutTask?name=final');
    await new Promise((r) => setTimeout(r, 100));
    expect(rcv.got).toHaveLength(1);
    // The run itself is untouched by the receiver's refusal.
    expect((await srv?.runs.store.getRun(runId))?.state).toBe('SUCCEEDED');
  });

  it('a chains filter that does not match delivers nothing; nor does an event not subscribed to', async () => {
    rcv = await receiver();
    writeFileSync(
      join(dir, 'hooks.json'),
      JSON.stringify([
        { url: rcv.url, chains: ['elections', 'testchains/demo_chain'] },
        { url: rcv.url, chains: ['testchains/hello_chain'], events: ['run:failed', 'run:cancelled'] },
      ]),
    );
    await runWith({ NECTAR_WEBHOOKS: join(dir, 'hooks.json') }, join(REPO, 'chains'), '/api/chains/testchains/hello_chain/ShoutTask?name=nobody');
    await new Promise((r) => setTimeout(r, 100));
    expect(rcv.got).toHaveLength(0);
  });

  it('a bad configuration stops the server from starting with BAD_CONFIG', async () => {
    process.env['NECTAR_WEBHOOK_URL'] = 'ftp://example.org/hook';
    await expect(startTestServer(join(REPO, 'chains'), dir)).rejects.toMatchObject({ code: 'BAD_CONFIG', message: expect.stringContaining('NECTAR_WEBHOOK_URL') });
  });
});

describe('loadWebhooks', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir();
  });
  afterAll(() => rmDir(dir));

  function file(name: string, content: string): string {
    writeFileSync(join(dir, name), content);
    return name;
  }

  function badConfig(env: Record<string, string>): NectarError {
    try {
      loadWebhooks(env, dir);
    } catch (err) {
      expect(err).toBeInstanceOf(NectarError);
      expect((err as NectarError).code).toBe('BAD_CONFIG');
      return err as NectarError;
    }
    throw new Error('expected BAD_CONFIG');
  }

  it('reads nothing when nothing is set', () => {
    expect(loadWebhooks({}, dir)).toEqual({ hooks: [], attempts: 6, baseDelayMs: 1000, publicUrl: undefined });
  });

  it('reads the file and the global hook; secrets come from the environment', () => {
    const f = file('ok.json', JSON.stringify([{ url: 'https://a.example/x?token=t', events: ['run:cancelled'], chains: ['elections', 'testchains/hello_chain'], secret_env: 'A_SECRET' }, { url: 'http://b.example/' }]));
    const c = loadWebhooks({ NECTAR_WEBHOOKS: f, A_SECRET: 'sa', NECTAR_WEBHOOK_URL: 'https://g.example/', NECTAR_WEBHOOK_SECRET: 'sg', NECTAR_WEBHOOK_EVENTS: 'run:failed', NECTAR_WEBHOOK_ATTEMPTS: '2' }, dir);
    expect(c.attempts).toBe(2);
    expect(c.hooks.map((h) => [h.url, h.events, h.chains, h.secret])).toEqual([
      ['https://a.example/x?token=t', ['run:cancelled'], ['elections', 'testchains/hello_chain'], 'sa'],
      ['http://b.example/', ['run:succeeded', 'run:failed'], undefined, undefined],
      ['https://g.example/', ['run:failed'], undefined, 'sg'],
    ]);
    expect(c.hooks[0]?.logUrl).toBe('https://a.example/x');
  });

  it.each<[string, () => Record<string, string>, RegExp]>([
    ['an unreadable file', () => ({ NECTAR_WEBHOOKS: 'missing.json' }), /NECTAR_WEBHOOKS=.*missing\.json: cannot read/],
    ['bad JSON', () => ({ NECTAR_WEBHOOKS: file('bad.json', '[{"url": ') }), /NECTAR_WEBHOOKS=.*bad\.json: not valid JSON/],
    ['not an array', () => ({ NECTAR_WEBHOOKS: file('obj.json', '{"url": "https://x.example"}') }), /obj\.json: expected a JSON array/],
    ['a URL that is not http(s)', () => ({ NECTAR_WEBHOOKS: file('ftp.json', '[{"url": "https://ok.example"}, {"url": "ftp://x.example"}]') }), /ftp\.json: entry \[1\]: url: "ftp:\/\/x\.example" is not an http\(s\) URL/],
    ['a missing URL', () => ({ NECTAR_WEBHOOKS: file('nourl.json', '[{}]') }), /nourl\.json: entry \[0\]: url: undefined is not an http\(s\) URL/],
    ['an unknown event', () => ({ NECTAR_WEBHOOKS: file('ev.json', '[{"url": "https://x.example", "events": ["run:done"]}]') }), /ev\.json: entry \[0\]: events\[0\] "run:done" is not an event/],
    ['a secret_env that is not set', () => ({ NECTAR_WEBHOOKS: file('sec.json', '[{"url": "https://x.example", "secret_env": "NOT_SET_ANYWHERE"}]') }), /sec\.json: entry \[0\]: secret_env NOT_SET_ANYWHERE is not set/],
    ['a secret in the file', () => ({ NECTAR_WEBHOOKS: file('lit.json', '[{"url": "https://x.example", "secret": "oops"}]') }), /lit\.json: entry \[0\]: unknown key "secret" \(secrets stay out of the file/],
    ['a bad chains filter', () => ({ NECTAR_WEBHOOKS: file('ch.json', '[{"url": "https://x.example", "chains": ["a/b/c/d"]}]') }), /ch\.json: entry \[0\]: chains\[0\] "a\/b\/c\/d"/],
    ['a bad global URL', () => ({ NECTAR_WEBHOOK_URL: 'not a url' }), /NECTAR_WEBHOOK_URL: "not a url" is not an http\(s\) URL/],
    ['an unknown global event', () => ({ NECTAR_WEBHOOK_URL: 'https://x.example', NECTAR_WEBHOOK_EVENTS: 'run:failed,run:exploded' }), /NECTAR_WEBHOOK_EVENTS=.*events\[1\] "run:exploded"/],
    ['a secret without a URL', () => ({ NECTAR_WEBHOOK_SECRET: 's' }), /NECTAR_WEBHOOK_SECRET is set but NECTAR_WEBHOOK_URL is not/],
    ['a bad attempts count', () => ({ NECTAR_WEBHOOK_ATTEMPTS: '0' }), /NECTAR_WEBHOOK_ATTEMPTS="0"/],
  ])('%s is BAD_CONFIG naming the problem', (_name, env, message) => {
    expect(badConfig(env()).message).toMatch(message);
  });
});

describe('Webhooks delivery', () => {
  let lines: Record<string, unknown>[];
  const logger = () => {
    lines = [];
    return pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  };
  const config = (url: string, o: Partial<WebhookConfig> = {}): WebhookConfig => ({
    hooks: [{ url, logUrl: url, events: ['run:succeeded', 'run:failed'], chains: undefined, secret: undefined }],
    attempts: 4,
    baseDelayMs: 10,
    publicUrl: undefined,
    ...o,
  });
  const run = { id: '00000000-0000-4000-8000-000000000000', rootTaskId: 't/c/T/0', ref: 't/c/T', params: {}, state: 'SUCCEEDED' as const, createdAt: 1, startedAt: 2, endedAt: 5 };

  it('logs each failed attempt and the final outcome with url, event, status and attempt', async () => {
    const rcv = await receiver(() => ({ status: 503 }));
    const w = new Webhooks(config(rcv.url, { attempts: 3 }), logger());
    w.runEnded(run);
    await until(() => w.pending === 0, 'delivery');
    await rcv.close();
    expect(rcv.got).toHaveLength(3);
    const warn = lines.filter((l) => l['msg'] === 'webhook attempt failed: will retry');
    expect(warn.map((l) => [l['url'], l['event'], l['status'], l['attempt']])).toEqual([
      [rcv.url, 'run:succeeded', 503, 1],
      [rcv.url, 'run:succeeded', 503, 2],
    ]);
    const final = lines.find((l) => String(l['msg']).startsWith('webhook delivery failed'));
    expect(final).toMatchObject({ url: rcv.url, event: 'run:succeeded', status: 503, attempt: 3, level: 50 });
    await w.close();
  });

  it('honours Retry-After (seconds) on a 429', async () => {
    const rcv = await receiver((n) => (n === 1 ? { status: 429, headers: { 'Retry-After': '1' } } : { status: 204 }));
    const w = new Webhooks(config(rcv.url), logger());
    w.runEnded(run);
    await until(() => w.pending === 0, 'delivery');
    await rcv.close();
    const [a, b] = rcv.got.map((g) => g.at) as [number, number];
    expect(b - a).toBeGreaterThanOrEqual(900);
    expect(lines.find((l) => l['msg'] === 'webhook delivered')).toMatchObject({ status: 204, attempt: 2 });
  });

  it('retries an attempt that times out', async () => {
    const rcv = await receiver((n) => (n === 1 ? { status: 200, hang: true } : { status: 200 }));
    const w = new Webhooks(config(rcv.url), logger(), { timeoutMs: 200 });
    w.runEnded(run);
    await until(() => w.pending === 0, 'delivery');
    await rcv.close();
    expect(rcv.got).toHaveLength(2);
    expect(lines.find((l) => l['msg'] === 'webhook attempt failed: will retry')).toMatchObject({ attempt: 1, error: 'no answer within 200 ms' });
  });

  it('retries network errors (nothing listening)', async () => {
    const rcv = await receiver();
    const url = rcv.url;
    await rcv.close();
    const w = new Webhooks(config(url, { attempts: 2 }), logger());
    w.runEnded(run);
    await until(() => w.pending === 0, 'delivery');
    expect(lines.filter((l) => l['msg'] === 'webhook attempt failed: will retry')).toHaveLength(1);
    expect(lines.find((l) => String(l['msg']).startsWith('webhook delivery failed'))).toMatchObject({ attempt: 2, error: expect.stringMatching(/ECONNREFUSED|fetch failed/) });
  });

  it('does not notify for states not subscribed to', async () => {
    const rcv = await receiver();
    const w = new Webhooks(config(rcv.url), logger());
    w.runEnded({ ...run, state: 'CANCELLED' });
    expect(w.pending).toBe(0);
    await w.close();
    await rcv.close();
    expect(rcv.got).toHaveLength(0);
  });

  it('close waits a bounded time, then logs what it gave up on', async () => {
    const rcv = await receiver(() => ({ status: 200, hang: true }));
    const w = new Webhooks(config(rcv.url), logger(), { closeGraceMs: 200, timeoutMs: 30_000 });
    w.runEnded(run);
    await until(() => rcv.got.length === 1, 'the request');
    const t0 = Date.now();
    await w.close();
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(w.pending).toBe(0);
    expect(lines.find((l) => l['msg'] === 'webhook delivery given up: the server is stopping')).toMatchObject({ url: rcv.url, event: 'run:succeeded', attempt: 1, run_id: run.id });
    w.runEnded(run);
    expect(lines.find((l) => l['msg'] === 'webhooks closed: run notification not sent')).toBeDefined();
    await rcv.close();
  });
});
