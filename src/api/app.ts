import express, { type Express } from 'express';
import type { RunManager } from '../runtime/runs';
import type { Backfills } from '../runtime/backfills';
import type { ScheduleRunner } from '../runtime/schedule-runner';
import type { Runtime } from '../runtime/runtime';
import { bearerAuth } from './auth';
import { errorHandler, methodNotAllowed, notFound } from './errors';
import type { Metrics } from './metrics';
import { openApi } from './openapi';
import { send } from './respond';
import { chainsRouter } from './routes/chains';
import { backfillsRouter } from './routes/backfills';
import { partitionsRouter } from './routes/partitions';
import { runsRouter } from './routes/runs';
import { schedulesRouter } from './routes/schedules';
import { statusRouter } from './routes/status';
import { tasksRouter } from './routes/tasks';
import { webUi } from './web';
import type { Health } from './wire';

export interface AppOptions {
  /** Set: every /api route needs `Authorization: Bearer <token>`. */
  token?: string;
  /** Largest JSON body accepted (default 100 kB). */
  bodyLimit?: string;
  /** Log each request (default true). */
  requestLog?: boolean;
  /** The built UI served at `/` (default: web/dist of this repository). */
  webDist?: string;
}

/** What a server runs beside the app, which the routes answer about. */
export interface ServerParts {
  readonly runs: RunManager;
  readonly schedules: ScheduleRunner;
  readonly backfills: Backfills;
  readonly metrics: Metrics;
}

/** The Express app of a runtime: built from it, holding no global state. */
export function createApp(rt: Runtime, { runs, schedules, backfills, metrics }: ServerParts, o: AppOptions = {}): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // One 'finish' listener does both the latency metric and the request log line. (pino-http
  // builds a child logger per request even when the line is not written: measured at a third
  // of the throughput of a cheap route.)
  const log = o.requestLog !== false;
  app.use((req, res, next) => {
    const t0 = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const route = (req.route as { path?: string } | undefined)?.path;
      const status = res.statusCode;
      metrics.http.observe({ method: req.method, route: route === undefined ? 'unmatched' : `${req.baseUrl}${route}`, status: String(status) }, seconds);
      if (!log) return;
      const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
      if (rt.logger.isLevelEnabled(level)) rt.logger[level]({ req: { method: req.method, url: req.originalUrl, remote: req.socket.remoteAddress }, res: { status }, ms: Math.round(seconds * 1e6) / 1e3 }, 'request');
    });
    next();
  });

  app.route('/healthz')
    .get((_req, res) => send<Health>(res, 200, { tasks: rt.registry.tasks.length, targets: rt.store.kind }, 'ok'))
    .all(methodNotAllowed(['GET']));
  app.route('/openapi.json')
    .get((_req, res) => {
      res.json(openApi(rt));
    })
    .all(methodNotAllowed(['GET']));
  app.route('/metrics')
    .get(async (_req, res) => {
      res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    })
    .all(methodNotAllowed(['GET']));

  const api = express.Router();
  if (o.token) api.use(bearerAuth(o.token));
  api.use(express.json({ limit: o.bodyLimit ?? '100kb', strict: false, type: ['application/json', 'application/*+json'] }));
  api.use(chainsRouter(rt, runs));
  api.use(statusRouter(rt, runs));
  api.use(tasksRouter(rt, runs));
  api.use(runsRouter(rt, runs));
  api.use(schedulesRouter(rt, runs, schedules));
  api.use(backfillsRouter(backfills));
  api.use(partitionsRouter(rt, runs));
  app.use('/api', api);
  app.use(webUi(o.webDist));
  app.use(notFound);
  app.use(errorHandler(rt.logger));
  return app;
}
