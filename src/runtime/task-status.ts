import { checkComplete, outputKeys, taskFolder } from '../core/binding';
import type { SerializedError } from '../core/errors';
import type { RunState, TaskState } from '../core/states';
import type { TaskStatus } from '../core/task-status';
import type { AnyTask } from '../core/task';
import type { RunManager } from './runs';
import type { Runtime } from './runtime';

export type { TaskStatus } from '../core/task-status';

/** What a task status may carry besides its id, state and run. */
export interface TaskStatusExtras {
  /** Download links of the outputs (DONE only). */
  resources?: string[];
  expiresIn?: number | null;
  /** Left out of the status when undefined. */
  error?: SerializedError | null;
}

/** The one builder of the task-status shape. */
export function taskStatus(taskId: string, state: TaskState, runId: string | null, o: TaskStatusExtras = {}): TaskStatus {
  const resources = o.resources ?? [];
  const s: TaskStatus = { task_id: taskId, job_status: state, run_id: runId, resource_url: resources[0] ?? null, resources, expires_in: o.expiresIn ?? null };
  if (o.error !== undefined) s.error = o.error;
  return s;
}

/**
 * `expires_in`: seconds the download links this server hands out stay valid (presigned S3
 * URLs, NECTAR_URL_EXPIRES), null for local links, which do not expire. Every answer of
 * `POST /api/chains/...` and every DONE status carries it.
 */
export function linkExpiry(rt: Runtime): number | null {
  return rt.store.presign ? rt.config.urlExpires : null;
}

/**
 * Download links of a complete task's outputs: presigned GET URLs valid `expires` seconds on
 * S3 (as datanectar returns), links served by this server for local targets (no expiry).
 */
export async function doneStatus(rt: Runtime, task: AnyTask, base: string, runId: string | null): Promise<TaskStatus> {
  const store = rt.store;
  const keys = outputKeys(task);
  const expires = rt.config.urlExpires;
  const resources = store.presign
    ? await Promise.all(keys.map((k) => (store.presign as NonNullable<typeof store.presign>)(k, expires)))
    : keys.map((k) => `${base}/api/targets/${k.split('/').map(encodeURIComponent).join('/')}`);
  const status = taskStatus(task.id, 'DONE', runId, { resources, expiresIn: linkExpiry(rt) });
  const stale = (await rt.freshness().stale([task])).get(task.id);
  if (stale) status.stale = stale;
  return status;
}

/**
 * The status of a run's root task once the run has ended (a POST that waited for it): DONE
 * with its links when the run succeeded, else the root's last state (FAILED if it never got a
 * row) and the run's error. Undefined when the run is not recorded.
 */
export async function endedStatus(rt: Runtime, runs: RunManager, task: AnyTask, runId: string, base: string): Promise<{ run: RunState; status: TaskStatus } | undefined> {
  const run = await runs.store.getRun(runId);
  if (!run) return undefined;
  if (run.state === 'SUCCEEDED') return { run: run.state, status: await doneStatus(rt, task, base, runId) };
  const root = await runs.store.latestTask(task.id);
  return { run: run.state, status: taskStatus(task.id, root?.state ?? 'FAILED', runId, { expiresIn: linkExpiry(rt), error: run.error ?? null }) };
}

/** The task of an id, rebuilt from a run record's params or the params.json beside its outputs. */
async function taskOf(rt: Runtime, taskId: string, params: Record<string, unknown> | undefined): Promise<AnyTask | undefined> {
  const [type, chain, name] = taskId.split('/');
  let found;
  try {
    found = rt.registry.resolve(`${type}/${chain}/${name}`);
  } catch {
    return undefined;
  }
  let p = params;
  if (!p) {
    try {
      p = JSON.parse(await rt.store.target(`${taskFolder(taskId)}/params.json`).readText()) as Record<string, unknown>;
    } catch {
      return undefined;
    }
  }
  try {
    const t = rt.instantiateFrom(found, p);
    return t.id === taskId ? t : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Answers status questions about task ids: their latest record in any run or, never run
 * through this server (the CLI, another server), DONE when their outputs exist. Tasks
 * recently found DONE are kept (bounded, oldest dropped first), so that polling a complete
 * task costs one stat of its outputs, not a database read plus rebuilding the task.
 */
export class TaskStatuses {
  readonly #done = new Map<string, { task: AnyTask; runId: string | null }>();

  constructor(
    private readonly rt: Runtime,
    private readonly runs: RunManager,
    private readonly max = 10_000,
  ) {}

  /** Undefined when nothing is known of the id. */
  async get(taskId: string, base: string): Promise<TaskStatus | undefined> {
    const { rt, runs } = this;
    const hit = this.#done.get(taskId);
    if (hit) {
      const [complete] = await checkComplete([hit.task], rt.store);
      if (complete) return doneStatus(rt, hit.task, base, hit.runId);
      this.#done.delete(taskId);
    }
    // A task of a run in flight is answered from memory: the store lags by a turn of the event
    // loop, and a root whose DAG is still being resolved has no row at all yet.
    const row = runs.recorder.find(taskId) ?? (await runs.store.latestTask(taskId));
    const rootRun = runs.runOfRoot(taskId);
    if (!row && rootRun) return taskStatus(taskId, 'PENDING', rootRun);
    const task = await taskOf(rt, taskId, row?.params);
    if (task && (!row || row.state === 'DONE')) {
      const [complete] = await checkComplete([task], rt.store);
      if (complete) {
        if (this.#done.size >= this.max) this.#done.delete(this.#done.keys().next().value as string);
        this.#done.set(taskId, { task, runId: row?.runId ?? null });
        return doneStatus(rt, task, base, row?.runId ?? null);
      }
    }
    if (!row) return undefined;
    return taskStatus(taskId, row.state, row.runId, { error: row.error });
  }
}
