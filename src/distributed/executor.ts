import { Job, type JobsOptions, Queue } from 'bullmq';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { checkComplete } from '../core/binding';
import { NectarError, deserializeError, serializeError } from '../core/errors';
import type { Executor, TaskAttempt } from '../core/executor';
import { type AnyTask, taskOptions } from '../core/task';
import { bullPriority, channels, fromWorkersSchema, type JobTaskRef, queueName, type TaskJobData, type TaskJobResult, type ToWorker, type ToWorkers } from './protocol';
import { type Locate, refOf } from '../executors/process-pool';
import { answer } from '../executors/requests';
import { decoded } from '../executors/wire';
import { applyQueueRate, type QueueRates, rateOf, removeUnconfiguredRates } from './queue-rates';
import { closeConnection, redisConnection } from './redis-connection';

export interface BullMQExecutorOptions {
  url: string;
  /** BullMQ key prefix (`NECTAR_QUEUE_PREFIX`). */
  prefix: string;
  /** This server process: where workers send log lines and dynamic requirements. */
  serverId: string;
  /**
   * Per-queue rate limits: set on each queue when first used, removed from one used that is
   * not named, and from every queue under the prefix that is not named at start-up.
   */
  rates?: QueueRates;
  locate: Locate;
  /** Rebuilds a task from a TaskRef (dynamic requirements asked for on a worker). */
  instantiate: (ref: JobTaskRef) => AnyTask;
  logger?: Logger;
  /** How often jobs waited on are checked in Redis (an event lost, Redis restarted empty); ms. */
  checkInterval?: number;
}

/** How many jobs of one task queue are where. */
export interface QueueDepth {
  waiting: number;
  active: number;
  delayed: number;
}

/** The depth of a BullMQ queue (waiting includes prioritized jobs). */
export async function queueDepth(q: Queue): Promise<QueueDepth> {
  const c = await q.getJobCounts('waiting', 'prioritized', 'active', 'delayed');
  return { waiting: (c['waiting'] ?? 0) + (c['prioritized'] ?? 0), active: c['active'] ?? 0, delayed: c['delayed'] ?? 0 };
}

interface Waiter {
  a: TaskAttempt;
  queue: string;
  job: { name: string; data: TaskJobData; opts: JobsOptions };
  /** Checks in a row that found no job in Redis. */
  missing: number;
  settle(r: TaskJobResult | Error): void;
}

interface QueueEntry {
  queue: Queue<TaskJobData, TaskJobResult>;
  ready: Promise<void>;
}

/**
 * Distributed execution: each ready task becomes one BullMQ job on its queue (`tasks-<queue>`),
 * job id = task id, so the same task asked for by two runs or two servers is one job. The DAG
 * stays with the scheduler (BullMQ flows are trees and cannot share a dependency). Outcomes
 * come back batched on one pub/sub channel that every server hears (cheaper than QueueEvents,
 * which streams every job's every state change to every listener); a periodic check covers a
 * lost message, a job that failed in BullMQ (stalled too often) and a Redis that came back
 * empty (the job is added again; the worker skips it if its outputs already exist). Cancel
 * and timeout remove a waiting job and tell the worker running it to stop.
 */
export class BullMQExecutor implements Executor {
  readonly kind = 'bullmq';
  readonly queues = true;
  readonly #conn: Redis;
  readonly #pub: Redis;
  readonly #sub: Redis;
  readonly #queues = new Map<string, QueueEntry>();
  readonly #waiters = new Map<string, Waiter>();
  readonly #adds = new Map<string, Waiter['job'][]>();
  #flushScheduled = false;
  readonly #timer: NodeJS.Timeout;
  readonly #subscribed: Promise<unknown>;
  readonly #started: Promise<void>;
  #closed = false;

