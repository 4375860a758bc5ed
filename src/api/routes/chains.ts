import { type Request, type Response, Router } from 'express';
import { STALE_POLICIES, type StalePolicy } from '../../core/options';
import type { RunManager } from '../../runtime/runs';
import type { Runtime } from '../../runtime/runtime';
import { doneStatus, endedStatus, linkExpiry } from '../../runtime/task-status';
import type { DiscoveredTask } from '../../runtime/types';
import { catalogue } from '../catalogue';
import { methodNotAllowed } from '../errors';
import { baseUrl, fail, nameParam, send } from '../respond';
import { inlineOutputs, preferWait } from '../inline';
import type { Catalogue, InlineOutputs, RunStarted, TaskAnswer, TaskStatus } from '../wire';

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

/**
 * How long the caller will wait for an inline answer, in seconds: `Prefer: wait=N` (RFC 7240)
 * or `?wait=N` (taken out of the parameters, unless the task has a parameter of that name:
 * then only the header says it), capped by NECTAR_MAX_WAIT. Undefined: answer at once.
 */
function waitOf(req: Request, found: DiscoveredTask, params: Record<string, unknown>, max: number): number | undefined {
  let wait = preferWait(req.get('prefer'));
  const raw = takeOption(found, params, 'wait');
  if (raw !== undefined) {
    if (typeof raw !== 'string' || !/^\d+$/.test(raw)) fail('BAD_REQUEST', `'wait' must be a whole number of seconds, got ${JSON.stringify(raw)}`, { param: 'wait' });
    wait ??= Number(raw);
  }
  return wait === undefined ? undefined : Math.min(wait, max);
}

/** A run option given among the parameters (`?wait`, `?stale`), taken out of them; left alone when the task has a parameter of that name. */
function takeOption(found: DiscoveredTask, params: Record<string, unknown>, name: string): unknown {
  if (Object.prototype.hasOwnProperty.call(found.cls.paramSchema, name)) return undefined;
  const raw = params[name];
  delete params[name];
  return raw;
}

/**
 * The run's stale policy: `?stale=rebuild|keep|fail` (taken out of the parameters, unless the
 * task has a parameter of that name). Undefined: the default (`rebuild`).
 */
function staleOf(found: DiscoveredTask, params: Record<string, unknown>): StalePolicy | undefined {
  const raw = takeOption(found, params, 'stale');
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !(STALE_POLICIES as readonly string[]).includes(raw)) {
    fail('BAD_REQUEST', `'stale' must be one of ${STALE_POLICIES.join(', ')}, got ${JSON.stringify(raw)}`, { param: 'stale' });
  }
  return raw as StalePolicy;
}

/** Resolves true when `p` settles within `ms`, false on timeout or when the client goes away first. */
function within(p: Promise<unknown>, ms: number, req: Request): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    const gone = (): void => resolve(false);
    req.once('close', gone);
    p.then(() => resolve(true), () => resolve(true)).finally(() => {
      clearTimeout(timer);
      req.off('close', gone);
    });
  });
}

/** `GET /api/chains` and `POST /api/chains/:type[/:chain]/:task`: every discovered task is an endpoint. */
export function chainsRouter(rt: Runtime, runs: RunManager): Router {
  const r = Router();
  r.route('/chains')
    .get((_req, res) => {
      rt.rediscover();
      send<Catalogue>(res, 200, { chains: catalogue(rt) });
    })
    .all(methodNotAllowed(['GET']));

  const start = async (req: Request, res: Response, found: DiscoveredTask): Promise<void> => {
    const params = paramsOf(req);
    const wait = waitOf(req, found, params, rt.config.maxWait);
    const stale = staleOf(found, params);
    const sub = await runs.submit(found, params, stale ? { stale } : {});
    const base = baseUrl(req);
    if (wait !== undefined) res.set('Preference-Applied', `wait=${wait}`);
    const inline = async (): Promise<InlineOutputs | Record<never, never>> => (wait === undefined ? {} : inlineOutputs(sub.task, rt.store, rt.config.inlineMaxBytes));
    if (sub.complete) return send<TaskAnswer>(res, 200, { ...(await doneStatus(rt, sub.task, base, null)), ...(await inline()) }, 'already complete');
    const runId = sub.runId as string;
    if (wait && (await within(runs.settled(runId), wait * 1000, req))) {
      const ended = await endedStatus(rt, runs, sub.task, runId, base);
      if (ended?.run === 'SUCCEEDED') return send<TaskAnswer>(res, 200, { ...ended.status, ...(await inline()) }, 'done');
      if (ended) return send<TaskStatus>(res, 200, ended.status, `run ${ended.run.toLowerCase()}`);
    }
    send<RunStarted>(res, 202, {
      run_id: runId,
      task_id: sub.task.id,
      job_status: runs.activeRun(runId)?.state ?? 'QUEUED',
      created: sub.created,
      status_url: `${base}/api/chainstatus?chain=${encodeURIComponent(sub.task.id)}`,
      run_url: `${base}/api/runs/${runId}`,
      expires_in: linkExpiry(rt),
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
