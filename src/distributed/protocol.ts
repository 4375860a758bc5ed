import { z } from 'zod';
import { taskRefSchema } from '../executors/child-protocol';
import { requiredSchema, serializedErrorSchema } from '../executors/wire';

/**
 * What the scheduler side and `nectar worker`s say to each other in distributed mode. Each
 * ready task is one BullMQ job whose id is the task id; everything else goes over Redis
 * pub/sub on channels under the queue prefix.
 */

/** A task as a job names it: found by type, chain and name in the worker's own chains. */
export const jobTaskRefSchema = taskRefSchema.omit({ file: true });
export type JobTaskRef = z.infer<typeof jobTaskRefSchema>;

/** The data of a task's job. */
export const taskJobDataSchema = z.object({
  task: jobTaskRefSchema,
  runId: z.string(),
  attempt: z.number(),
  /** The server waiting for it: where log lines and dynamic requirements go. */
  origin: z.string(),
  /** False: the server has nobody following log lines live, so the worker does not send them. */
  log: z.boolean(),
});
export type TaskJobData = z.infer<typeof taskJobDataSchema>;

/** What a job returns: a task failure is a result, not a BullMQ failure (BullMQ's retries stay for stalls). */
export const taskJobResultSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), skipped: z.boolean().optional() }),
  z.object({ ok: z.literal(false), error: serializedErrorSchema }),
]);
export type TaskJobResult = z.infer<typeof taskJobResultSchema>;

/**
 * Worker -> every server (channel `<prefix>:done`), batched: outcomes of finished jobs, as
 * [task id, result]. Every server hears every outcome, so one waiting on a job another
 * server added hears it too.
 */
export const toServersSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('done'), results: z.array(z.tuple([z.string(), taskJobResultSchema])) }),
  /** Jobs a worker has taken and started (their tasks turn from QUEUED to RUNNING). */
  z.object({ type: z.literal('started'), taskIds: z.array(z.string()) }),
]);
export type ToServers = z.infer<typeof toServersSchema>;

/** Worker -> one server (channel `<prefix>:srv:<server id>`). */
export const toServerSchema = z.discriminatedUnion('type', [
  /** Log lines, as [task id, line]. */
  z.object({ type: z.literal('log'), lines: z.array(z.tuple([z.string(), z.string()])) }),
  z.object({ type: z.literal('require'), reqId: z.number(), worker: z.string(), taskId: z.string(), tasks: z.array(jobTaskRefSchema) }),
]);
export type ToServer = z.infer<typeof toServerSchema>;

/** What a server hears: on its own channel and on the done channel. */
export const fromWorkersSchema = z.discriminatedUnion('type', [toServersSchema, toServerSchema]);

/** Server -> every worker (channel `<prefix>:ctl`). */
export const toWorkersSchema = z.object({ type: z.literal('cancel'), taskId: z.string(), error: serializedErrorSchema });
export type ToWorkers = z.infer<typeof toWorkersSchema>;

/** Server -> one worker (channel `<prefix>:wrk:<worker id>`): the reply to a dynamic requirement. */
export const toWorkerSchema = requiredSchema;
export type ToWorker = z.infer<typeof toWorkerSchema>;

/** What a worker hears: on the control channel and on its own. */
export const fromServersSchema = z.discriminatedUnion('type', [toWorkersSchema, toWorkerSchema]);

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
