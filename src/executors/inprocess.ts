import type { Executor, TaskAttempt } from '../core/executor';
import type { SettingValue } from '../core/settings';
import type { AnyTask } from '../core/task';
import { runAttemptHere } from './run-attempt';

export interface InProcessOptions {
  /** The settings a task sees (the runtime's registry answers; BAD_CONFIG when they are bad). */
  settingsOf(task: AnyTask): Readonly<Record<string, SettingValue>>;
  /** What programs inherit of the environment. */
  readonly programEnv: Readonly<Record<string, string>>;
}

/** Runs tasks on this process's event loop: the cheapest executor, for I/O-bound tasks. */
export class InProcessExecutor implements Executor {
  readonly kind = 'inprocess';
  constructor(private readonly o: InProcessOptions) {}
  execute(attempt: TaskAttempt): Promise<void> {
    let settings: Readonly<Record<string, SettingValue>>;
    try {
      settings = this.o.settingsOf(attempt.task);
    } catch (err) {
      return Promise.reject(err);
    }
    return runAttemptHere(attempt, { settings, programEnv: this.o.programEnv });
  }
  async close(): Promise<void> {}
}
