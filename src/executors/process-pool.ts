import { type ChildProcess, fork } from 'node:child_process';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { deleteOutputs, taskFolder } from '../core/binding';
import { settlesWithin } from '../core/deadline';
import { NectarError, deserializeError } from '../core/errors';
import type { Executor, TaskAttempt } from '../core/executor';
import type { AnyTask, TaskClass } from '../core/task';
import { type FromChild, fromChildSchema, type TaskRef, type ToChild } from './child-protocol';
import { answer } from './requests';
import { TaskLog, writeTaskLog } from './task-log';
import { checked } from './wire';

/** Finds the chain file of a task class (the registry does this). */
export type Locate = (cls: TaskClass) => { file: string; type: string; chain: string; name: string } | undefined;

export interface ProcessPoolOptions {
  size: number;
  /** The child entry script (registers the TypeScript loader, then runs the child loop). */
  entry?: string;
  locate: Locate;
  /** Rebuilds a task from a TaskRef (for dynamic requirements asked for inside a child). */
  instantiate: (ref: TaskRef) => AnyTask;
  /** The children's whole environment (the configuration computes it: `childEnvironment`). */
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
}

interface Slot {
  child: ChildProcess;
  ready: Promise<void>;
  busy: boolean;
  /** Requirements its task waits for in `ctx.require()`: while any, it does not count against `size`. */
  parked: number;
}

const DEFAULT_ENTRY = resolve(__dirname, '../../bin/nectar-child.js');

/** A TaskRef for a task instance: its chain file and its normalised parameters. */
export function refOf(task: AnyTask, locate: Locate): TaskRef {
  const loc = locate(task.constructor as TaskClass);
  if (!loc) throw new NectarError('BAD_TASK_DEFINITION', `${task}: its chain file is unknown, so a worker process cannot load it`);
  return { ...loc, params: { ...task.params } };
}

/**
 * Runs each attempt in a child process (one task at a time per child, up to `size` children),
 * so CPU-heavy tasks never freeze the scheduler. A timeout or cancel kills the child: the work
 * really stops, and the outputs it may have written are removed.
 */
export class ProcessPoolExecutor implements Executor {
  readonly kind = 'process';
  readonly #slots: Slot[] = [];
  readonly #waiting: ((slot: Slot) => void)[] = [];
  #closed = false;

  constructor(private readonly o: ProcessPoolOptions) {}

  async execute(a: TaskAttempt): Promise<void> {
    const ref = refOf(a.task, this.o.locate);
    const slot = await this.#acquire();
    const log = new TaskLog(a.task.id, a.attempt, a.onLog);
    try {
      await slot.ready;
      await new Promise<void>((resolveRun, reject) => {
        const child = slot.child;
        const send = (m: ToChild): void => {
          if (child.connected) child.send(m);
        };
        let settled = false;
        const cleanup = (): void => {
          settled = true;
          child.off('message', onMessage);
          child.off('exit', onExit);
        };
        const onMessage = (raw: unknown): void => {
          const m = this.#checked(raw);
          if (!m) return;
          switch (m.type) {
            case 'log':
              log.append(m.line);
              return;
            case 'require': {
              // The waiting task gives its process's place back, so that what it waits for can
              // run even with one worker process (the scheduler has given its slot back too).
              this.#park(slot);
              void answer(
                m.reqId,
                async () => {
                  try {
                    await a.require(m.tasks.map((r) => this.o.instantiate(r)));
                  } finally {
                    slot.parked--;
                  }
                },
                send,
              );
              return;
            }
            case 'done':
              cleanup();
              resolveRun();
              return;
            case 'failed':
              cleanup();
              reject(deserializeError(m.error));
              return;
            case 'ready':
              return;
            default: {
              const never: never = m;
              return never;
            }
          }
        };
        const onExit = (code: number | null, sig: NodeJS.Signals | null): void => {
          cleanup();
          reject(new NectarError('WORKER_CRASHED', `worker process ${child.pid} running ${a.task} exited (${sig ?? `code ${code}`})`));
        };
        const onAbort = (): void => {
          if (settled) return;
          cleanup();
          child.kill('SIGKILL');
          reject(a.abort.reason ?? new NectarError('CANCELLED', 'task aborted'));
        };
        child.on('message', onMessage);
        child.on('exit', onExit);
        a.abort.aborted.catch(onAbort);
        if (a.abort.reason) return;
        send({ type: 'run', runId: a.runId, attempt: a.attempt, task: ref });
      });
    } catch (err) {
      if (slot.child.exitCode !== null || slot.child.signalCode !== null || slot.child.killed) {
        // The child died or was killed mid-task: whatever it committed must not stay.
        this.#drop(slot);
        await this.#cleanupAfterKill(a, log, err, slot.child);
      }
      throw err;
    } finally {
      this.#release(slot);
    }
  }

