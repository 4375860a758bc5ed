import { randomUUID } from 'node:crypto';
import { type Job, WaitingError, Worker } from 'bullmq';
import type Redis from 'ioredis';
import { checkComplete } from '../core/binding';
import { settlesWithin } from '../core/deadline';
import { NectarError, deserializeError, serializeError } from '../core/errors';
import { AttemptAbort } from '../core/executor';
import { type AnyTask, taskOptions } from '../core/task';
import { channels, fromServersSchema, type JobTaskRef, queueName, type TaskJobData, taskJobDataSchema, type TaskJobResult, type ToServer, type ToServers } from './protocol';
import { closeConnection, redisConnection } from './redis-connection';
import { Requests } from '../executors/requests';
import { runAttemptHere } from '../executors/run-attempt';
import { decoded, problemOf } from '../executors/wire';
import type { Logger } from 'pino';
import type { SettingValue } from '../core/settings';
import type { TargetStore } from '../core/target';

/** What a worker is built from (the composition root passes them in): no global state, no environment read here. */
export interface WorkerDeps {
  /** NECTAR_REDIS_URL. */
  readonly url: string;
  /** BullMQ key prefix (NECTAR_QUEUE_PREFIX). */
  readonly prefix: string;
  readonly stalledInterval: number;
  readonly lockDuration: number;
  readonly store: TargetStore;
  readonly logger: Logger;
  /** A task from a job's reference, by this worker's own chains. */
  instantiate(ref: JobTaskRef): AnyTask;
  /** The settings a task sees here (this worker's registry; BAD_CONFIG when they are bad). */
  settingsOf(task: AnyTask): Readonly<Record<string, SettingValue>>;
  /** What programs inherit of the environment. */
  readonly programEnv: Readonly<Record<string, string>>;
}

export interface WorkerOptions {
  /** Task queues (capabilities) this worker takes jobs from; default `['default']`. */
  queues?: readonly string[];
  /** Jobs at once per queue (default 8). */
  concurrency?: number;
  /** How long a SIGTERM waits for running tasks before handing them back (ms, default 30 s). */
  grace?: number;
}

/** How long a stopping worker gives each step that needs Redis (hand a job back, quit) once the grace period is over. */
const STEP_MS = 1000;

/**
 * `nectar worker`: takes task jobs from its queues, runs each where it is (the chains are
 * loaded here; targets as configured, S3 in production), and answers with the outcome. A task
 * whose outputs already exist is not run again, so a job that runs twice (a worker died just
 * after writing) still writes once. Cancel and timeout stop the attempt here; log lines go to
 * the server waiting on the task, batched.
 */
export class NectarWorker {
  readonly id = randomUUID();
  readonly #workers = new Map<string, Worker<TaskJobData, TaskJobResult>>();
  /** Job processors in flight, so that a stop can wait for them to hand their jobs back. */
  readonly #processing = new Set<Promise<unknown>>();
  /** The abort reason of tasks stopped because the grace period ran out: their jobs go back to the queue. */
  #handBack: NectarError | undefined;
  #closing = false;
  readonly #conns: Redis[] = [];
  readonly #pub: Redis;
  readonly #sub: Redis;
  readonly #running = new Map<string, AttemptAbort>();
  readonly #requests = new Requests();
  readonly #lines = new Map<string, [string, string][]>();
  #flush: NodeJS.Timeout | undefined;
  readonly queues: readonly string[];

