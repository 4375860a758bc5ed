import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NectarServer } from '../../src/api/server';
import { type Answer, call, pollDone, startTestServer } from '../helpers/server';
import { rmDir, tempDir, writeChains } from '../helpers/runtime';
import { type S3Harness, startS3 } from '../helpers/s3';

const CHAIN = `
import { appendFileSync, existsSync } from 'node:fs';
import { p, task, type RunContext } from 'nectar';

const sleep = (ms: number, signal: AbortSignal) => new Promise<void>((res, rej) => {
  const t = setTimeout(res, ms);
  signal.addEventListener('abort', () => { clearTimeout(t); rej(signal.reason); });
});

export class GreetTask extends task({ name: p.string(), times: p.int({ default: 1, min: 1, max: 5 }) }) {
  async run(ctx: RunContext<GreetTask>) { await ctx.output.write(('hello ' + this.params.name + '\\n').repeat(this.params.times)); }
}

/** Fails until the file named by 'fix' exists. */
export class FragileTask extends task({ fix: p.string() }) {
  requires() { return new GreetTask({ name: 'dep' }); }
  async run(ctx: RunContext<FragileTask>) {
    if (!existsSync(this.params.fix)) throw new Error('fragile: the fix is missing');
    await ctx.output.write('fixed');
  }
}

/** Sleeps; appends a line to 'counter' each time it starts, so tests can count executions. */
export class NapTask extends task({ ms: p.int(), counter: p.string(), tag: p.string({ default: '' }) }) {
  async run(ctx: RunContext<NapTask>) {
    appendFileSync(this.params.counter, 'start\\n');
    await sleep(this.params.ms, ctx.signal);
    await ctx.output.write('rested');
  }
}

export class AfterNapTask extends task({ counter: p.string() }) {
  requires() { return new NapTask({ ms: 5000, counter: this.params.counter }); }
  async run(ctx: RunContext<AfterNapTask>) { await ctx.output.write('never'); }
}

/** Runs until the file named by 'gate' exists. */
export class GateTask extends task({ gate: p.string() }) {
  async run(ctx: RunContext<GateTask>) {
    while (!existsSync(this.params.gate)) await sleep(10, ctx.signal);
    await ctx.output.write('through');
  }
}
`;

let dir: string;
let srv: NectarServer;
let base: string;
beforeAll(async () => {
  dir = tempDir();
  const chains = writeChains(dir, { 'web/api_chain.ts': CHAIN, 'web/other_chain.ts': CHAIN.replace(/export class (Fragile|Nap|AfterNap)Task[\s\S]*$/, '') });
  ({ srv, base } = await startTestServer(chains, dir));
});
afterAll(async () => {
  await srv.close();
  rmDir(dir);
});

