import type { EventBus } from '../core/events';
import { isTerminal } from '../core/states';

/** The last `limit` lines of one task, oldest first, and how many earlier ones were dropped. */
class LineRing {
  readonly #lines: string[] = [];
  #head = 0;
  dropped = 0;

  constructor(private readonly limit: number) {}

  push(line: string): void {
    if (this.#lines.length < this.limit) {
      this.#lines.push(line);
      return;
    }
    this.#lines[this.#head] = line;
    this.#head = (this.#head + 1) % this.limit;
    this.dropped++;
  }

  lines(): string[] {
    return [...this.#lines.slice(this.#head), ...this.#lines.slice(0, this.#head)];
  }
}

/** What a live log answers: its lines (each as written, newline included). */
export interface LiveLog {
  readonly lines: string[];
  /** Earlier lines no longer kept. */
  readonly dropped: number;
}

/**
 * The log lines of tasks running now, from `task:log` events: a bounded buffer per task in a
 * run, dropped when the task reaches a terminal state (its `log` file is written by then) or
 * its run ends. Retries of a task keep adding to its buffer.
 */
export class LiveLogs {
  /** task id -> run id -> lines. */
  readonly #byTask = new Map<string, Map<string, LineRing>>();
  readonly #offs: (() => void)[];

  constructor(
    events: EventBus,
    private readonly limit = 2000,
  ) {
    this.#offs = [
      events.on('task:log', (e) => {
        let runs = this.#byTask.get(e.taskId);
        if (!runs) {
          runs = new Map();
          this.#byTask.set(e.taskId, runs);
        }
        let ring = runs.get(e.runId);
        if (!ring) {
          ring = new LineRing(this.limit);
          runs.set(e.runId, ring);
        }
        ring.push(e.line);
      }),
      events.on('task:state', (e) => {
        if (isTerminal(e.state)) this.#drop(e.taskId, e.runId);
      }),
      events.on('run:end', (e) => {
        for (const taskId of [...this.#byTask.keys()]) this.#drop(taskId, e.runId);
      }),
    ];
  }

  /** The live log of a task running now (in the newest run logging it), if any. */
  get(taskId: string): LiveLog | undefined {
    const runs = this.#byTask.get(taskId);
    if (!runs) return undefined;
    let ring: LineRing | undefined;
    for (const r of runs.values()) ring = r;
    return ring && { lines: ring.lines(), dropped: ring.dropped };
  }

  /** Tasks with a live log now. */
  get size(): number {
    return this.#byTask.size;
  }

  close(): void {
    for (const off of this.#offs) off();
    this.#byTask.clear();
  }

  #drop(taskId: string, runId: string): void {
    const runs = this.#byTask.get(taskId);
    if (!runs?.delete(runId)) return;
    if (runs.size === 0) this.#byTask.delete(taskId);
  }
}
