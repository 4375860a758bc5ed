import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { NectarServer } from '../../src/api/server';
import { call, pollDone, startTestServer } from '../helpers/server';
import { REPO, rmDir, tempDir } from '../helpers/runtime';

// A small data set keeps the run short; the CLI and the run get the same parameters.
const PARAMS = { count: '500', seed: '7' };

let dir: string;
let srv: NectarServer;
let base: string;
beforeAll(async () => {
  dir = tempDir();
  ({ srv, base } = await startTestServer(join(REPO, 'chains'), dir));
});
afterAll(async () => {
  await srv.close();
  rmDir(dir);
});

/** `nectar graph` over the repository's chains, with a target root of its own. */
function cliGraph(format: 'dot' | 'json'): string {
  const params = Object.entries(PARAMS).flatMap(([k, v]) => ['-p', `${k}=${v}`]);
  const env = { ...process.env, NECTAR_CHAINS: join(REPO, 'chains'), NECTAR_TARGETS: join(dir, 'cli-targets'), NECTAR_LOG_LEVEL: 'warn' };
  const r = spawnSync(process.execPath, [join(REPO, 'bin/nectar.js'), 'graph', 'elections/TopDayTask', ...params, '--format', format], { env, encoding: 'utf8', cwd: dir });
  if (r.status !== 0) throw new Error(`nectar graph exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** A fresh run of TopDayTask on the server, ended. */
async function topDayRun(): Promise<string> {
  const a = await call(`${base}/api/chains/elections/TopDayTask?${new URLSearchParams(PARAMS).toString()}`, { method: 'POST' });
  expect(a.status).toBe(202);
  expect((await pollDone(a.body.data['status_url'] as string)).body.data['job_status']).toBe('DONE');
  return a.body.data['run_id'] as string;
}

describe('GET /api/runs/:id/graph', () => {
  let runId: string;
  beforeAll(async () => {
    runId = await topDayRun();
  });

  it('answers the DOT of `nectar graph --format dot`, each task with its state in the run', async () => {
    const res = await fetch(`${base}/api/runs/${runId}/graph?format=dot`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/vnd.graphviz; charset=utf-8');
    const dot = await res.text();
    // A record of the run: every box says how its task ended, and is filled by it.
    expect(dot.match(/nectar_state="DONE"/g)).toHaveLength(3);
    expect(dot).toMatch(/label="TopDayTask\\n[0-9a-f]{8}\\nDONE in \d/);
    expect(dot.replace(/\\n(DONE|FAILED|CANCELLED|UPSTREAM_FAILED)[^"]*"/g, '"').replace(/, fillcolor="[^"]*", nectar_state="[^"]*"/g, '')).toBe(cliGraph('dot'));
    expect(dot).toContain('tooltip="TopDayTask(count=500, seed=7)"');
    expect(dot.match(/ -> /g)).toHaveLength(2);
  });

  it('answers the same JSON as `nectar graph --format json`, in the envelope, json by default', async () => {
    const a = await call(`${base}/api/runs/${runId}/graph`);
    expect(a.status).toBe(200);
    expect(a.body.status).toBe(200);
    const cli = JSON.parse(cliGraph('json')) as { roots: string[]; nodes: { task: string }[] };
    expect(a.body.data).toEqual(cli);
    expect(cli.nodes.map((n) => n.task)).toEqual(['DonationsTask', 'DailyTotalsTask', 'TopDayTask']);
    expect((await call(`${base}/api/runs/${runId}/graph?format=json`)).body.data).toEqual(cli);
  });

  it('refuses other formats, unknown runs and other methods', async () => {
    const bad = await call(`${base}/api/runs/${runId}/graph?format=png`);
    expect(bad.status).toBe(400);
    expect(bad.body.error?.code).toBe('BAD_REQUEST');
    expect(bad.body.error?.details).toEqual({ param: 'format' });
    expect(bad.body.message).toContain("'format'");
    expect((await call(`${base}/api/runs/${runId}/graph?format=dot&format=json`)).status).toBe(400);
    const none = await call(`${base}/api/runs/00000000-0000-0000-0000-000000000000/graph`);
    expect(none.status).toBe(404);
    expect(none.body.error?.code).toBe('RUN_NOT_FOUND');
    expect((await call(`${base}/api/runs/nope/graph?format=dot`)).body.error?.code).toBe('RUN_NOT_FOUND');
    const post = await call(`${base}/api/runs/${runId}/graph`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.body.error?.code).toBe('METHOD_NOT_ALLOWED');
    expect(post.headers.get('allow')).toBe('GET');
  });
});
