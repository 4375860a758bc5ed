import type { EventBus } from '../core/events';
import { isTerminal } from '../core/states';
import type { RunResult } from '../scheduler/scheduler';
import type { RunRow, RunStore, TaskRow } from '../store/types';

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Writes what runs do into the run store. Task rows live in memory while their run is active
 * (the API reads them there) and changed rows are flushed once per turn of the event loop in
 * one transaction, so a 10,000-task run costs a few writes, not 30,000.
 */
export class Recorder {
  readonly #tasks = new Map<string, Map<string, TaskRow>>();
  readonly #dirty = new Map<string, TaskRow>();
  #flushing: Promise<void> | undefined;
  #scheduled = false;
  readonly #offs: (() => void)[] = [];

  constructor(
    private readonly store: RunStore,
    events: EventBus,
    private readonly onError: (err: unknown) => void,
  ) {
    this.#offs.push(
      events.on('task:added', (e) => {
        const rows = this.#tasks.get(e.runId);
        if (!rows) return;
        const row: TaskRow = { runId: e.runId, taskId: e.taskId, name: e.name, params: e.params as TaskRow['params'], state: 'PENDING', skipped: false, attempts: 0, deps: [...e.deps] };
        if (e.stale) row.stale = e.stale;
        rows.set(e.taskId, row);
        this.#mark(row);
      }),
      events.on('task:state', (e) => {
        const row = this.#tasks.get(e.runId)?.get(e.taskId);
        if (!row) return;
        row.state = e.state;
        row.attempts = e.attempt;
        if (e.skipped) row.skipped = true;
        if (e.state === 'RUNNING') row.startedAt ??= e.at;
        if (isTerminal(e.state)) row.endedAt = e.at;
        if (e.error) row.error = e.error;
        this.#mark(row);
      }),
    );
  }

  /** Start recording a run (before it starts, so no event is missed). */
  track(run: RunRow): void {
    this.#tasks.set(run.id, new Map());
  }

  /** Task rows of an active run, from memory. */
  activeTasks(runId: string): TaskRow[] | undefined {
    const rows = this.#tasks.get(runId);
    return rows ? [...rows.values()] : undefined;
  }

  /** The in-memory row of a task in an active run (newest run first), if any. */
  find(taskId: string): TaskRow | undefined {
    let found: TaskRow | undefined;
    for (const rows of this.#tasks.values()) found = rows.get(taskId) ?? found;
    return found;
  }

  /** The in-memory rows of a task id, one per active run that has it. */
  rowsOf(taskId: string): TaskRow[] {
    const out: TaskRow[] = [];
    for (const rows of this.#tasks.values()) {
      const row = rows.get(taskId);
      if (row) out.push(row);
    }
    return out;
  }

  /**
   * The run ended: write every task as the scheduler saw it last (dynamic edges included), then
   * forget it. `after` (the run's own row) is issued right behind the task rows, in the same
   * turn, so that both share a commit and no reader sees the run ended before its tasks.
   */
  async finish(result: RunResult, after?: () => Promise<void>): Promise<void> {
    // Every row was written as it changed; only those whose edges the run added to since
    // (dynamic requirements) are written again, with the rest of what is pending.
    const rows = this.#tasks.get(result.runId);
    if (rows) {
      for (const rec of result.tasks.values()) {
        const row = rows.get(rec.id);
        if (row && !sameList(row.deps, rec.deps)) {
          row.deps = [...rec.deps];
          this.#dirty.set(`${row.runId}\n${row.taskId}`, row);
        }
      }
    }
    await this.flush(after);
    this.#tasks.delete(result.runId);
  }

  #mark(row: TaskRow): void {
    this.#dirty.set(`${row.runId}\n${row.taskId}`, row);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.flush().catch(this.onError);
    });
  }

  /** Write the changed rows now (and `after`'s write behind them). */
  async flush(after?: () => Promise<void>): Promise<void> {
    while (this.#flushing) await this.#flushing;
    if (this.#dirty.size === 0) return after?.();
    const rows = [...this.#dirty.values()].map((r) => ({ ...r, deps: [...r.deps] }));
    this.#dirty.clear();
    const written = this.store.putTasks(rows);
    const behind = after?.();
    this.#flushing = written.finally(() => {
      this.#flushing = undefined;
    });
    await Promise.all([this.#flushing, behind]);
  }

  close(): void {
    for (const off of this.#offs) off();
  }
}
