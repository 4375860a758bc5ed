import type { SerializedError } from '../core/errors';

/** How a child finds a task: the chain file that exports it, and its parameters. */
export interface TaskRef {
  file: string;
  type: string;
  chain: string;
  name: string;
  params: Record<string, unknown>;
}

/** Parent -> child. */
export type ToChild =
  | { type: 'run'; runId: string; attempt: number; task: TaskRef }
  | { type: 'required'; reqId: number; error?: SerializedError };

/** Child -> parent. */
export type FromChild =
  | { type: 'ready' }
  | { type: 'log'; line: string }
  | { type: 'require'; reqId: number; tasks: TaskRef[] }
  | { type: 'done' }
  | { type: 'failed'; error: SerializedError };