  async #cleanupAfterKill(a: TaskAttempt, log: TaskLog, err: unknown, child: ChildProcess): Promise<void> {
    await deleteOutputs(a.task, a.store);
    // Its temp files go once it is reaped (until then its pid still looks alive).
    if (child.exitCode === null && child.signalCode === null) await settlesWithin(new Promise((res) => child.once('exit', res)), 2000);
    await a.store.sweepTemps?.(taskFolder(a.task.id)).catch(() => 0);
    log.write('error', `worker process stopped: ${(err as Error).message}`);
    await writeTaskLog(a.store, a.task.id, a.attempt, log.text()).catch(() => undefined);
  }

  #spawn(): Slot {
    const child = fork(this.o.entry ?? DEFAULT_ENTRY, [], {
      env: this.o.env ?? {},
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const ready = new Promise<void>((res, rej) => {
      const onMsg = (raw: unknown): void => {
        if (this.#checked(raw)?.type === 'ready') {
          child.off('message', onMsg);
          child.off('exit', onExit);
          res();
        }
      };
      const onExit = (code: number | null): void => rej(new NectarError('WORKER_CRASHED', `worker process exited at start (code ${code})`));
      child.on('message', onMsg);
      child.once('exit', onExit);
    });
    ready.catch(() => undefined);
    child.on('error', (err) => this.o.logger?.error({ err }, 'worker process error'));
    const slot: Slot = { child, ready, busy: false, parked: 0 };
    // A child that dies while idle must never be handed out again.
    child.once('exit', () => {
      const i = this.#slots.indexOf(slot);
      if (i >= 0) this.#slots.splice(i, 1);
    });
    this.#slots.push(slot);
    return slot;
  }

  /** A message from a child, checked: a malformed one is dropped with a warning. */
  #checked(raw: unknown): FromChild | undefined {
    return checked(fromChildSchema, raw, 'message from a worker process', (text) => this.o.logger?.warn(text));
  }

  /** Children that count against `size`: all but those whose task waits in `ctx.require()`. */
  #counted(): number {
    let n = 0;
    for (const s of this.#slots) if (s.parked === 0) n++;
    return n;
  }

  #park(slot: Slot): void {
    slot.parked++;
    if (slot.parked === 1 && this.#counted() < this.o.size) this.#handToWaiting(() => this.#spawn());
  }

  /** The first attempt waiting for a child gets one (`get` picks it); false if none waits. */
  #handToWaiting(get: () => Slot): boolean {
    const next = this.#waiting.shift();
    if (!next) return false;
    const s = get();
    s.busy = true;
    next(s);
    return true;
  }

  #acquire(): Promise<Slot> {
    if (this.#closed) return Promise.reject(new Error('process pool closed'));
    const free = this.#slots.find((s) => !s.busy);
    const slot = free ?? (this.#counted() < this.o.size ? this.#spawn() : undefined);
    if (slot) {
      slot.busy = true;
      return Promise.resolve(slot);
    }
    return new Promise((res) => this.#waiting.push(res));
  }

  #release(slot: Slot): void {
    slot.busy = false;
    if (this.#slots.length > this.o.size && this.#slots.includes(slot) && this.#waiting.length === 0) {
      // One started while a task was parked: back to `size` children.
      this.#drop(slot);
      return;
    }
    this.#handToWaiting(() => (this.#slots.includes(slot) ? slot : this.#spawn()));
  }

  #drop(slot: Slot): void {
    const i = this.#slots.indexOf(slot);
    if (i >= 0) this.#slots.splice(i, 1);
    if (slot.child.exitCode === null) slot.child.kill('SIGKILL');
  }

  /** SIGTERM every child and wait for it; one still there after 2 s (a task ignoring the signal) is SIGKILLed. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(
      this.#slots.splice(0).map(
        (s) =>
          new Promise<void>((res) => {
            if (s.child.exitCode !== null || s.child.signalCode !== null) return res();
            const kill = setTimeout(() => s.child.kill('SIGKILL'), 2000);
            s.child.once('exit', () => {
              clearTimeout(kill);
              res();
            });
            s.child.kill('SIGTERM');
          }),
      ),
    );
  }
}
