import { checkComplete } from '../core/binding';
import type { AnyTask } from '../core/task';
import type { RunStore, TaskRow } from '../store/types';
import { type BackfillRequest, backfillRow } from './backfill-request';
import type { Runtime } from './runtime';

/**
 * A partition's state: its outputs exist and are fresh (DONE) or stale (STALE: built from
 * inputs that changed since), else what its latest run made of it; MISSING when none did.
 */
export type PartitionState = 'DONE' | 'STALE' | 'FAILED' | 'RUNNING' | 'MISSING';
export const PARTITION_STATES: readonly PartitionState[] = ['DONE', 'STALE', 'FAILED', 'RUNNING', 'MISSING'];

export interface PartitionCell {
  readonly value: string;
  readonly state: PartitionState;
  readonly taskId: string;
  /** The latest run that recorded this partition's task, if any. */
  readonly runId: string | undefined;
  /** A schedule's deadline for this partition passed before it was DONE. */
  readonly deadlineMissed: boolean;
}

export interface Partitions {
  readonly ref: string;
  readonly over: string;
  readonly range: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly cells: readonly PartitionCell[];
}

/** What a latest task row says of a partition whose outputs do not exist. */
function fromRow(row: TaskRow | undefined): PartitionState {
  switch (row?.state) {
    case 'PENDING':
    case 'QUEUED':
    case 'RUNNING':
      return 'RUNNING';
    case 'FAILED':
    case 'UPSTREAM_FAILED':
      return 'FAILED';
    default:
      return 'MISSING'; // never run, cancelled, or DONE once and its outputs since removed
  }
}

/**
 * The state of each partition of a task over a range (or list), for the partitions view:
 * completeness in one batched check (one listing per task family on S3, not a request per
 * cell), then the latest recorded run of each partition's task (one batched read of the
 * store). The range is checked as a backfill's is (`BAD_RANGE`, the same cap).
 */
export async function partitionStates(rt: Runtime, store: RunStore, q: Omit<BackfillRequest, 'concurrency'>): Promise<Partitions> {
  const { row, tasks } = backfillRow(rt, q, Date.now());
  const complete = await checkComplete(tasks, rt.store);
  const ids = tasks.map((t: AnyTask) => t.id);
  const [latest, misses, stale] = await Promise.all([store.latestTasks(ids), store.deadlineMisses(ids), rt.freshness({ localOnly: true }).stale(tasks.filter((_, i) => complete[i]))]);
  const cells = tasks.map((t, i): PartitionCell => {
    const last = latest.get(t.id);
    const state = complete[i] ? (stale.has(t.id) ? 'STALE' : 'DONE') : fromRow(last);
    return { value: row.values[i] as string, state, taskId: t.id, runId: last?.runId, deadlineMissed: misses.has(t.id) };
  });
  return { ref: row.ref, over: row.over, range: row.range, params: row.params, cells };
}
