/** Task and run states as the API names them, with a symbol each so that colour is never the only cue. */
export const TASK_STATES = ['PENDING', 'QUEUED', 'RUNNING', 'DONE', 'FAILED', 'UPSTREAM_FAILED', 'CANCELLED'] as const;
export type TaskState = (typeof TASK_STATES)[number];
export const RUN_STATES = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
export type RunState = (typeof RUN_STATES)[number];

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
};

export function taskLook(s: TaskState): StateLook {
  return TASK_LOOK[s] ?? { label: String(s).toLowerCase(), symbol: '?' };
}

export function runLook(s: RunState): StateLook {
  return RUN_LOOK[s] ?? { label: String(s).toLowerCase(), symbol: '?' };
}

/** CSS class of a state: `st-pending`, `st-upstream-failed`... */
export function stateClass(s: string): string {
  return `st-${s.toLowerCase().replace(/_/g, '-')}`;
}

export function isActiveRun(s: RunState): boolean {
  return s === 'QUEUED' || s === 'RUNNING';
}

export function isTerminalTask(s: TaskState): boolean {
  return s !== 'PENDING' && s !== 'QUEUED' && s !== 'RUNNING';
}
