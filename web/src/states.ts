/**
 * How the UI shows task, run and schedule states: a label and a symbol each, so that colour is never the
 * only cue. The states themselves, and the sets they fall into, are the server's (wire module).
 */
import type { PartitionStateJson, RunState, ScheduleSummary, TaskState } from '../../src/api/wire';

interface StateLook {
  label: string;
  symbol: string;
}

const TASK_LOOK: Record<TaskState, StateLook> = {
  PENDING: { label: 'pending', symbol: '○' },
  QUEUED: { label: 'queued, waiting for a worker', symbol: '◔' },
  RUNNING: { label: 'running', symbol: '▶' },
  DONE: { label: 'done', symbol: '✓' },
  FAILED: { label: 'failed', symbol: '✗' },
  UPSTREAM_FAILED: { label: 'upstream failed', symbol: '⊘' },
  CANCELLED: { label: 'cancelled', symbol: '■' },
};

const RUN_LOOK: Record<RunState, StateLook> = {
  QUEUED: { label: 'queued', symbol: '○' },
  RUNNING: { label: 'running', symbol: '▶' },
  SUCCEEDED: { label: 'succeeded', symbol: '✓' },
  FAILED: { label: 'failed', symbol: '✗' },
  CANCELLED: { label: 'cancelled', symbol: '■' },
  SKIPPED: { label: 'skipped, already complete', symbol: '↷' },
};

const SCHEDULE_LOOK: Record<ScheduleSummary['state'], StateLook> = {
  active: { label: 'active', symbol: '●' },
  paused: { label: 'paused', symbol: '‖' },
};

const PARTITION_LOOK: Record<PartitionStateJson, StateLook> = {
  DONE: { label: 'done', symbol: '✓' },
  STALE: { label: 'stale (built from inputs that changed since)', symbol: '≈' },
  FAILED: { label: 'failed', symbol: '✗' },
  RUNNING: { label: 'running', symbol: '▶' },
  MISSING: { label: 'missing', symbol: '○' },
};

/** Partition states in the order the grid's legend shows them. */
export const PARTITION_STATES = Object.keys(PARTITION_LOOK) as PartitionStateJson[];

export function taskLook(s: TaskState): StateLook {
  return TASK_LOOK[s] ?? { label: String(s).toLowerCase(), symbol: '?' };
}

export function runLook(s: RunState): StateLook {
  return RUN_LOOK[s] ?? { label: String(s).toLowerCase(), symbol: '?' };
}

export function scheduleLook(s: ScheduleSummary['state']): StateLook {
  return SCHEDULE_LOOK[s] ?? { label: String(s), symbol: '?' };
}

export function partitionLook(s: PartitionStateJson): StateLook {
  return PARTITION_LOOK[s] ?? { label: String(s).toLowerCase(), symbol: '?' };
}

/** CSS class of a state: `st-pending`, `st-upstream-failed`... */
export function stateClass(s: string): string {
  return `st-${s.toLowerCase().replace(/_/g, '-')}`;
}
