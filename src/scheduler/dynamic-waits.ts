import { NectarError } from '../core/errors';
import type { TaskState } from '../core/states';

interface Waiter {
  ids: Set<string>;
  resolve(): void;
  reject(err: Error): void;
}

/**
 * The `ctx.require()` calls of one run waiting for their tasks: each resolves once all its
 * tasks are DONE, and rejects as soon as one of them ends otherwise.
 */
export class DynamicWaits {
  readonly #waiters = new Set<Waiter>();

  /** Wait for these task ids; call `notify` after any of them changes state. */
  wait(ids: Set<string>): Promise<void> {
    return new Promise<void>((resolve, reject) => this.#waiters.add({ ids, resolve, reject }));
  }

  /** Settle every wait whose tasks have all ended (`stateOf` gives a task's state now). */
  notify(stateOf: (id: string) => TaskState | undefined): void {
    for (const w of this.#waiters) {
      let allDone = true;
      for (const id of w.ids) {
        const s = stateOf(id);
        if (s === 'DONE') continue;
        allDone = false;
        if (s === 'FAILED' || s === 'UPSTREAM_FAILED' || s === 'CANCELLED') {
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
