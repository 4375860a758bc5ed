import type { Server } from 'node:http';
import { settlesWithin } from '../core/deadline';
import { optionsOf } from '../core/task';
import type { Clock } from '../core/clock';
import { systemClock } from '../runtime/clock';
import { startRetention } from '../runtime/retention';
import { Backfills } from '../runtime/backfills';
import { RunManager } from '../runtime/runs';
import type { ScheduleRunner } from '../runtime/schedule-runner';
import { scheduleRunner } from '../runtime/schedules';
import type { Runtime } from '../runtime/runtime';
import type { RunStore } from '../runtime/types';
import { type AppOptions, createApp } from './app';
import { Metrics } from './metrics';

/** A running server: its HTTP server, its runs, and how to stop it cleanly. */
export interface NectarServer {
  readonly server: Server;
  readonly runs: RunManager;
  /** Fires the chains' schedules (started with the server). */
  readonly schedules: ScheduleRunner;
  /** Backfills started here, or carried on after a restart. */
  readonly backfills: Backfills;
  readonly port: number;
  /**
   * Stop: HTTP first, then runs in flight (cancelled and recorded with one server; left for
   * adoption in distributed mode), then the stores. Steps that need Redis or S3 are bounded:
   * with them down, the whole stop takes at most `graceMs` (default 10 s) plus a few seconds.
   */
  close(graceMs?: number): Promise<void>;
}

/**
 * `nectar serve`: open the run store (marking runs a stopped server left in flight), build the
 * app over the runtime, and listen on loopback (or `host`).
 */
export interface ServerOptions extends AppOptions {
  port: number;
  host?: string;
  store?: RunStore;
  /** The clock schedules fire by (default: the system's). */
  clock?: Clock;
  /** Fire schedules (default true). */
  schedules?: boolean;
}

export async function startServer(rt: Runtime, o: ServerOptions): Promise<NectarServer> {
  const store = o.store ?? rt.openRunStore();
  const runs = new RunManager(rt, store);
  await runs.recover();
  const schedules = scheduleRunner(rt, runs, o.clock);
  const backfills = new Backfills(rt, runs);
  await backfills.recover();
  const queues = (): string[] => ['default', ...rt.registry.tasks.map((t) => optionsOf(t.cls).queue)];
  const metrics = new Metrics(rt.events, () => runs.activeCount, rt.config.redisUrl ? () => rt.distributed().counts(queues()) : undefined);
  const app = createApp(rt, { runs, schedules, backfills, metrics }, o);
  const server = await new Promise<Server>((res, rej) => {
    const s = app.listen(o.port, o.host ?? '127.0.0.1', (err?: Error) => (err ? rej(err) : res(s)));
    s.once('error', rej);
  });
  const housekeeping = rt.startHousekeeping();
  const retention = rt.config.runRetention > 0 ? startRetention({ store, maxAgeMs: rt.config.runRetention, clock: o.clock ?? systemClock, logger: rt.logger }) : undefined;
  if (o.schedules !== false) await schedules.start();
  const addr = server.address();
  return {
    server,
    runs,
    schedules,
    backfills,
    port: typeof addr === 'object' && addr ? addr.port : o.port,
    async close(graceMs = 10_000) {
      await new Promise<void>((res) => {
        server.close(() => res());
        server.closeAllConnections();
      });
      await settlesWithin(schedules.stop(), 2000);
      await settlesWithin(backfills.close(), graceMs);
      await settlesWithin(runs.close(), graceMs);
      await housekeeping?.stop();
      await retention?.stop();
      metrics.close();
      await settlesWithin(rt.close(), 2000);
      await settlesWithin(store.close(), 3000);
    },
  };
}
