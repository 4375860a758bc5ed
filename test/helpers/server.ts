import { join } from 'node:path';
import pino from 'pino';
import { type NectarServer, type ServerOptions, startServer } from '../../src/api/server';
import { loadConfig } from '../../src/runtime/config';
import { Runtime } from '../../src/runtime/runtime';

/** A real server on a free loopback port, over a chains folder and a temp target root and database. */
export async function startTestServer(chains: string, dir: string, env: Record<string, string> = {}, app: Omit<ServerOptions, 'port'> = {}): Promise<{ srv: NectarServer; base: string; rt: Runtime }> {
  const config = loadConfig({ NECTAR_CHAINS: chains, NECTAR_TARGETS: join(dir, 'targets'), NECTAR_DB: join(dir, 'nectar.db'), ...env });
  const rt = new Runtime({ config, logger: pino({ level: 'silent' }) });
  const srv = await startServer(rt, { ...app, port: 0, ...(config.apiToken ? { token: config.apiToken } : {}) });
  return { srv, base: `http://127.0.0.1:${srv.port}`, rt };
}

export interface Answer {
  status: number;
  body: { status: number; message: string; data: Record<string, unknown>; error?: { code: string; details?: unknown } };
  headers: Headers;
}

export async function call(url: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: Answer['body'];
  try {
    body = JSON.parse(text) as Answer['body'];
  } catch {
    body = { status: res.status, message: text, data: {} };
  }
  return { status: res.status, body, headers: res.headers };
}

/** Poll a status URL until the job is no longer pending or running. */
export async function pollDone(url: string, init: RequestInit = {}): Promise<Answer> {
  for (let i = 0; i < 500; i++) {
    const a = await call(url, init);
    const s = a.body.data?.['job_status'];
    if (s !== 'PENDING' && s !== 'RUNNING' && s !== 'QUEUED') return a;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${url} never finished`);
}
