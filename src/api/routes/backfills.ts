import { type Request, Router } from 'express';
import type { BackfillRequest } from '../../runtime/backfill-request';
import { type BackfillDetail, type Backfills } from '../../runtime/backfills';
import { methodNotAllowed } from '../errors';
import { baseUrl, fail, send } from '../respond';
import type { BackfillDetailJson, BackfillPage, BackfillSummary } from '../wire';

const ID = /^[0-9a-f-]{36}$/;

function summary(d: BackfillDetail, base: string): BackfillSummary {
  const b = d.row;
  return {
    backfill_id: b.id, task: b.ref, over: b.over, range: b.range, params: b.params, concurrency: b.concurrency, state: b.state,
    created_at: b.createdAt, ended_at: b.endedAt ?? null, partitions: b.values.length, progress: d.progress, url: `${base}/api/backfills/${b.id}`,
  };
}

const str = (v: unknown, key: string): string | undefined => {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') fail('BAD_REQUEST', `'${key}' must be a string, got ${JSON.stringify(v)}`, { param: key });
  return v;
};

/** The body of `POST /api/backfills`, checked for shape (the values themselves are the runtime's to check). */
function requestOf(req: Request): BackfillRequest {
  const body: unknown = req.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return fail('BAD_REQUEST', 'the body must be a JSON object: {"task": "type/Task", "from": "2012-01-01", "to": "2012-12-31"}');
  const o = body as Record<string, unknown>;
  const known = ['task', 'from', 'to', 'step', 'values', 'over', 'params', 'concurrency'];
  const extra = Object.keys(o).filter((k) => !known.includes(k));
  if (extra.length > 0) fail('BAD_REQUEST', `unknown field${extra.length > 1 ? 's' : ''} ${extra.map((k) => `'${k}'`).join(', ')} (expected ${known.join(', ')})`, { param: extra[0] });
  const task = str(o['task'], 'task');
  if (task === undefined) fail('BAD_REQUEST', "'task' is required: type/Task", { param: 'task' });
  if (o['values'] !== undefined && !(Array.isArray(o['values']) && o['values'].every((v) => typeof v === 'string'))) fail('BAD_REQUEST', "'values' must be an array of strings", { param: 'values' });
  const params = o['params'];
  if (params !== undefined && (typeof params !== 'object' || params === null || Array.isArray(params))) fail('BAD_REQUEST', "'params' must be an object of parameters", { param: 'params' });
  const concurrency = o['concurrency'];
  if (concurrency !== undefined && typeof concurrency !== 'number') fail('BAD_REQUEST', "'concurrency' must be a number", { param: 'concurrency' });
  const r: { -readonly [K in keyof BackfillRequest]: BackfillRequest[K] } = { task };
  for (const k of ['from', 'to', 'step', 'over'] as const) {
    const v = str(o[k], k);
    if (v !== undefined) r[k] = v;
  }
  if (o['values'] !== undefined) r.values = o['values'] as string[];
  if (params !== undefined) r.params = params as Record<string, unknown>;
  if (concurrency !== undefined) r.concurrency = concurrency as number;
  return r;
}

/** `POST /api/backfills`, `GET /api/backfills[/:id]`, cancel and resume. */
export function backfillsRouter(backfills: Backfills): Router {
  const r = Router();
  const idOf = (req: Request): string => {
    const id = req.params['id'] as string;
    if (!ID.test(id)) fail('BACKFILL_NOT_FOUND', `no backfill ${id}`);
    return id;
  };
  const intQ = (req: Request, key: string, def: number, max: number): number => {
    const raw = req.query[key];
    if (raw === undefined) return def;
    const n = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!(n >= 0 && n <= max)) fail('BAD_REQUEST', `'${key}' must be a whole number from 0 to ${max}, got ${JSON.stringify(raw)}`, { param: key });
    return n;
  };

  r.route('/backfills')
    .get(async (req, res) => {
      const limit = Math.max(1, intQ(req, 'limit', 50, 500));
      const offset = intQ(req, 'offset', 0, Number.MAX_SAFE_INTEGER);
      const page = await backfills.list({ limit, offset });
      const base = baseUrl(req);
      send<BackfillPage>(res, 200, { backfills: page.backfills.map((d) => summary(d, base)), total: page.total, limit, offset });
    })
    .post(async (req, res) => {
      const row = await backfills.start(requestOf(req));
      const base = baseUrl(req);
      res.setHeader('Location', `${base}/api/backfills/${row.id}`);
      send<BackfillSummary>(res, 202, summary(await backfills.get(row.id), base), 'started');
    })
    .all(methodNotAllowed(['GET', 'POST']));

  r.route('/backfills/:id')
    .get(async (req, res) => {
      const d = await backfills.get(idOf(req));
      const base = baseUrl(req);
      const parts = d.parts.map((p) => ({ value: p.value, state: p.state, run_id: p.runId ?? null, url: p.runId ? `${base}/api/runs/${p.runId}` : null }));
      send<BackfillDetailJson>(res, 200, { ...summary(d, base), parts });
    })
    .all(methodNotAllowed(['GET']));

  r.route('/backfills/:id/cancel')
    .post(async (req, res) => send<BackfillSummary>(res, 200, summary(await backfills.cancel(idOf(req)), baseUrl(req)), 'cancelled'))
    .all(methodNotAllowed(['POST']));
  r.route('/backfills/:id/resume')
    .post(async (req, res) => send<BackfillSummary>(res, 202, summary(await backfills.resume(idOf(req)), baseUrl(req)), 'resumed'))
    .all(methodNotAllowed(['POST']));
  return r;
}
