import { type Request, type Response, Router } from 'express';
import type { DiscoveredTask } from '../../discovery/registry';
import type { RunManager } from '../../runtime/runs';
import type { Runtime } from '../../runtime/runtime';
import { catalogue } from '../catalogue';
import { methodNotAllowed } from '../errors';
import { baseUrl, fail, nameParam, send } from '../respond';
import { doneStatus } from '../status';

/** Parameters from the query string and a JSON object body; a name given in both is refused. */
function paramsOf(req: Request): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const query = req.query as Record<string, unknown>;
  for (const [k, v] of Object.entries(query)) out[k] = v;
  const body: unknown = req.body;
  if (body !== undefined && body !== null && !(typeof body === 'object' && Object.keys(body).length === 0)) {
    if (typeof body !== 'object' || Array.isArray(body)) fail('BAD_REQUEST', 'the JSON body must be an object of parameters');
    for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
      if (Object.prototype.hasOwnProperty.call(out, k)) fail('BAD_REQUEST', `parameter '${k}' is given both in the query string and in the body`, { param: k });
      out[k] = v;
    }
  }
  return out;
}

/** `GET /api/chains` and `POST /api/chains/:type[/:chain]/:task`: every discovered task is an endpoint. */
export function chainsRouter(rt: Runtime, runs: RunManager): Router {
  const r = Router();
  r.route('/chains')
    .get((_req, res) => {
      rt.rediscover();
      send(res, 200, { chains: catalogue(rt) });
    })
    .all(methodNotAllowed(['GET']));

  const start = async (req: Request, res: Response, found: DiscoveredTask): Promise<void> => {
    const sub = await runs.submit(found, paramsOf(req));
    const base = baseUrl(req);
    if (sub.complete) return send(res, 200, await doneStatus(rt, sub.task, base, null), 'already complete');
    const runId = sub.runId as string;
    send(res, 202, {
      run_id: runId,
      task_id: sub.task.id,
      job_status: runs.activeRun(runId)?.state ?? 'QUEUED',
      created: sub.created,
      status_url: `${base}/api/chainstatus?chain=${encodeURIComponent(sub.task.id)}`,
      run_url: `${base}/api/runs/${runId}`,
      expires_in: rt.store.presign ? rt.config.urlExpires : null,
    }, sub.created ? 'run started' : 'joined the run in flight');
  };

  r.route('/chains/:type/:task')
    .post(async (req, res) => start(req, res, rt.resolve(`${nameParam(req, 'type')}/${nameParam(req, 'task')}`)))
    .all(methodNotAllowed(['POST']));
  r.route('/chains/:type/:chain/:task')
    .post(async (req, res) => start(req, res, rt.resolve(`${nameParam(req, 'type')}/${nameParam(req, 'chain')}/${nameParam(req, 'task')}`)))
    .all(methodNotAllowed(['POST']));
  return r;
}
