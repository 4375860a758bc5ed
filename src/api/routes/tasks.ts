import { Router } from 'express';
import { invalidate, planInvalidation, refuseInFlight } from '../../runtime/invalidate';
import { type LineageNeighbour, lineageView } from '../../runtime/lineage-view';
import type { RunManager } from '../../runtime/runs';
import type { Runtime } from '../../runtime/runtime';
import { methodNotAllowed } from '../errors';
import { TASK_HISTORY_MAX, taskHistory } from '../../runtime/run-queries';
import { TASK_ID, baseUrl, fail, intQuery, nameParam, send } from '../respond';
import { taskRunJson } from '../run-json';
import type { InvalidateAnswer, LineageAnswer, LineageNeighbourJson, TaskRunsAnswer } from '../wire';

/** A yes/no query flag: absent, `true` or `false`; anything else is refused, naming it. */
function flag(v: unknown, name: string): boolean {
  if (v === undefined) return false;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  return fail('BAD_REQUEST', `'${name}' must be true or false, got ${JSON.stringify(v)}`, { param: name });
}

/** `POST /api/tasks/<id>/invalidate[?downstream=true][&dry_run=true]`, `GET /api/tasks/<id>/lineage` and `GET /api/tasks/<id>/runs[?limit=20]`. */
export function tasksRouter(rt: Runtime, runs: RunManager): Router {
  const r = Router();
  r.route('/tasks/:type/:chain/:task/:hash/invalidate')
    .post(async (req, res) => {
      const id = ['type', 'chain', 'task', 'hash'].map((k) => nameParam(req, k)).join('/');
      if (!TASK_ID.test(id)) fail('BAD_REQUEST', `not a task id: ${id}`);
      const downstream = flag(req.query['downstream'], 'downstream');
      const dryRun = flag(req.query['dry_run'], 'dry_run');
      const plan = await planInvalidation(rt.store, [id], downstream);
      refuseInFlight(plan, runs.inFlightTasks());
      const removed = dryRun ? 0 : await invalidate(rt.store, plan);
      const tasks = plan.map((t) => ({ task_id: t.id, because: t.because, keys: [...t.keys] }));
      const files = tasks.reduce((n, t) => n + t.keys.length, 0);
      send<InvalidateAnswer>(res, 200, { dry_run: dryRun, removed, tasks }, dryRun ? `would remove ${files} files of ${tasks.length} tasks` : `removed ${removed} files of ${tasks.length} tasks`);
    })
    .all(methodNotAllowed(['POST']));
  r.route('/tasks/:type/:chain/:task/:hash/runs')
    .get(async (req, res) => {
      const id = ['type', 'chain', 'task', 'hash'].map((k) => nameParam(req, k)).join('/');
      if (!TASK_ID.test(id)) fail('BAD_REQUEST', `not a task id: ${id}`);
      const limit = intQuery(req, 'limit', 20, 1, TASK_HISTORY_MAX);
      const history = await taskHistory(runs, id, limit);
      const base = baseUrl(req);
      // A task that never ran has an empty history, not a 404: the id is well formed.
      send<TaskRunsAnswer>(res, 200, { task_id: id, runs: history.map((x) => taskRunJson(x, base)) });
    })
    .all(methodNotAllowed(['GET']));
  r.route('/tasks/:type/:chain/:task/:hash/lineage')
    .get(async (req, res) => {
      const id = ['type', 'chain', 'task', 'hash'].map((k) => nameParam(req, k)).join('/');
      if (!TASK_ID.test(id)) fail('BAD_REQUEST', `not a task id: ${id}`);
      const v = await lineageView(rt.store, rt.freshness(), id);
      const near = (n: LineageNeighbour): LineageNeighbourJson => ({ task_id: n.id, built_at: n.builtAt, present: n.present, ...(n.stale ? { stale: n.stale } : {}) });
      send<LineageAnswer>(res, 200, {
        task_id: id,
        lineage: v.lineage ? { ...v.lineage } : null,
        ...(v.stale ? { stale: v.stale } : {}),
        built_from: v.builtFrom.map(near),
        built_into: v.builtInto.map(near),
      });
    })
    .all(methodNotAllowed(['GET']));
  return r;
}
