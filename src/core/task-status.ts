import type { SerializedError } from './errors';
import type { TaskState } from './states';

/**
 * What nectar says about one task: the answer of `GET /api/chainstatus` and of the POST of a
 * task. The runtime builds it (`taskStatus`), the API sends it, the UI reads it (through the
 * API's wire module); declared once, here, so the three cannot drift.
 */
export interface TaskStatus {
  task_id: string;
  job_status: TaskState;
  run_id: string | null;
  /** The first output's link (presigned on S3), for DONE tasks. */
  resource_url: string | null;
  /** Every output's link, when there are several. */
  resources: string[];
  /** Seconds the links stay valid; null for links that do not expire. */
  expires_in: number | null;
  error?: SerializedError | null;
  /** DONE but stale: why (an upstream version changed, an input was rebuilt since...). Absent when fresh. */
  stale?: readonly string[];
}
