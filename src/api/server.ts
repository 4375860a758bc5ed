import type { Server } from 'node:http';
import { optionsOf } from '../core/task';
import { RunManager } from '../runtime/runs';
import type { Runtime } from '../runtime/runtime';
import { RedisRunStore } from '../store/redis';
import { SqliteRunStore } from '../store/sqlite';
import type { RunStore } from '../store/types';
import { type AppOptions, createApp } from './app';
import { Metrics } from './metrics';

/** A running server: its HTTP server, its runs, and how to stop it cleanly. */
export interface NectarServer {
  readonly server: Server;
  readonly runs: RunManager;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * `nectar serve`: open the run store (marking runs a stopped server left in flight), build the
 * app over the runtime, and listen on loopback (or `host`).
 */
export async function startServer(rt: Runtime, o: AppOptions & { port: number; host?: string; store?: RunStore }): Promise<NectarServer> {
  const store = o.store ?? (rt.config.redisUrl ? new RedisRunStore(rt.config.redisUrl, rt.config.queuePrefix) : new SqliteRunStore(rt.config.db));
  const runs = new RunManager(rt, store);
  await runs.recover();
  const queues = (): string[] => ['default', ...rt.registry.tasks.map((t) => optionsOf(t.cls).queue)];
  const metrics = new Metrics(rt.events, () => runs.activeCount, rt.config.redisUrl ? () => rt.distributed().counts(queues()) : undefined);
  const app = createApp(rt, runs, metrics, o);
  const server = await new Promise<Server>((res, rej) => {
    const s = app.listen(o.port, o.host ?? '127.0.0.1', (err?: Error) => (err ? rej(err) : res(s)));
    s.once('error', rej);
  });
  const addr = server.address();
  return {
    server,
    runs,
    port: typeof addr === 'object' && addr ? addr.port : o.port,
    async close() {
      await new Promise<void>((res) => {
        server.close(() => res());
        server.closeAllConnections();
      });
      await runs.close();
      metrics.close();
      await rt.close();
      await store.close();
    },
  };
}