  constructor(private readonly o: BullMQExecutorOptions) {
    this.#conn = redisConnection(o.url);
    this.#pub = redisConnection(o.url);
    this.#sub = redisConnection(o.url);
    for (const c of [this.#conn, this.#pub, this.#sub]) c.on('error', (err) => o.logger?.debug({ err }, 'redis connection error'));
    this.#subscribed = this.#sub.subscribe(channels.server(o.prefix, o.serverId), channels.done(o.prefix));
    this.#subscribed.catch(() => undefined);
    this.#sub.on('message', (_ch: string, raw: string) => this.#onMessage(raw));
    this.#timer = setInterval(() => void this.#check(), o.checkInterval ?? 5000);
    this.#timer.unref();
    this.#started = removeUnconfiguredRates(this.#conn, o.prefix, o.rates).then(
      (queues) => {
        if (queues.length > 0) o.logger?.info({ queues }, `rate limits no longer configured removed from queues ${queues.join(', ')}`);
      },
      (err: unknown) => {
        if (!this.#closed) o.logger?.warn({ err }, 'could not remove rate limits no longer configured');
      },
    );
  }

  /** Resolves once start-up housekeeping is done: rate limits no longer configured removed (or the attempt logged). */
  started(): Promise<void> {
    return this.#started;
  }

  async execute(a: TaskAttempt): Promise<void> {
    const id = a.task.id;
    if (this.#waiters.has(id)) throw new NectarError('QUEUE_ERROR', `${a.task} is already being waited on by this server`);
    const opts = taskOptions(a.task);
    const entry = this.#queue(opts.queue);
    await Promise.all([entry.ready, this.#subscribed]);
    const { file: _file, ...task } = refOf(a.task, this.o.locate);
    const data: TaskJobData = { task, runId: a.runId, attempt: a.attempt, origin: this.o.serverId, log: a.wantsLog !== false };
    const job = { name: 'task', data, opts: { jobId: id, priority: bullPriority(opts.priority), removeOnComplete: true, removeOnFail: { age: 24 * 3600 } } };
    const result = await new Promise<TaskJobResult | Error>((resolve) => {
      const w: Waiter = { a, queue: opts.queue, job, missing: 0, settle: resolve };
      this.#waiters.set(id, w);
      a.abort.aborted.catch((reason: unknown) => {
        if (this.#waiters.get(id) !== w) return;
        this.#waiters.delete(id);
        void this.#stop(id, opts.queue, reason);
        resolve(reason instanceof Error ? reason : new NectarError('CANCELLED', 'task aborted'));
      });
      if (!a.abort.reason) this.#add(opts.queue, job);
    });
    if (result instanceof Error) throw result;
    if (!result.ok) throw deserializeError(result.error);
  }

  /**
   * Jobs waiting (prioritized ones included), active and delayed, per task queue: these and
   * every queue used so far. A queue counted is used: its rate limit is as configured after.
   */
  async counts(queues: Iterable<string> = []): Promise<Record<string, QueueDepth>> {
    const names = [...new Set([...queues, ...this.#queues.keys()])].sort();
    const out: Record<string, QueueDepth> = {};
    await Promise.all(names.map(async (name) => {
      const e = this.#queue(name);
      await e.ready;
      out[name] = await queueDepth(e.queue);
    }));
    return out;
  }

  #queue(name: string): QueueEntry {
    let e = this.#queues.get(name);
    if (e) return e;
    const qn = queueName(name);
    const queue = new Queue<TaskJobData, TaskJobResult>(qn, { connection: this.#conn, prefix: this.o.prefix });
    queue.on('error', (err) => this.o.logger?.debug({ err }, 'queue error'));
    const ready = (async () => {
      await queue.waitUntilReady();
      if (await applyQueueRate(queue, rateOf(this.o.rates, name))) this.o.logger?.info({ queue: name }, `rate limit no longer configured removed from queue '${name}'`);
    })();
    // Said once per queue: a task whose queue no worker serves waits, silently otherwise.
    void ready
      .then(() => queue.getWorkersCount())
      .then((n) => {
        if (n === 0) this.o.logger?.warn({ queue: name }, `no nectar worker takes queue '${name}' now: its tasks wait until one does (nectar worker --queues ${name})`);
      })
      .catch(() => undefined);
    e = { queue, ready };
    this.#queues.set(name, e);
    return e;
  }

  #settle(jobId: string, r: TaskJobResult | Error): void {
    const w = this.#waiters.get(jobId);
    if (!w) return;
    this.#waiters.delete(jobId);
    w.settle(r);
  }

  /** Adds are batched per turn of the event loop: one addBulk per queue. */
  #add(queue: string, job: Waiter['job']): void {
    const list = this.#adds.get(queue);
    if (list) list.push(job);
    else this.#adds.set(queue, [job]);
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      for (const [q, jobs] of this.#adds) {
        this.#adds.delete(q);
        this.#queue(q).queue.addBulk(jobs).catch((err: unknown) => {
          for (const j of jobs) this.#settle(j.opts.jobId as string, new NectarError('QUEUE_ERROR', `could not queue ${j.opts.jobId}: ${(err as Error).message}`));
        });
      }
    });
  }

  async #stop(id: string, queue: string, reason: unknown): Promise<void> {
    const msg: ToWorkers = { type: 'cancel', taskId: id, error: serializeError(reason) };
    await Promise.all([this.#queue(queue).queue.remove(id).catch(() => 0), this.#pub.publish(channels.control(this.o.prefix), JSON.stringify(msg))]).catch(() => undefined);
  }

  #onMessage(raw: string): void {
    const m = decoded(fromWorkersSchema, raw, 'message from a worker', (text) => this.o.logger?.warn(text));
    if (!m) return;
    switch (m.type) {
      case 'done':
        for (const [taskId, result] of m.results) this.#settle(taskId, result);
        return;
      case 'started':
        for (const taskId of m.taskIds) this.#waiters.get(taskId)?.a.onStarted?.();
        return;
      case 'log':
        for (const [taskId, line] of m.lines) this.#waiters.get(taskId)?.a.onLog(line);
        return;
      case 'require': {
        const w = this.#waiters.get(m.taskId);
        const reply = (msg: ToWorker): void => void this.#pub.publish(channels.worker(this.o.prefix, m.worker), JSON.stringify(msg));
        void answer(m.reqId, async () => {
          if (!w) throw new NectarError('QUEUE_ERROR', `no server is waiting on ${m.taskId} here`);
          await w.a.require(m.tasks.map((t) => this.o.instantiate(t)));
        }, reply);
        return;
      }
      default: {
        const never: never = m;
        return never;
      }
    }
  }

  /** Jobs waited on that Redis no longer has (twice in a row): done if the outputs exist, otherwise queued again. */
  async #check(): Promise<void> {
    if (this.#closed || this.#waiters.size === 0) return;
    const byQueue = new Map<string, Waiter[]>();
    for (const w of this.#waiters.values()) byQueue.set(w.queue, [...(byQueue.get(w.queue) ?? []), w]);
    for (const [q, ws] of byQueue) {
      const queue = this.#queue(q).queue;
      let states: string[];
      try {
        states = await Promise.all(ws.map((w) => queue.getJobState(w.a.task.id)));
      } catch {
        return; // Redis is away: the next check will see
      }
      const lost: Waiter[] = [];
      ws.forEach((w, i) => {
        if (states[i] === 'failed') void this.#failed(queue, w);
        else if (states[i] !== 'unknown') w.missing = 0;
        else if (++w.missing >= 2) lost.push(w);
      });
      if (lost.length === 0) continue;
      const complete = await checkComplete(lost.map((w) => w.a.task), lost[0]?.a.store as TaskAttempt['store']);
      lost.forEach((w, i) => {
        if (this.#waiters.get(w.a.task.id) !== w) return;
        w.missing = 0;
        if (complete[i]) this.#settle(w.a.task.id, { ok: true });
        else {
          this.o.logger?.warn({ task: w.a.task.id, queue: q }, 'job lost from Redis: queued again');
          this.#add(q, w.job);
        }
      });
    }
  }

  /** A job BullMQ failed (it stalled more often than allowed: workers died running it). */
  async #failed(queue: Queue<TaskJobData, TaskJobResult>, w: Waiter): Promise<void> {
    const id = w.a.task.id;
    const job = await Job.fromId<TaskJobData, TaskJobResult>(queue, id).catch(() => undefined);
    // Removed, so that a retry can add the job again under the same id.
    await job?.remove().catch(() => undefined);
    this.#settle(id, new NectarError('WORKER_CRASHED', `${w.a.task}: its job failed on the workers: ${job?.failedReason ?? 'unknown reason'}`));
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    for (const [id, w] of this.#waiters) {
      this.#waiters.delete(id);
      w.settle(new NectarError('CANCELLED', 'the server is stopping'));
    }
    await Promise.all([...this.#queues.values()].map(async (e) => {
      await e.queue.close().catch(() => undefined);
    }));
    this.#queues.clear();
    await Promise.all([this.#conn, this.#pub, this.#sub].map(closeConnection));
    // Settles now if it had not: its commands fail once the connection is closed.
    await this.#started;
  }
}
