/**
 * The JSON of backfills and of the partitions view (`/api/backfills`, `/api/partitions`), as
 * types: part of the API's wire module (wire.ts re-exports them; the UI imports them from there).
 */

/** Partitions of a backfill by state. */
export interface BackfillProgressJson {
  pending: number;
  running: number;
  done: number;
  failed: number;
  cancelled: number;
}

/** A backfill (`GET /api/backfills`, and the answer of starting one). Times are epoch ms. */
export interface BackfillSummary {
  backfill_id: string;
  /** The task's reference, `type/chain/Task`. */
  task: string;
  /** The parameter each partition sets. */
  over: string;
  /** `2012-01-01..2012-12-31 by day`, or `list`. */
  range: string;
  /** The other parameters, the same for every partition. */
  params: Record<string, unknown>;
  concurrency: number;
  state: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
  created_at: number;
  ended_at: number | null;
  partitions: number;
  progress: BackfillProgressJson;
  url: string;
}

/** `GET /api/backfills`. */
export interface BackfillPage {
  backfills: BackfillSummary[];
  total: number;
  limit: number;
  offset: number;
}

/** `GET /api/backfills/:id`: the summary and every partition, in order. */
export type BackfillDetailJson = BackfillSummary & {
  parts: Array<{ value: string; state: 'PENDING' | 'RUNNING' | 'DONE' | 'FAILED' | 'CANCELLED'; run_id: string | null; url: string | null }>;
};

/** A partition's state in the partitions view: outputs exist, or what its latest run made of it. */
export type PartitionStateJson = 'DONE' | 'STALE' | 'FAILED' | 'RUNNING' | 'MISSING';

/** `GET /api/partitions/<type>/<Task>?from=&to=`: each partition value's state, in order. */
export interface PartitionsAnswer {
  /** The task's reference, `type/chain/Task`. */
  task: string;
  /** The parameter each partition sets. */
  over: string;
  /** `2012-01-01..2012-12-31 by day`, or `list`. */
  range: string;
  /** The other parameters (defaults filled in). */
  params: Record<string, unknown>;
  counts: Record<PartitionStateJson, number>;
  /** `run_id`: the latest run that recorded the partition's task (open it at `/api/runs/<run_id>`). */
  /** `deadline_missed`: a schedule's deadline for this partition passed before it was DONE. */
  partitions: Array<{ value: string; state: PartitionStateJson; task_id: string; run_id: string | null; deadline_missed: boolean }>;
}