const post = (path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> =>
  call(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

describe('HTTP API', () => {
  it('lists every task with its endpoint and parameter schema', async () => {
    const a = await call(`${base}/api/chains`);
    expect(a.status).toBe(200);
    const chains = a.body.data['chains'] as { ref: string; endpoint: string; params: { required: string[] } }[];
    expect(chains.map((c) => c.ref)).toContain('web/api_chain/GreetTask');
    const greet = chains.find((c) => c.ref === 'web/api_chain/GreetTask');
    expect(greet?.endpoint).toBe('/api/chains/web/api_chain/GreetTask');
    expect(greet?.params.required).toEqual(['name']);
  });

  it('runs a task: 202 with a status URL, poll to DONE, download the output; then 200 at once', async () => {
    const a = await post('/api/chains/web/api_chain/GreetTask?name=ada', { times: 2 });
    expect(a.status).toBe(202);
    const d = a.body.data;
    expect(d['task_id']).toMatch(/^web\/api_chain\/GreetTask\/[0-9a-f]{32}$/);
    expect(typeof d['run_id']).toBe('string');
    expect('expires_in' in d).toBe(true);
    const done = await pollDone(d['status_url'] as string);
    expect(done.body.data['job_status']).toBe('DONE');
    const file = await fetch(done.body.data['resource_url'] as string);
    expect(file.status).toBe(200);
    expect(await file.text()).toBe('hello ada\nhello ada\n');
    const again = await post('/api/chains/web/api_chain/GreetTask?name=ada&times=2');
    expect(again.status).toBe(200);
    expect(again.body.data['job_status']).toBe('DONE');
    expect(again.body.data['task_id']).toBe(d['task_id']);
    const run = await call(`${base}/api/runs/${d['run_id'] as string}`);
    expect(run.body.data['state']).toBe('SUCCEEDED');
    expect((run.body.data['nodes'] as unknown[]).length).toBe(1);
  });

  it("answers datanectar's hand-built status URL (the target's path) as it answers the task id", async () => {
    const a = await post('/api/chains/web/api_chain/GreetTask?name=legacy');
    const id = a.body.data['task_id'] as string;
    const byId = await pollDone(a.body.data['status_url'] as string);
    // As datanectar's README builds it: chains/<type>/<chain>/<Task>/<md5>/out.txt.
    for (const form of [`chains/${id}/out.txt`, `/chains/${id}/out.txt`, `chains/${id}`, `${id}/out.txt`]) {
      const legacy = await call(`${base}/api/chainstatus?chain=${form}`);
      expect([form, legacy.status]).toEqual([form, 200]);
      expect(legacy.body.data).toEqual(byId.body.data);
    }
    for (const bad of [`chains/${id}/../out.txt`, `chains/${id.slice(0, -1)}/out.txt`, `files/${id}/out.txt`]) {
      const refused = await call(`${base}/api/chainstatus?chain=${encodeURIComponent(bad)}`);
      expect([bad, refused.status, refused.body.error?.code]).toEqual([bad, 400, 'BAD_REQUEST']);
    }
  });

  it('reports a failure with its message and stack, and retry resumes after the fix', async () => {
    const fix = join(dir, 'fix.flag');
    const a = await post(`/api/chains/web/FragileTask?fix=${encodeURIComponent(fix)}`);
    expect(a.status).toBe(202);
    const failed = await pollDone(a.body.data['status_url'] as string);
    expect(failed.body.data['job_status']).toBe('FAILED');
    const error = failed.body.data['error'] as { message: string; stack: string };
    expect(error.message).toBe('fragile: the fix is missing');
    expect(error.stack).toContain('api_chain.ts');
    const runId = a.body.data['run_id'] as string;
    const run = await call(`${base}/api/runs/${runId}`);
    expect(run.body.data['state']).toBe('FAILED');
    const nodes = run.body.data['nodes'] as { name: string; state: string }[];
    expect(nodes.map((n) => `${n.name}:${n.state}`).sort()).toEqual(['FragileTask:FAILED', 'GreetTask:DONE']);
    expect(run.body.data['edges']).toHaveLength(1);
    const log = await call(`${base}/api/tasks/${a.body.data['task_id'] as string}/log`);
    expect(log.status).toBe(200);
    expect(JSON.stringify(log.body.data['lines'])).toContain('fragile: the fix is missing');

    writeFileSync(fix, 'yes');
    const retry = await post(`/api/runs/${runId}/retry`);
    expect(retry.status).toBe(202);
    expect(retry.body.data['retry_of']).toBe(runId);
    const done = await pollDone(retry.body.data['status_url'] as string);
    expect(done.body.data['job_status']).toBe('DONE');
    const second = await call(`${base}/api/runs/${retry.body.data['run_id'] as string}`);
    const n2 = second.body.data['nodes'] as { name: string; skipped: boolean }[];
    expect(n2.find((n) => n.name === 'FragileTask')?.skipped).toBe(false);
    expect((await post(`/api/runs/${runId}/retry`)).status).toBe(200); // complete now: nothing to retry
  });

  it('cancels a run: the running task is aborted and the pending one never starts', async () => {
    const counter = join(dir, 'cancel.count');
    const a = await post(`/api/chains/web/AfterNapTask?counter=${encodeURIComponent(counter)}`);
    const runId = a.body.data['run_id'] as string;
    for (let i = 0; i < 200 && !existsSync(counter); i++) await new Promise((r) => setTimeout(r, 10));
    const c = await post(`/api/runs/${runId}/cancel`);
    expect(c.status).toBe(200);
    expect(c.body.data['state']).toBe('CANCELLED');
    const run = await call(`${base}/api/runs/${runId}`);
    const states = (run.body.data['nodes'] as { name: string; state: string }[]).map((n) => `${n.name}:${n.state}`).sort();
    expect(states).toEqual(['AfterNapTask:CANCELLED', 'NapTask:CANCELLED']);
    expect((await post(`/api/runs/${runId}/cancel`)).status).toBe(409);
    const list = await call(`${base}/api/runs?state=CANCELLED`);
    expect((list.body.data['runs'] as { run_id: string }[]).map((r) => r.run_id)).toContain(runId);
  });

  it('gives two clients posting the same task at once one task id, one run, one execution', async () => {
    const counter = join(dir, 'dedupe.count');
    const path = `/api/chains/web/NapTask?ms=200&counter=${encodeURIComponent(counter)}&tag=dedupe`;
    const [x, y] = await Promise.all([post(path), post(path)]);
    expect(x.status).toBe(202);
    expect(y.status).toBe(202);
    expect(x.body.data['task_id']).toBe(y.body.data['task_id']);
    expect(x.body.data['run_id']).toBe(y.body.data['run_id']);
    expect([x.body.data['created'], y.body.data['created']].sort()).toEqual([false, true]);
    await pollDone(x.body.data['status_url'] as string);
    expect(readFileSync(counter, 'utf8')).toBe('start\n');
  });

  it('streams a run as server-sent events, live', async () => {
    const counter = join(dir, 'sse.count');
    const a = await post(`/api/chains/web/NapTask?ms=100&counter=${encodeURIComponent(counter)}&tag=sse`);
    const res = await fetch(`${base}/api/runs/${a.body.data['run_id'] as string}/events`);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const text = await res.text(); // the stream ends with the run
    const events = [...text.matchAll(/^event: (.+)$/gm)].map((m) => m[1]);
    expect(events[0]).toBe('snapshot');
    expect(events).toContain('task:state');
    expect(events[events.length - 1]).toBe('run:end');
    expect(text).toContain('"state":"DONE"');
  });

  it('pages the run history and filters it by state', async () => {
    const all = await call(`${base}/api/runs?limit=2`);
    expect(all.status).toBe(200);
    expect((all.body.data['runs'] as unknown[]).length).toBe(2);
    expect(all.body.data['total'] as number).toBeGreaterThanOrEqual(4);
    const next = await call(`${base}/api/runs?limit=2&offset=2`);
    const ids = (x: Answer): string[] => (x.body.data['runs'] as { run_id: string }[]).map((r) => r.run_id);
    expect(ids(next).some((id) => ids(all).includes(id))).toBe(false);
    const failed = await call(`${base}/api/runs?state=FAILED`);
    expect((failed.body.data['runs'] as { state: string }[]).every((r) => r.state === 'FAILED')).toBe(true);
  });

  it('serves openapi.json, healthz and Prometheus metrics', async () => {
    const o = await call(`${base}/openapi.json`);
    const paths = (o.body as unknown as { paths: Record<string, { post?: { parameters: { name: string; required: boolean }[] } }> }).paths;
    expect(paths['/api/chains/web/api_chain/GreetTask']?.post?.parameters).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'name', required: true }),
        expect.objectContaining({ name: 'times', required: false }),
        expect.objectContaining({ name: 'Prefer', in: 'header' }),
        expect.objectContaining({ name: 'wait', in: 'query' }),
      ]),
    );
    expect((await call(`${base}/healthz`)).status).toBe(200);
    const m = await (await fetch(`${base}/metrics`)).text();
    expect(m).toMatch(/nectar_runs_total\{state="SUCCEEDED"\} \d+/);
    expect(m).toMatch(/nectar_tasks_total\{state="FAILED",skipped="false"\} \d+/);
    expect(m).toContain('nectar_task_duration_seconds_bucket');
    expect(m).toContain('nectar_http_request_duration_seconds_bucket');
  });

  const BAD: [string, string, string, number, string][] = [
    ['POST', '/api/chains/nope/GreetTask', '', 404, 'UNKNOWN_TASK'],
    ['POST', '/api/chains/web/NoSuchTask', '', 404, 'UNKNOWN_TASK'],
    ['POST', '/api/chains/web/nochain/GreetTask', '', 404, 'UNKNOWN_TASK'],
    ['POST', '/api/chains/web/GreetTask', '', 400, 'AMBIGUOUS_TASK'],
    ['POST', '/api/chains/web/api_chain/GreetTask', '', 400, 'MISSING_PARAM'],
    ['POST', '/api/chains/web/api_chain/GreetTask?name=x&times=lots', '', 400, 'BAD_PARAM'],
    ['POST', '/api/chains/web/api_chain/GreetTask?name=x&times=9', '', 400, 'BAD_PARAM'],
    ['POST', '/api/chains/web/api_chain/GreetTask?name=x&colour=red', '', 400, 'UNKNOWN_PARAM'],
    ['POST', '/api/chains/web/api_chain/GreetTask?name=x', '{"name":"y"}', 400, 'BAD_REQUEST'],
    ['POST', '/api/chains/web/api_chain/GreetTask', '{"name":', 400, 'BAD_REQUEST'],
    ['POST', '/api/chains/web/api_chain/GreetTask', '[1,2]', 400, 'BAD_REQUEST'],
    ['POST', '/api/chains/web/api_chain/GreetTask', '<200 kB body>', 413, 'PAYLOAD_TOO_LARGE'],
    ['POST', '/api/chains/..%2F..%2Fetc/GreetTask', '', 400, 'BAD_REQUEST'],
    ['POST', '/api/chains/web%2F..%2F..%2F/GreetTask', '', 400, 'BAD_REQUEST'],
    ['POST', '/api/chains/web/%2Fetc%2Fpasswd/GreetTask', '', 400, 'BAD_REQUEST'],
    ['GET', '/api/chains/web/api_chain/GreetTask', '', 405, 'METHOD_NOT_ALLOWED'],
    ['DELETE', '/api/chains', '', 405, 'METHOD_NOT_ALLOWED'],
    ['GET', '/api/nothing', '', 404, 'NOT_FOUND'],
    ['GET', '/api/chainstatus', '', 400, 'BAD_REQUEST'],
    ['GET', '/api/chainstatus?chain=../../etc/passwd', '', 400, 'BAD_REQUEST'],
    ['GET', `/api/chainstatus?chain=web/api_chain/GreetTask/${'0'.repeat(32)}`, '', 404, 'TASK_NOT_FOUND'],
    ['GET', '/api/runs?state=DONE', '', 400, 'BAD_REQUEST'],
    ['GET', '/api/runs?limit=0', '', 400, 'BAD_REQUEST'],
    ['GET', '/api/runs?limit=abc', '', 400, 'BAD_REQUEST'],
    ['GET', '/api/runs/00000000-0000-0000-0000-000000000000', '', 404, 'RUN_NOT_FOUND'],
    ['GET', '/api/runs/..%2F..', '', 404, 'RUN_NOT_FOUND'],
    ['POST', '/api/runs/00000000-0000-0000-0000-000000000000/cancel', '', 404, 'RUN_NOT_FOUND'],
    ['GET', '/api/targets/chains/..%2F..%2F..%2Fetc/passwd', '', 400, 'BAD_REQUEST'],
    ['GET', '/api/targets/etc/passwd', '', 404, 'NOT_FOUND'],
    ['GET', '/api/targets/chains/web/api_chain/GreetTask/x/.out.txt.tmp-1-1', '', 404, 'NOT_FOUND'],
    ['GET', `/api/tasks/web/api_chain/GreetTask/${'0'.repeat(32)}/log`, '', 404, 'NOT_FOUND'],
    ['GET', '/api/tasks/web/api_chain/GreetTask/..%2F/log', '', 400, 'BAD_REQUEST'],
  ];
  it.each(BAD)('%s %s %s → %d %s, never a 5xx', async (method, path, body, status, code) => {
    const payload = body === '<200 kB body>' ? JSON.stringify({ name: 'x'.repeat(200_000) }) : body;
    const a = await call(`${base}${path}`, { method, ...(payload ? { body: payload, headers: { 'content-type': 'application/json' } } : {}) });
    expect({ status: a.status, code: a.body.error?.code }).toEqual({ status, code });
    expect(a.body.message.length).toBeGreaterThan(5);
    if (status === 405) expect(a.headers.get('allow')).toBeTruthy();
  });

  it('gives a chain file added while the server runs its endpoints, with no restart', async () => {
    writeChains(dir, { 'late/new_chain.ts': CHAIN.replace(/export class (Fragile|Nap|AfterNap)Task[\s\S]*$/, '') });
    await new Promise((r) => setTimeout(r, 1100)); // the chains folder is scanned again at most once a second
    const a = await post('/api/chains/late/GreetTask?name=newcomer');
    expect(a.status).toBe(202);
    expect(a.body.data['task_id']).toMatch(/^late\/new_chain\/GreetTask\//);
  });

  it('names the bad parameter and why', async () => {
    const a = await post('/api/chains/web/api_chain/GreetTask?name=x&times=9');
    expect(a.body.message).toBe("GreetTask: 'times': must be at most 5, got 9");
    expect(a.body.error?.details).toEqual([{ param: 'times', reason: 'must be at most 5, got 9' }]);
  });
});

