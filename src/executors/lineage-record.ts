import { requiredTasks } from '../core/binding';
import { type Lineage, type LineageInput, makeLineage } from '../core/lineage';
import type { TargetStore } from '../core/target';
import { type AnyTask, taskOptions } from '../core/task';
import { markBuilt } from './lineage-family';
import { type LineageSummary, lineageSummaries, writeLineage } from './lineage-store';

function isEmpty(o: object): boolean {
  for (const _ in o) return false;
  return true;
}

/**
 * The lineage of one attempt's build: written before `run()` from the static requirements,
 * and again after each `ctx.require()` with the dynamic ones added, so that no output of the
 * attempt is ever visible without a lineage that names what it was built from.
 */
export class LineageRecord {
  readonly #inputs: LineageInput[] = [];
  // Made when there is an input: most builds (a fan-in's leaves) have none.
  #upstream: Map<string, LineageSummary['upstream']> | undefined;
  #seen: Set<string> | undefined;
  readonly #builtAt = new Date().toISOString();
  #last: Lineage | undefined;

  constructor(
    private readonly task: AnyTask,
    private readonly store: TargetStore,
    private readonly runId: string,
  ) {}

  /** The first write: the task's `requires()`. */
  start(): Promise<void> {
    return this.add(requiredTasks(this.task), false);
  }

  /** Inputs asked for while running (`ctx.require()`), then the file written again. */
  async add(tasks: readonly AnyTask[], dynamic: boolean): Promise<void> {
    const fresh: AnyTask[] = [];
    const seen = tasks.length > 0 ? (this.#seen ??= new Set()) : undefined;
    for (const t of tasks) {
      if (seen?.has(t.id)) continue;
      seen?.add(t.id);
      fresh.push(t);
    }
    if (dynamic && fresh.length === 0) return;
    const versions = fresh.map((t) => taskOptions(t).version ?? null);
    const sums = fresh.length > 0 ? await lineageSummaries(this.store, fresh.map((t, i) => ({ id: t.id, version: versions[i] ?? null })), this.runId) : [];
    fresh.forEach((t, i) => {
      const s = sums[i];
      const input: LineageInput = { id: t.id, version: versions[i] ?? null, fingerprint: s?.fingerprint ?? null, builtAt: s?.builtAt ?? null };
      this.#inputs.push(dynamic ? { ...input, dynamic: true } : input);
      // Most inputs (a fan-in's leaves) were built from nothing: nothing to remember of them.
      if (s && !isEmpty(s.upstream)) (this.#upstream ??= new Map()).set(t.id, s.upstream);
    });
    const task = this.task;
    this.#last = makeLineage({ id: task.id, version: taskOptions(task).version ?? null, runId: this.runId, builtAt: this.#builtAt, inputs: this.#inputs, upstreamOf: (i) => this.#upstream?.get(i.id) });
    await writeLineage(this.store, this.#last);
  }

  /** The build succeeded: its family learns what it was built from, and that it was built now. */
  finish(): void {
    if (this.#last) markBuilt(this.store, this.#last);
  }
}
