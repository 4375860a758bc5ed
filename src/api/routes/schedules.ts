import { type Request, type Response, Router } from 'express';
import type { RunManager } from '../../runtime/runs';
import type { Runtime } from '../../runtime/runtime';
import type { ScheduleRunner, ScheduleView } from '../../runtime/schedule-runner';
import { scheduleKeyOf } from '../../runtime/schedules';
import { methodNotAllowed } from '../errors';
import { baseUrl, fail, nameParam, send } from '../respond';
import type { ScheduleList, ScheduleSummary, ScheduleTriggered } from '../wire';

const ACTIONS = ['pause', 'resume', 'trigger'] as const;
type Action = (typeof ACTIONS)[number];

/** `GET /api/schedules`, and pause, resume and trigger-now of one schedule. */
export function schedulesRouter(rt: Runtime, runs: RunManager, schedules: ScheduleRunner): Router {
  const r = Router();

  const summary = async (v: ScheduleView, base: string): Promise<ScheduleSummary> => {
    const s = v.schedule;
    const last = v.state.lastRunId === undefined ? undefined : (runs.activeRun(v.state.lastRunId) ?? (await runs.store.getRun(v.state.lastRunId)));
    const url = `${base}/api/schedules/${v.key}`;
    return {
      key: v.key,
      task: s.ref,
      name: s.name,
      cron: s.cron,
      timezone: s.timezone,
      catchup: s.catchup,
      max_catchup: s.maxCatchup,
      deadline: s.deadline ?? null,
      state: v.state.paused ? 'paused' : 'active',
      next_tick: v.next?.getTime() ?? null,
      last_tick: v.state.lastTick ?? null,
      last_run: last ? { run_id: last.id, state: last.state, url: `${base}/api/runs/${last.id}` } : null,
      actions: { pause: `${url}/pause`, resume: `${url}/resume`, trigger: `${url}/trigger` },
    };
  };

  const viewOf = async (key: string): Promise<ScheduleView> => {
    const v = (await schedules.list()).find((x) => x.key === key);
    if (!v) return fail('UNKNOWN_SCHEDULE', `no schedule ${key}`);
    return v;
  };

  r.route('/schedules')
    .get(async (req, res) => {
      const base = baseUrl(req);
      const all = await schedules.list();
      send<ScheduleList>(res, 200, { schedules: await Promise.all(all.map((v) => summary(v, base))) });
    })
    .all(methodNotAllowed(['GET']));

  /** The schedule a path names: `type/Task/name` or `type/chain/Task/name`. */
  const keyOf = (req: Request): string => {
    const chain = req.params['chain'];
    const key = scheduleKeyOf(rt, `${nameParam(req, 'type')}${chain === undefined ? '' : `/${nameParam(req, 'chain')}`}/${nameParam(req, 'task')}/${nameParam(req, 'name')}`);
    schedules.find(key);
    return key;
  };

  const act = (action: Action) => async (req: Request, res: Response): Promise<void> => {
    const key = keyOf(req);
    const base = baseUrl(req);
    if (action === 'trigger') {
      const runId = await schedules.trigger(key);
      const run = runs.activeRun(runId) ?? (await runs.store.getRun(runId));
      const view = await summary(await viewOf(key), base);
      send<ScheduleTriggered>(res, 202, { schedule: view, run_id: runId, state: run?.state ?? 'QUEUED', url: `${base}/api/runs/${runId}` }, run?.state === 'SKIPPED' ? 'skipped: the task is complete' : 'triggered');
      return;
    }
    await schedules.setPaused(key, action === 'pause');
    send<ScheduleSummary>(res, 200, await summary(await viewOf(key), base), action === 'pause' ? 'paused' : 'resumed');
  };

  for (const path of ['/schedules/:type/:task/:name/:action', '/schedules/:type/:chain/:task/:name/:action']) {
    r.route(path)
      .post(async (req, res) => {
        const action = req.params['action'];
        if (!ACTIONS.some((a) => a === action)) fail('NOT_FOUND', `no action '${String(action)}' on a schedule: expected ${ACTIONS.join(', ')}`);
        await act(action as Action)(req, res);
      })
      .all(methodNotAllowed(['POST']));
  }
  return r;
}
