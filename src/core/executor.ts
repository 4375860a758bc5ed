import type { TargetStore } from './target';
import type { AnyTask } from './task';

/** One attempt of one task, handed by the scheduler to an executor. */
export interface TaskAttempt {
  readonly runId: string;
  readonly task: AnyTask;
  readonly attempt: number;
  readonly store: TargetStore;
  /** Aborted on timeout (reason: a TIMEOUT NectarError) or cancel (reason: CANCELLED). */
  readonly abort: AttemptAbort;
  /** Each log line the task writes (pino JSON), as it is written. */
  onLog(line: string): void;
  /**
   * False when nobody follows log lines as they come (they still go to the `log` file): a
   * remote executor need not send them over. Undefined means true.
   */
  readonly wantsLog?: boolean;
  /** Dynamic dependencies: resolves when all are complete, rejects if one cannot be. */
  require(tasks: readonly AnyTask[]): Promise<void>;
  /** For an executor that `queues`: called when a worker has taken the attempt and starts it. */
  onStarted?(): void;
}

/**
 * Runs task attempts somewhere (this process, a child process, a remote worker). `execute`
 * resolves when the attempt succeeded and its outputs exist, rejects with the task's error
 * otherwise, and settles promptly once `signal` aborts.
 */
export interface Executor {
  readonly kind: string;
  /**
   * True when an attempt first waits in a queue for a worker (distributed mode): the task is
   * QUEUED until the executor calls `onStarted`, then RUNNING. Otherwise it runs at once.
   */
  readonly queues?: boolean;
  execute(attempt: TaskAttempt): Promise<void>;
  close(): Promise<void>;
}

/**
 * The abort of one attempt: the signal the task sees, and a promise that rejects with the
 * reason. Executors race on the promise rather than add an abort listener to the signal:
 * adding and removing one costs about 4 µs, more than the rest of a no-op task's bookkeeping.
 */
export class AttemptAbort {
  #controller: AbortController | undefined;
  #reason: Error | undefined;
  #reject: (reason: unknown) => void = () => undefined;
  readonly aborted = new Promise<never>((_, reject) => {
    this.#reject = reject;
  });

  constructor() {
    this.aborted.catch(() => undefined);
  }

  /** The AbortSignal, made on first use (most no-op tasks never need one). */
  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#reason) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /** Why it was aborted; undefined while it was not. */
  get reason(): Error | undefined {
    return this.#reason;
  }

  abort(reason: Error): void {
    if (this.#reason) return;
    this.#reason = reason;
    this.#controller?.abort(reason);
    this.#reject(reason);
  }
}
