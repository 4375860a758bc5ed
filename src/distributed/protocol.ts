import type { SerializedError } from '../core/errors';
import type { TaskRef } from '../executors/child-protocol';

/** A task as a job names it: found by type, chain and name in the worker's own chains. */
export type JobTaskRef = Omit<TaskRef, 'file'>;

/**
 * What the scheduler side and `nectar worker`s say to each other in distributed mode. Each
 * ready task is one BullMQ job whose id is the task id; everything else goes over Redis
 * pub/sub on channels under the queue prefix.
 */

/** The data of a task's job. */
export interface TaskJobData {
  task: JobTaskRef;
  runId: string;
  attempt: number;
  /** The server waiting for it: where log lines and dynamic requirements go. */
  origin: string;
  /** False: the server has nobody following log lines live, so the worker does not send them. */
  log: boolean;
}

/** What a job returns: a task failure is a result, not a BullMQ failure (BullMQ's retries stay for stalls). */
export type TaskJobResult = { ok: true; skipped?: boolean } | { ok: false; error: SerializedError };

/**
 * Worker -> every server (channel `<prefix>:done`), batched: outcomes of finished jobs. Every
 * server hears every outcome, so one waiting on a job another server added hears it too.
 */
export type ToServers =
  | { type: 'done'; results: [taskId: string, result: TaskJobResult][] }
  /** Jobs a worker has taken and started (their tasks turn from QUEUED to RUNNING). */
  | { type: 'started'; taskIds: string[] };

/** Server -> every worker (channel `<prefix>:ctl`). */
export type ToWorkers = { type: 'cancel'; taskId: string; error: SerializedError };

/** Worker -> one server (channel `<prefix>:srv:<server id>`). */
export type ToServer =
  | { type: 'log'; lines: [taskId: string, line: string][] }
  | { type: 'require'; reqId: number; worker: string; taskId: string; tasks: JobTaskRef[] };

/** Server -> one worker (channel `<prefix>:wrk:<worker id>`). */
export type ToWorker = { type: 'required'; reqId: number; error?: SerializedError };

/** Channel names, all under the BullMQ prefix so that installs sharing a Redis stay apart. */
export const channels = {
  control: (prefix: string): string => `${prefix}:ctl`,
  done: (prefix: string): string => `${prefix}:done`,
  server: (prefix: string, id: string): string => `${prefix}:srv:${id}`,
  worker: (prefix: string, id: string): string => `${prefix}:wrk:${id}`,
};

/** BullMQ queue name of a task queue (capability). */
export function queueName(queue: string): string {
  return `tasks-${queue}`;
}

/**
 * nectar priority (higher first, default 0, any number) -> BullMQ priority (1 = first,
 * 2,097,151 last). Every job gets an explicit one: BullMQ runs jobs without a priority
 * before all prioritized jobs, which would put default tasks ahead of important ones.
 */
export function bullPriority(priority: number): number {
  return Math.min(2_097_151, Math.max(1, 1_048_576 - Math.round(priority)));
}
