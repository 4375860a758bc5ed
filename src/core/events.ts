import type { SerializedError } from './errors';
import type { RunState, TaskState } from './states';

/** Every event a run emits, by name; one payload object each. */
export interface NectarEventMap {
  'run:start': { runId: string; rootId: string; at: number };
  'run:end': { runId: string; state: RunState; at: number; counts: Record<TaskState, number>; error?: SerializedError };
  /** A task entered the DAG of a run (statically or as a dynamic dependency). */
  'task:added': { runId: string; taskId: string; name: string; params: Readonly<Record<string, unknown>>; deps: readonly string[]; at: number; /** Complete but stale: why. */ stale?: readonly string[] };
  /** Every state change. `skipped` is true for DONE because its outputs already existed. */
  'task:state': {
    runId: string;
    taskId: string;
    state: TaskState;
    previous: TaskState | undefined;
    at: number;
    attempt: number;
    skipped?: boolean;
    error?: SerializedError;
    /** Set for UPSTREAM_FAILED: the failed task that caused it. */
    cause?: string;
  };
  'task:retry': { runId: string; taskId: string; attempt: number; delayMs: number; error: SerializedError; at: number };
  'task:log': { runId: string; taskId: string; line: string };
}

export type NectarEventName = keyof NectarEventMap;
type Listener<K extends NectarEventName> = (payload: NectarEventMap[K]) => void;

/**
 * A small typed event bus. A throwing listener is reported through `onListenerError` and
 * never breaks the emitter or the other listeners.
 */
export class EventBus {
  readonly #listeners = new Map<NectarEventName, Set<(payload: never) => void>>();
  constructor(private readonly onListenerError: (err: unknown, event: NectarEventName) => void = () => undefined) {}

  on<K extends NectarEventName>(event: K, fn: Listener<K>): () => void {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(fn as (payload: never) => void);
    return () => set.delete(fn as (payload: never) => void);
  }

  hasListeners(event: NectarEventName): boolean {
    return (this.#listeners.get(event)?.size ?? 0) > 0;
  }

  emit<K extends NectarEventName>(event: K, payload: NectarEventMap[K]): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const fn of set) {
      try {
        (fn as Listener<K>)(payload);
      } catch (err) {
        this.onListenerError(err, event);
      }
    }
  }
}