/**
 * Every answer of `POST /api/chains/...` says how long the links it (or the status it points
 * to) hands out stay valid: started, joined, complete, and inline, done or failed.
 */
async function expiresInOfEveryPost(at: string, dir: string, tag: string): Promise<Record<string, unknown>> {
  const postAt = (path: string, headers: Record<string, string> = {}): Promise<Answer> => call(`${at}${path}`, { method: 'POST', headers });
  const seen: Record<string, unknown> = {};
  const expiresIn = (a: Answer): unknown => ('expires_in' in a.body.data ? a.body.data['expires_in'] : 'missing');

  // Held open until the gate file exists, so the second POST surely joins the run in flight.
  const gate = join(dir, `${tag}-expires.gate`);
  const gated = `/api/chains/web/api_chain/GateTask?gate=${encodeURIComponent(gate)}`;
  const started = await postAt(gated);
  expect([started.status, started.body.data['created']]).toEqual([202, true]);
  seen['started'] = expiresIn(started);
  const joined = await postAt(gated);
  expect([joined.status, joined.body.data['created'], joined.body.data['run_id']]).toEqual([202, false, started.body.data['run_id']]);
  seen['joined'] = expiresIn(joined);
  writeFileSync(gate, 'open');
  expect((await pollDone(started.body.data['status_url'] as string)).body.data['job_status']).toBe('DONE');

  const greet = `/api/chains/web/api_chain/GreetTask?name=${tag}-expires`;
  const first = await postAt(greet);
  expect((await pollDone(first.body.data['status_url'] as string)).body.data['job_status']).toBe('DONE');
  const complete = await postAt(greet);
  expect([complete.status, complete.body.data['job_status'], typeof complete.body.data['resource_url']]).toEqual([200, 'DONE', 'string']);
  seen['complete'] = expiresIn(complete);

  const inlineDone = await postAt(`/api/chains/web/api_chain/GreetTask?name=${tag}-inline`, { prefer: 'wait=30' });
  expect([inlineDone.status, inlineDone.body.data['job_status'], inlineDone.body.data['output']]).toEqual([200, 'DONE', `hello ${tag}-inline\n`]);
  seen['inline done'] = expiresIn(inlineDone);
  const inlineFailed = await postAt(`/api/chains/web/FragileTask?fix=${encodeURIComponent(join(dir, `${tag}-never.flag`))}`, { prefer: 'wait=30' });
  expect([inlineFailed.status, inlineFailed.body.data['job_status']]).toEqual([200, 'FAILED']);
  seen['inline failed'] = expiresIn(inlineFailed);
  return seen;
}

