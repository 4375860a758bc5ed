import { NectarError } from '../core/errors';
import type { AttemptAbort } from '../core/executor';
import { type TaskState, isFailedLike } from '../core/states';
import type { AnyTask } from '../core/task';
import type { Dag } from '../dag/graph';
import type { Slots } from './slots';
import type { TaskRecord } from './types';

/** What `ctx.require()` needs of its run; made once per run, so no call allocates it. */
export interface DynamicHost {
  readonly dag: Dag;
  readonly slots: Slots;
  /** New DAG nodes enter the run. */
  admit(ids: readonly string[]): void;
  /** True while `ctl` is the running attempt of task `id`. */
  holds(id: string, ctl: AttemptAbort): boolean;
  /** Hand free slots out. */
  pump(): void;
  /** A task's state now; undefined when it is not in the run. */
  stateOf(id: string): TaskState | undefined;
}

interface Waiter {
  ids: Set<string>;
  resolve(): void;
  reject(err: Error): void;
}

/**
 * Dynamic requirements (`ctx.require()` from a task's run): the tasks enter the DAG and the
 * run, the caller's slot is free while they run, and it resumes once all are DONE, or fails
 * as soon as one of them ends otherwise.
 */
export class DynamicRequirements {
  readonly #waiters = new Set<Waiter>();

  constructor(private readonly run: DynamicHost) {}

  async require(requester: TaskRecord, ctl: AttemptAbort, tasks: readonly AnyTask[]): Promise<void> {
    const { dag, slots } = this.run;
    const ids = new Set(tasks.map((t) => t.id));
    const added = await dag.expand(tasks);
    // Edges for the picture of the run; the requester is running, so they gate nothing.
    for (const id of ids) {
      if (!dag.graph.hasEdge(id, requester.id)) {
        dag.graph.setEdge(id, requester.id);
        requester.deps.push(id);
      }
    }
    this.run.admit(added);
    slots.park(ctl, this.run.holds(requester.id, ctl));
    const wait = new Promise<void>((resolve, reject) => this.#waiters.add({ ids, resolve, reject }));
    this.notify();
    this.run.pump();
    let error: unknown;
    try {
      await wait;
    } catch (e) {
      error = e;
    }
    // The attempt ended while it waited: its slot is given back already, nothing to resume.
    if (!(await slots.unpark(ctl, () => this.run.pump()))) throw error ?? ctl.reason ?? new NectarError('CANCELLED', 'the attempt ended');
    if (error) throw error;
  }

  /** Settle every wait whose tasks have all ended; called after any task ends. */
  notify(): void {
    for (const w of this.#waiters) {
      let allDone = true;
      for (const id of w.ids) {
        const s = this.run.stateOf(id);
        if (s === 'DONE') continue;
        allDone = false;
        if (s !== undefined && isFailedLike(s)) {
          this.#waiters.delete(w);
          w.reject(new NectarError('TASK_FAILED', `dynamic requirement ${id} ended ${s}`));
          break;
        }
      }
      if (allDone) {
        this.#waiters.delete(w);
        w.resolve();
      }
    }
  }
}
