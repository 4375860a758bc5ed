import type { Executor, TaskAttempt } from '../core/executor';
import { runAttemptHere } from './run-attempt';

/** Runs tasks on this process's event loop: the cheapest executor, for I/O-bound tasks. */
export class InProcessExecutor implements Executor {
  readonly kind = 'inprocess';
  execute(attempt: TaskAttempt): Promise<void> {
    return runAttemptHere(attempt);
  }
  async close(): Promise<void> {}
}