  constructor(
    private readonly deps: WorkerDeps,
    private readonly o: WorkerOptions = {},
  ) {
    const { url, prefix, logger } = deps;
    this.queues = o.queues?.length ? [...o.queues] : ['default'];
    this.#pub = redisConnection(url);
    this.#sub = redisConnection(url);
    for (const c of [this.#pub, this.#sub]) c.on('error', (err) => logger.debug({ err }, 'redis connection error'));
    void this.#sub.subscribe(channels.control(prefix), channels.worker(prefix, this.id));
    this.#sub.on('message', (ch: string, raw: string) => this.#onMessage(ch, raw));
    for (const q of this.queues) {
      const conn = redisConnection(url);
      conn.on('error', (err) => logger.debug({ err }, 'redis connection error'));
      this.#conns.push(conn);
      const w = new Worker<TaskJobData, TaskJobResult>(queueName(q), (job, token) => this.#track(this.#process(job, token)), {
        connection: conn,
        prefix,
        concurrency: o.concurrency ?? 8,
        stalledInterval: deps.stalledInterval,
        lockDuration: deps.lockDuration,
        maxStalledCount: 3,
        autorun: true,
      });
      w.on('error', (err) => logger.warn({ err, queue: q }, 'worker error'));
      // Told once BullMQ has recorded the job as completed, so that a task asked for again
      // right after is a new job, not a duplicate of this one.
      w.on('completed', (job, result) => this.#done([job.id as string, result]));
      this.#workers.set(queueName(q), w);
    }
  }

  /** Resolves when every queue's worker is connected and taking jobs. */
  async ready(): Promise<void> {
    await Promise.all([...this.#workers.values()].map((w) => w.waitUntilReady()));
  }

  get running(): number {
    return this.#running.size;
  }

  #track<T>(p: Promise<T>): Promise<T> {
    this.#processing.add(p);
    const drop = (): void => void this.#processing.delete(p);
    p.then(drop, drop);
    return p;
  }

  async #process(job: Job<TaskJobData, TaskJobResult>, token: string | undefined): Promise<TaskJobResult> {
    const checked = taskJobDataSchema.safeParse(job.data);
    if (!checked.success) {
      // Answered rather than dropped, so that the server waiting on the job hears why it failed.
      const problem = `job ${job.id} on ${job.queueName}: its data is malformed: ${problemOf(checked.error)}`;
      this.deps.logger.warn(problem);
      return { ok: false, error: serializeError(new NectarError('QUEUE_ERROR', problem)) };
    }
    const d = checked.data;
    let task: AnyTask;
    try {
      task = this.deps.instantiate(d.task);
    } catch (err) {
      return { ok: false, error: serializeError(err) };
    }
    if (task.id !== job.id) {
      return { ok: false, error: serializeError(new NectarError('BAD_TASK_DEFINITION', `this worker computes ${task.id} for job ${job.id}: its chains differ from the server's (deploy the same code to both)`)) };
    }
    const [complete] = await checkComplete([task], this.deps.store);
    if (complete) return { ok: true, skipped: true };
    const abort = new AttemptAbort();
    this.#running.set(task.id, abort);
    this.#tellStarted(task.id);
    const timeout = taskOptions(task).timeout;
    const timer = timeout === undefined ? undefined : setTimeout(() => abort.abort(new NectarError('TIMEOUT', `${task} ran longer than its timeout of ${timeout} ms and was stopped`)), timeout);
    try {
      const settings = this.deps.settingsOf(task);
      await runAttemptHere({
        runId: d.runId,
        task,
        attempt: d.attempt,
        store: this.deps.store,
        abort,
        onLog: d.log ? (line) => this.#log(d.origin, task.id, line) : () => undefined,
        require: (tasks) => this.#lendSlot(job.queueName, this.#require(d.origin, task.id, tasks)),
      }, { settings, programEnv: this.deps.programEnv });
      return { ok: true };
    } catch (err) {
      if (this.#handBack && abort.reason === this.#handBack) {
        // Not a failure of the task: put its job back for another worker (if Redis is there to
        // hear it; if not, the job stalls and is taken again once its lock expires).
        if (token !== undefined && this.#pub.status === 'ready') await settlesWithin(job.moveToWait(token), STEP_MS);
        throw new WaitingError();
      }
      return { ok: false, error: serializeError(err) };
    } finally {
      if (timer) clearTimeout(timer);
      this.#running.delete(task.id);
    }
  }

  /** Items for every server (any may wait on them), gathered into one publish per turn of the event loop. */
  #toServers<T>(make: (items: T[]) => ToServers): (item: T) => void {
    let items: T[] = [];
    return (item) => {
      items.push(item);
      if (items.length > 1) return;
      setImmediate(() => {
        const msg = make(items);
        items = [];
        void this.#pub.publish(channels.done(this.deps.prefix), JSON.stringify(msg)).catch(() => undefined);
      });
    };
  }

  /** Outcomes of finished jobs. */
  readonly #done = this.#toServers<[string, TaskJobResult]>((results) => ({ type: 'done', results }));
  /** Jobs taken and started (their tasks turn from QUEUED to RUNNING). */
  readonly #tellStarted = this.#toServers<string>((taskIds) => ({ type: 'started', taskIds }));

  /** Log lines to the server waiting on the task, one publish per server every 20 ms. */
  #log(origin: string, taskId: string, line: string): void {
    const list = this.#lines.get(origin);
    if (list) list.push([taskId, line]);
    else this.#lines.set(origin, [[taskId, line]]);
    this.#flush ??= setTimeout(() => this.#flushLines(), 20);
  }

  #flushLines(): void {
    this.#flush = undefined;
    for (const [origin, lines] of this.#lines) {
      const msg: ToServer = { type: 'log', lines };
      void this.#pub.publish(channels.server(this.deps.prefix, origin), JSON.stringify(msg)).catch(() => undefined);
    }
    this.#lines.clear();
  }

