import { type Request, type Response, Router } from 'express';
import type { NectarEventMap, NectarEventName } from '../../core/events';
import { graphDot, runGraph, runStates } from '../../runtime/run-graph';
import { cancelAndSettle, findRun, listRuns } from '../../runtime/run-queries';
import type { RunManager } from '../../runtime/runs';
import type { Runtime } from '../../runtime/runtime';
import type { RunRow, TaskRow } from '../../runtime/types';
import { methodNotAllowed } from '../errors';
import { baseUrl, fail, send } from '../respond';
import { runQuery } from '../run-filters';
import { nodeJson, runJson } from '../run-json';
import type { Graph, RetryAnswer, RunDetail, RunEvents, RunPage, RunSummary } from '../wire';

const RUN_ID = /^[0-9a-f-]{36}$/;

/** Run history, one run's DAG (also as DOT), live events, cancel and retry. */
export function runsRouter(rt: Runtime, runs: RunManager): Router {
  const r = Router();

  const load = async (req: Request): Promise<{ run: RunRow; tasks: TaskRow[] }> => {
    const id = req.params['id'] as string;
    if (!RUN_ID.test(id)) fail('RUN_NOT_FOUND', `no run ${id}`);
    const found = await findRun(runs, id);
    if (!found) fail('RUN_NOT_FOUND', `no run ${id}`);
    return found;
  };

  r.route('/runs')
    .get(async (req, res) => {
      const q = runQuery(req);
      const { limit, offset } = q;
      const { runs: rows, total } = await listRuns(runs, q);
      const base = baseUrl(req);
      send<RunPage>(res, 200, { runs: rows.map((x) => runJson(x, base)), total, limit, offset });
    })
    .all(methodNotAllowed(['GET']));

  r.route('/runs/:id')
    .get(async (req, res) => {
      const { run, tasks } = await load(req);
      const edges = tasks.flatMap((t) => t.deps.map((d) => ({ from: d, to: t.taskId })));
      send<RunDetail>(res, 200, { ...runJson(run, baseUrl(req)), nodes: tasks.map(nodeJson), edges });
    })
    .all(methodNotAllowed(['GET']));

  r.route('/runs/:id/graph')
    .get(async (req, res) => {
      const format = req.query['format'] ?? 'json';
      if (format !== 'json' && format !== 'dot') fail('BAD_REQUEST', `'format' must be json or dot, got ${JSON.stringify(format)}`, { param: 'format' });
      const { run, tasks } = await load(req);
      const graph = runGraph(run, tasks);
      if (format === 'dot') res.type('text/vnd.graphviz; charset=utf-8').send(graphDot(graph, runStates(tasks)));
      else send<Graph>(res, 200, graph);
    })
    .all(methodNotAllowed(['GET']));

  r.route('/runs/:id/events')
    .get(async (req, res) => {
      const { run, tasks } = await load(req);
      streamEvents(rt, runs, run, tasks, req, res);
    })
    .all(methodNotAllowed(['GET']));

  r.route('/runs/:id/cancel')
    .post(async (req, res) => {
      const { run } = await load(req);
      const after = await cancelAndSettle(runs, run);
      send<RunSummary>(res, 200, runJson(after, baseUrl(req)), 'cancelled');
    })
    .all(methodNotAllowed(['POST']));

  r.route('/runs/:id/retry')
    .post(async (req, res) => {
      const { run } = await load(req);
      const sub = await runs.retry(run.id);
      const base = baseUrl(req);
      if (sub.complete) return send<RetryAnswer>(res, 200, { task_id: sub.task.id, job_status: 'DONE', run_id: null }, 'already complete: nothing to retry');
      send<RetryAnswer>(res, 202, { run_id: sub.runId as string, retry_of: run.id, task_id: sub.task.id, status_url: `${base}/api/chainstatus?chain=${encodeURIComponent(sub.task.id)}`, run_url: `${base}/api/runs/${sub.runId}` }, 'retry started');
    })
    .all(methodNotAllowed(['POST']));
  return r;
}

/**
 * The run events a stream passes on as they are. An event whose payload no longer fits its
 * wire type (RunEvents) drops out of this type, and the list of those forwarded stops compiling.
 */
type Forwarded = { [K in keyof RunEvents & NectarEventName]: NectarEventMap[K] extends RunEvents[K] ? K : never }[keyof RunEvents & NectarEventName];

/** Server-sent events: a snapshot first, then every change of this run as it happens, until it ends. */
function streamEvents(rt: Runtime, runs: RunManager, run: RunRow, tasks: TaskRow[], req: Request, res: Response): void {
  res.status(200).set({ 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
  res.flushHeaders();
  const write = <K extends keyof RunEvents>(event: K, data: RunEvents[K]): void => {
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  write('snapshot', { ...runJson(run, baseUrl(req)), nodes: tasks.map(nodeJson) });
  if (!runs.isActive(run.id)) {
    write('end', { run_id: run.id, state: run.state });
    res.end();
    return;
  }
  const names: Forwarded[] = ['task:added', 'task:state', 'task:retry', 'task:log'];
  const offs = names.map((name) =>
    rt.events.on(name, (e) => {
      if (e.runId === run.id) write(name, e);
    }),
  );
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
  const stop = (): void => {
    for (const off of offs) off();
    offEnd();
    clearInterval(heartbeat);
  };
  const offEnd = rt.events.on('run:end', (e) => {
    if (e.runId !== run.id) return;
    write('run:end', e);
    stop();
    res.end();
  });
  req.on('close', stop);
}
