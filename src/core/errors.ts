import { redact } from './redact';
/**
 * Every error nectar raises on purpose carries a stable code, a message that names what was
 * wrong, and (for the API) an HTTP status. The table is the single place codes are defined.
 */
export const ERROR_CODES = {
  BAD_PARAM: { status: 400, doc: 'a parameter value is invalid (wrong type, out of range, not allowed)' },
  MISSING_PARAM: { status: 400, doc: 'a required parameter was not given' },
  UNKNOWN_PARAM: { status: 400, doc: 'a parameter the task does not declare was given' },
  UNKNOWN_TASK: { status: 404, doc: 'no discovered task has that name' },
  AMBIGUOUS_TASK: { status: 400, doc: 'a task name exists in several chains of a type: qualify it with the chain' },
  BAD_TASK_DEFINITION: { status: 500, doc: 'a task class is defined wrongly (bad requires/output shape, unregistered class)' },
  CYCLE: { status: 400, doc: 'the requirements of a task form a cycle' },
  STALE: { status: 409, doc: 'a complete task is stale (built from inputs that have changed) and the stale policy is `fail`' },
  TIMEOUT: { status: 500, doc: 'a task ran longer than its timeout and was stopped' },
  CANCELLED: { status: 409, doc: 'the run was cancelled' },
  NON_RETRYABLE: { status: 500, doc: 'a task failed on purpose with NonRetryableError: no retries' },
  TASK_FAILED: { status: 500, doc: 'a task threw' },
  WORKER_CRASHED: { status: 500, doc: 'the worker process running a task exited unexpectedly' },
  QUEUE_ERROR: { status: 503, doc: 'distributed mode: a task could not be queued in, or heard back from, BullMQ on Redis' },
  BAD_CONFIG: { status: 500, doc: 'a configuration variable has a bad value' },
  USAGE: { status: 400, doc: 'a command was used wrongly' },
  RUN_NOT_FOUND: { status: 404, doc: 'no run has that id' },
  UNKNOWN_SCHEDULE: { status: 404, doc: 'no task declares a schedule of that name' },
  BAD_RANGE: { status: 400, doc: 'a partition range is inverted, malformed or longer than the cap' },
  BACKFILL_NOT_FOUND: { status: 404, doc: 'no backfill has that id' },
  RUN_ACTIVE: { status: 409, doc: 'the run is still in flight' },
  RUN_SUCCEEDED: { status: 409, doc: 'the run succeeded: nothing to retry' },
  RUN_NOT_ACTIVE: { status: 409, doc: 'the run is not in flight: nothing to cancel' },
  TASK_NOT_FOUND: { status: 404, doc: 'no run has recorded that task id and its outputs do not exist' },
  NOT_FOUND: { status: 404, doc: 'no such route or resource' },
  METHOD_NOT_ALLOWED: { status: 405, doc: 'the route exists but not with that method' },
  BAD_REQUEST: { status: 400, doc: 'the request is malformed (bad JSON body, bad path segment, bad query value)' },
  PAYLOAD_TOO_LARGE: { status: 413, doc: 'the request body is larger than the limit' },
  UNAUTHORIZED: { status: 401, doc: 'the bearer token is missing or wrong' },
  INTERRUPTED: { status: 500, doc: 'the server stopped while the run was in flight' },
  INTERNAL: { status: 500, doc: 'a fault of nectar itself (the stack goes to the server log, not the answer)' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The base of every deliberate nectar error. `details` is JSON-safe. */
export class NectarError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;
  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'NectarError';
    this.code = code;
    this.details = details;
  }
  get status(): number {
    return ERROR_CODES[this.code].status;
  }
}

/** Throw from `run` to fail a task at once, without the retries its policy would allow. */
export class NonRetryableError extends Error {
  readonly nonRetryable = true;
  readonly code = 'NON_RETRYABLE';
  constructor(message: string) {
    super(message);
    this.name = 'NonRetryableError';
  }
}

/** An error as it crosses a process boundary or enters the run store. */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
  nonRetryable?: boolean;
}

export function serializeError(err: unknown): SerializedError {
  // Secret settings never leave in an error (message or stack).
  if (err instanceof Error) {
    const out: SerializedError = { name: err.name, message: redact(err.message) };
    if (err.stack !== undefined) out.stack = redact(err.stack);
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string') out.code = code;
    if ((err as { nonRetryable?: unknown }).nonRetryable === true) out.nonRetryable = true;
    return out;
  }
  return { name: 'Error', message: redact(typeof err === 'string' ? err : JSON.stringify(err) ?? String(err)) };
}

/** Rebuild an Error from its serialized form (stack kept, so traces survive the trip). */
export function deserializeError(s: SerializedError): Error {
  const err = s.nonRetryable ? new NonRetryableError(s.message) : new Error(s.message);
  err.name = s.name;
  if (s.stack !== undefined) err.stack = s.stack;
  if (s.code !== undefined) (err as Error & { code?: string }).code = s.code;
  return err;
}

export function isNonRetryable(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { nonRetryable?: unknown }).nonRetryable === true;
}
