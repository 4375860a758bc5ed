import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NectarServer } from '../../src/api/server';
import { call, startTestServer } from '../helpers/server';
import { rmDir, tempDir, writeChains } from '../helpers/runtime';

const CHAIN = `
import { task } from 'nectar';
export class NoopTask extends task({}) { run() {} }
`;
const INDEX = '<!doctype html><title>nectar</title><script type="module" src="./assets/x.js"></script>\n';
const TOKEN = 'sesame';

let dir: string;
let chains: string;
let dist: string;
const servers: NectarServer[] = [];
beforeAll(() => {
  dir = tempDir();
  chains = writeChains(dir, { 'ui/noop_chain.ts': CHAIN });
  dist = join(dir, 'dist');
  mkdirSync(join(dist, 'assets'), { recursive: true });
  mkdirSync(join(dist, 'api'), { recursive: true });
  writeFileSync(join(dist, 'index.html'), INDEX);
  writeFileSync(join(dist, 'assets', 'x.js'), 'console.log("x");\n');
  writeFileSync(join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>\n');
  writeFileSync(join(dist, 'api', 'chains'), 'not the API');
});
afterAll(async () => {
  for (const s of servers) await s.close();
  rmDir(dir);
});

async function server(name: string, webDist: string, env: Record<string, string> = {}): Promise<string> {
  const { srv, base } = await startTestServer(chains, join(dir, name), env, { webDist });
  servers.push(srv);
  return base;
}

describe('the built UI at /', () => {
  it('serves index.html (no-cache) and hashed assets (immutable), leaving /api as it was', async () => {
    const base = await server('built', dist);
    for (const path of ['/', '/index.html']) {
      const res = await fetch(`${base}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(await res.text()).toBe(INDEX);
    }
    const js = await fetch(`${base}/assets/x.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await js.text()).toBe('console.log("x");\n');
    expect((await fetch(`${base}/favicon.svg`)).headers.get('cache-control')).not.toMatch(/immutable|no-cache/);

    const api = await call(`${base}/api/chains`);
    expect(api.status).toBe(200);
    expect(api.headers.get('content-type')).toMatch(/^application\/json/);
    expect((api.body.data['chains'] as { ref: string }[]).map((c) => c.ref)).toEqual(['ui/noop_chain/NoopTask']);
    for (const path of ['/api/nothing', '/api', '/assets/missing.js', '/nope.html']) {
      const a = await call(`${base}${path}`);
      expect([path, a.status, a.body.error?.code]).toEqual([path, 404, 'NOT_FOUND']);
    }
    expect((await call(`${base}/healthz`)).body.message).toBe('ok');
  });

  it('answers 503 with how to build it when there is no build', async () => {
    const base = await server('unbuilt', join(dir, 'no-such-dist'));
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const page = await res.text();
    expect(page).toContain('not built');
    expect(page).toContain('npm run build');
    expect((await call(`${base}/api/chains`)).status).toBe(200);
  });

  it('needs no token for the UI while /api still does', async () => {
    const base = await server('token', dist, { NECTAR_API_TOKEN: TOKEN });
    const ui = await fetch(`${base}/`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toBe(INDEX);
    expect((await fetch(`${base}/assets/x.js`)).status).toBe(200);
    const refused = await call(`${base}/api/chains`);
    expect(refused.status).toBe(401);
    expect(refused.body.error?.code).toBe('UNAUTHORIZED');
    expect((await call(`${base}/api/nothing`)).status).toBe(401);
    expect((await call(`${base}/api/chains`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
  });
});
