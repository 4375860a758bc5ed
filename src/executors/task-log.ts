import pino, { type Logger } from 'pino';
import { taskFolder } from '../core/binding';
import { redact } from '../core/redact';
import type { TargetStore } from '../core/target';

/** pino's numeric levels for the lines nectar writes itself. */
const LEVEL = { debug: 20, info: 30, warn: 40, error: 50 } as const;

/**
 * The log of one attempt: lines in pino's JSON format, kept for the `log` file and passed on
 * as they come. The pino logger for the task's own lines is made on first use of `ctx.log`,
 * because making one costs more than a no-op task (nectar's own start/end lines are
 * formatted here directly, in the same shape).
 */
export class TaskLog {
  readonly lines: string[] = [];
  #logger: Logger | undefined;

  constructor(
    private readonly taskId: string,
    private readonly attempt: number,
    private readonly onLine: (line: string) => void,
  ) {}

  get logger(): Logger {
    this.#logger ??= pino(
      { base: { task: this.taskId, attempt: this.attempt }, timestamp: pino.stdTimeFunctions.isoTime },
      { write: (line: string) => this.push(line) },
    );
    return this.#logger;
  }

  /** A line of nectar's own, in the same JSON shape pino writes. */
  write(level: keyof typeof LEVEL, msg: string, fields: Record<string, unknown> = {}): void {
    const line = JSON.stringify({ level: LEVEL[level], time: new Date().toISOString(), task: this.taskId, attempt: this.attempt, ...fields, msg });
    this.push(`${line}\n`);
  }

  text(): string {
    return this.lines.join('');
  }

  /** A line written elsewhere (a worker process), kept and passed on. */
  append(line: string): void {
    this.push(line);
  }

  private push(raw: string): void {
    // A secret setting a task prints is never kept or passed on.
    const line = redact(raw);
    this.lines.push(line);
    this.onLine(line);
  }
}

/**
 * Write an attempt's lines to the task's `log` file. A first attempt starts the file afresh;
 * a later one (a retry) keeps what the earlier attempts wrote and adds its own after them, so
 * the file tells the whole story (each line says its `attempt`). The read happens only on
 * retries, never on the hot path of a first attempt.
 */
export async function writeTaskLog(store: TargetStore, taskId: string, attempt: number, text: string): Promise<void> {
  const target = store.target(`${taskFolder(taskId)}/log`);
  const before = attempt > 1 ? await target.readText().catch(() => '') : '';
  await target.write(before + text);
}
