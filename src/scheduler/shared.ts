import { AttemptAbort } from '../core/executor';
import type { AnyTask } from '../core/task';

/** What an attempt is run with: its abort, where its log lines go, how it asks for dynamic dependencies. */
export interface AttemptHooks {
  readonly abort: AttemptAbort;
  onLog(line: string): void;
  require(tasks: readonly AnyTask[]): Promise<void>;
  /** A worker took the attempt from its queue and started it. */
  onStarted(): void;
}

interface Waiting {
  /** The run's own hooks: its abort fires on that run's cancel or timeout. */
  readonly hooks: AttemptHooks;
  resolve(): void;
  reject(err: unknown): void;
}

interface Execution {
  /** The execution's own abort, the one its executor sees. */
  readonly abort: AttemptAbort;
  /** The runs still waiting for it, oldest first. */
  readonly waiting: Set<Waiting>;
  /** Settles when the executor does. */
  readonly done: Promise<void>;
}

/**
 * Executions in flight shared by the runs of one runtime: a task id that several runs need at
 * once runs once. The execution has its own abort; a run whose attempt aborts (its cancel, its
 * timeout) stops waiting at once while the others go on, and the execution is aborted only
 * when no run wants it any more, with the last one's reason. Every run still waiting when it
 * ends gets its outcome.
 */
export class SharedExecutions {
  readonly #inFlight = new Map<string, Execution>();

  /** Executions in flight, aborted ones still winding down included. */
  get size(): number {
    return this.#inFlight.size;
  }

  /**
   * Wait, for one run's attempt (`hooks`), on the execution of task `id`: join the one in
   * flight, or begin one with `start`, which runs the attempt with the hooks it is given.
   */
  join(id: string, hooks: AttemptHooks, start: (hooks: AttemptHooks) => Promise<void>): Promise<void> {
    let exec = this.#inFlight.get(id);
    if (!exec || exec.abort.reason) exec = this.#begin(id, start, exec);
    return this.#wait(exec, hooks);
  }

  #begin(id: string, start: (hooks: AttemptHooks) => Promise<void>, previous: Execution | undefined): Execution {
    const abort = new AttemptAbort();
    const waiting = new Set<Waiting>();
    const hooks: AttemptHooks = {
      abort,
      onLog: (line) => {
        for (const w of waiting) w.hooks.onLog(line);
      },
      onStarted: () => {
        for (const w of waiting) w.hooks.onStarted();
      },
      // Dynamic dependencies go to a run that still wants the task: one that left may be over.
      require: (tasks) => {
        for (const w of waiting) if (!w.hooks.abort.reason) return w.hooks.require(tasks);
        return abort.aborted;
      },
    };
    const run = (): Promise<void> => (abort.reason ? abort.aborted : start(hooks));
    // An aborted execution still winding down (deleting its outputs) is let finish before the
    // next one starts, so its cleanup cannot undo the new attempt's work.
    const done = previous ? previous.done.then(run, run) : run();
    const exec: Execution = { abort, waiting, done };
    this.#inFlight.set(id, exec);
    done.then(
      () => this.#end(id, exec, (w) => w.resolve()),
      (err: unknown) => this.#end(id, exec, (w) => w.reject(err)),
    );
    return exec;
  }

  #wait(exec: Execution, hooks: AttemptHooks): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const w: Waiting = { hooks, resolve, reject };
      exec.waiting.add(w);
      hooks.abort.aborted.catch((reason: Error) => this.#leave(exec, w, reason));
    });
  }

  #leave(exec: Execution, w: Waiting, reason: Error): void {
    if (!exec.waiting.has(w)) return;
    if (exec.waiting.size > 1) {
      exec.waiting.delete(w);
      w.reject(reason);
      return;
    }
    // The last one waits for the execution to settle (promptly, once aborted), so that the
    // attempt's cleanup is over before its run frees the slot, retries or ends.
    exec.abort.abort(reason);
  }

  #end(id: string, exec: Execution, settle: (w: Waiting) => void): void {
    if (this.#inFlight.get(id) === exec) this.#inFlight.delete(id);
    for (const w of exec.waiting) settle(w);
    exec.waiting.clear();
  }
}