const EVERY_POST = ['started', 'joined', 'complete', 'inline done', 'inline failed'];

describe('expires_in of every POST answer', () => {
  it('is null on local targets: their links do not expire', async () => {
    const ldir = tempDir();
    const { srv: lsrv, base: lbase } = await startTestServer(writeChains(ldir, { 'web/api_chain.ts': CHAIN }), ldir);
    try {
      const seen = await expiresInOfEveryPost(lbase, ldir, 'local');
      expect(seen).toEqual(Object.fromEntries(EVERY_POST.map((k) => [k, null])));
    } finally {
      await lsrv.close();
      rmDir(ldir);
    }
  });

  it('is NECTAR_URL_EXPIRES on S3, the lifetime of the presigned links', async () => {
    const s3: S3Harness = await startS3();
    const sdir = tempDir();
    const saved = { ...process.env };
    // The presigner reads its credentials the SDK's usual way, from the environment.
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' });
    let ssrv: NectarServer | undefined;
    try {
      const env = { NECTAR_ENV: 'test', NECTAR_S3_ENDPOINT: s3.endpoint, NECTAR_BUCKET: await s3.newBucket(), NECTAR_URL_EXPIRES: '120', AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' };
      const started = await startTestServer(writeChains(sdir, { 'web/api_chain.ts': CHAIN }), sdir, env);
      ssrv = started.srv;
      const seen = await expiresInOfEveryPost(started.base, sdir, 's3');
      expect(seen).toEqual(Object.fromEntries(EVERY_POST.map((k) => [k, 120])));
    } finally {
      await ssrv?.close();
      process.env = saved;
      await s3.stop();
      rmDir(sdir);
    }
  });
});

describe('HTTP API with a token', () => {
  let tdir: string;
  let tsrv: NectarServer;
  let tbase: string;
  beforeAll(async () => {
    tdir = tempDir();
    ({ srv: tsrv, base: tbase } = await startTestServer(writeChains(tdir, { 'web/api_chain.ts': CHAIN }), tdir, { NECTAR_API_TOKEN: 's3cret' }));
  });
  afterAll(async () => {
    await tsrv.close();
    rmDir(tdir);
  });

  it('answers 401 without the bearer token or with a wrong one, and serves with it', async () => {
    expect((await call(`${tbase}/api/chains`)).status).toBe(401);
    const wrong = await call(`${tbase}/api/chains`, { headers: { authorization: 'Bearer nope' } });
    expect({ status: wrong.status, code: wrong.body.error?.code }).toEqual({ status: 401, code: 'UNAUTHORIZED' });
    expect((await call(`${tbase}/api/chains`, { headers: { authorization: 'Bearer s3cret' } })).status).toBe(200);
    expect((await call(`${tbase}/api/chains/web/GreetTask?name=x`, { method: 'POST' })).status).toBe(401);
    expect((await call(`${tbase}/healthz`)).status).toBe(200);
  });
});

