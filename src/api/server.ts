import { type Server, createServer } from 'node:http';
import type { Runtime } from '../runtime/runtime';
import { catalogue } from './catalogue';

/**
 * The HTTP face, minimal for now: `/healthz` and `GET /api/chains`. The full REST API
 * (runs, status polling, SSE) is the next piece of work.
 */
export function startServer(rt: Runtime, port: number, host = '127.0.0.1'): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && url.pathname === '/healthz') return send(200, { status: 200, message: 'ok', data: { chains: rt.registry.tasks.length } });
    if (req.method === 'GET' && url.pathname === '/api/chains') return send(200, { status: 200, message: 'success', data: { chains: catalogue(rt) } });
    return send(404, { status: 404, message: `no route ${req.method} ${url.pathname}`, error: { code: 'NOT_FOUND' } });
  });
  return new Promise((res, rej) => {
    server.once('error', rej);
    server.listen(port, host, () => res(server));
  });
}
