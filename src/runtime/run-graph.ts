import type { AnyTask } from '../core/task';
import { type DotState, type TaskGraph, dagGraph, taskGraph } from '../dag/render';
import type { RunRow, TaskRow } from '../store/types';
import type { Runtime } from './runtime';

/** The DAG of a recorded run, from its task rows (dynamic requirements included): `GET /api/runs/:id/graph`. */
export function runGraph(run: RunRow, tasks: readonly TaskRow[]): TaskGraph {
  return taskGraph([run.rootTaskId], tasks.map((t) => ({ id: t.taskId, task: t.name, params: t.params, deps: t.deps })));
}

/** The whole DAG under a root task, completeness not looked at: `nectar graph`. */
export async function rootGraph(rt: Runtime, root: AnyTask): Promise<TaskGraph> {
  return dagGraph(await rt.graph(root));
}

/** A graph as Graphviz DOT. */
export { toDot as graphDot } from '../dag/render';

/** Each task's state in a recorded run, for its DOT picture. */
export function runStates(tasks: readonly TaskRow[]): Map<string, DotState> {
  return new Map(tasks.map((t) => [t.taskId, { state: t.state, skipped: t.skipped, ...(t.startedAt !== undefined && t.endedAt !== undefined ? { durationMs: t.endedAt - t.startedAt } : {}) }]));
}
