import pino, { type Logger } from 'pino';
import { redact } from '../core/redact';

/** pino's numeric levels for the lines nectar writes itself. */
const LEVEL = { info: 30, error: 50 } as const;

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
