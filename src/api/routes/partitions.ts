import { type Request, Router } from 'express';
import type { RunManager } from '../../runtime/runs';
import { PARTITION_STATES, partitionStates, type PartitionState } from '../../runtime/partitions';
import type { Runtime } from '../../runtime/runtime';
import { methodNotAllowed } from '../errors';
import { fail, nameParam, send } from '../respond';
import type { PartitionsAnswer } from '../wire';

/** Query keys of the range given once as text; with `values`, every other key is a fixed parameter of the task. */
const SINGLE_KEYS = ['from', 'to', 'step', 'over'];
const RANGE_KEYS = [...SINGLE_KEYS, 'values'];

function text(req: Request, key: string): string | undefined {
  const v = req.query[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') fail('BAD_REQUEST', `'${key}' must be given once, as text`, { param: key });
  return v;
}

/** `GET /api/partitions/<type>[/<chain>]/<Task>?from=&to=[&step=][&over=][&values=a,b][&<param>=...]`. */
export function partitionsRouter(rt: Runtime, runs: RunManager): Router {
  const r = Router();
  const answer = async (req: Request): Promise<PartitionsAnswer> => {
    const chain = req.params['chain'];
    const task = `${nameParam(req, 'type')}${chain === undefined ? '' : `/${nameParam(req, 'chain')}`}/${nameParam(req, 'task')}`;
    const params: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(req.query)) if (!RANGE_KEYS.includes(k)) params[k] = v;
    const values = text(req, 'values');
    const q = { task, params, ...Object.fromEntries(SINGLE_KEYS.map((k) => [k, text(req, k)]).filter(([, v]) => v !== undefined)) };
    const p = await partitionStates(rt, runs.store, values === undefined ? q : { ...q, values: values.split(',').filter(Boolean) });
    const counts = Object.fromEntries(PARTITION_STATES.map((s) => [s, 0])) as Record<PartitionState, number>;
    for (const c of p.cells) counts[c.state] += 1;
    return {
      task: p.ref,
      over: p.over,
      range: p.range,
      params: p.params,
      counts,
      partitions: p.cells.map((c) => ({ value: c.value, state: c.state, task_id: c.taskId, run_id: c.runId ?? null, deadline_missed: c.deadlineMissed })),
    };
  };
  for (const path of ['/partitions/:type/:task', '/partitions/:type/:chain/:task']) {
    r.route(path)
      .get(async (req, res) => send<PartitionsAnswer>(res, 200, await answer(req)))
      .all(methodNotAllowed(['GET']));
  }
  return r;
}