  #require(origin: string, taskId: string, tasks: readonly AnyTask[]): Promise<void> {
    const refs: JobTaskRef[] = tasks.map((t) => {
      const [type, chain, name] = t.id.split('/') as [string, string, string];
      return { type, chain, name, params: { ...t.params } };
    });
    return this.#requests.ask((reqId) => {
      const msg: ToServer = { type: 'require', reqId, worker: this.id, taskId, tasks: refs };
      void this.#pub.publish(channels.server(this.deps.prefix, origin), JSON.stringify(msg));
    });
  }

  /**
   * A task waiting in `ctx.require()` gives its slot back while it waits: its queue's worker
   * takes one more job at once, so the tasks it waits for can run here even with
   * `--concurrency 1` (they may be on this very queue). `pause(true)` + `resume()` is BullMQ's
   * public way to wake a worker's fetch loop, which otherwise looks at the new concurrency
   * only when a job ends.
   */
  async #lendSlot(queue: string, wait: Promise<void>): Promise<void> {
    const w = this.#workers.get(queue);
    if (!w || this.#closing) return wait;
    w.concurrency = w.concurrency + 1;
    await w.pause(true);
    if (!this.#closing) await w.resume();
    try {
      await wait;
    } finally {
      w.concurrency = Math.max(1, w.concurrency - 1);
    }
  }

  #onMessage(_channel: string, raw: string): void {
    const m = decoded(fromServersSchema, raw, 'message from a server', (text) => this.deps.logger.warn(text));
    if (!m) return;
    if (m.type === 'cancel') this.#running.get(m.taskId)?.abort(deserializeError(m.error));
    else this.#requests.settle(m);
  }

  /**
   * Stop taking jobs and let running tasks finish, up to the grace period (less if nothing
   * runs and Redis is away: there is nothing to wait for). Then the tasks still running are
   * aborted (their writes refused, as on timeout) and their jobs handed back to the queue, and
   * the connections are dropped: a stop is bounded by the grace period plus a few seconds,
   * whether Redis is up or not. BullMQ's `close(true)` cannot be used for this: once `close()`
   * is under way it returns the same pending promise.
   */
  async close(): Promise<void> {
    this.#closing = true;
    const workers = [...this.#workers.values()];
    const graceful = Promise.all(workers.map((w) => w.close()));
    graceful.catch(() => undefined);
    const deadline = Date.now() + (this.o.grace ?? 30_000);
    let done = false;
    void graceful.then(() => (done = true));
    while (!done && Date.now() < deadline) {
      if (this.#running.size === 0 && this.#pub.status !== 'ready') break;
      await settlesWithin(graceful, Math.min(100, Math.max(1, deadline - Date.now())));
    }
    if (!done) {
      if (this.#running.size > 0) this.deps.logger.warn({ running: [...this.#running.keys()] }, 'grace period over: handing running tasks back');
      this.#handBack = new NectarError('INTERRUPTED', 'the worker was stopped and its grace period is over: the task was handed back to its queue');
      for (const abort of this.#running.values()) abort.abort(this.#handBack);
      await settlesWithin(Promise.allSettled([...this.#processing]), 2 * STEP_MS);
    }
    if (this.#flush) {
      clearTimeout(this.#flush);
      this.#flushLines();
    }
    const conns = [...this.#conns, this.#pub, this.#sub];
    if (done) await Promise.all(conns.map(closeConnection));
    else {
      // Redis is away or jobs hang on it: nothing more can be said to it.
      for (const c of conns) c.disconnect();
      await settlesWithin(graceful, STEP_MS);
    }
  }
}
