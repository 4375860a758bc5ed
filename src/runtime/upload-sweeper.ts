import type { Logger } from 'pino';
import type { S3TargetStore } from '../targets/s3';

/** Calls `fn` every `ms` until the returned cancel is called. */
export type IntervalTimer = (fn: () => void, ms: number) => () => void;

const DAY_MS = 24 * 3600_000;

/** setInterval that never keeps the process alive by itself. */
const unrefInterval: IntervalTimer = (fn, ms) => {
  const t = setInterval(fn, ms);
  t.unref();
  return () => clearInterval(t);
};

/** What {@link startUploadSweeper} needs. */
export interface UploadSweeperOptions {
  store: Pick<S3TargetStore, 'abortStaleUploads' | 'location'>;
  /** Uploads begun longer ago than this are aborted (`NECTAR_S3_UPLOAD_MAX_AGE`). */
  maxAgeMs: number;
  logger: Logger;
  /** The clock uploads are aged by (default Date.now). */
  now?: () => number;
  /** Schedules the repeat (default: an unref'd setInterval). */
  setTimer?: IntervalTimer;
  /** Time between sweeps (default one day). */
  everyMs?: number;
  /** Keys swept (default `chains/`, where every output lives). */
  prefix?: string;
}

/** A running sweeper. */
export interface UploadSweeper {
  /** Resolves once no sweep is in flight. */
  idle(): Promise<void>;
  /** No more sweeps; resolves once the one in flight (if any) is done. */
  stop(): Promise<void>;
}

/**
 * Abort the multipart uploads that writers killed mid-upload left (invisible, but billed):
 * once now, then every day. Never throws: a failed sweep is logged as a warning and the next
 * one tries again.
 */
export function startUploadSweeper(o: UploadSweeperOptions): UploadSweeper {
  const now = o.now ?? Date.now;
  const prefix = o.prefix ?? 'chains/';
  let running: Promise<void> | undefined;
  let stopped = false;
  const once = async (): Promise<void> => {
    try {
      const aborted = await o.store.abortStaleUploads(prefix, o.maxAgeMs, now());
      o.logger.info({ aborted, store: o.store.location, maxAgeMs: o.maxAgeMs }, `aborted ${aborted} stale multipart upload(s)`);
    } catch (err) {
      o.logger.warn({ err, store: o.store.location }, 'could not abort stale multipart uploads; trying again at the next sweep');
    }
  };
  const sweep = (): void => {
    // One at a time: a listing slower than the interval must not pile up.
    if (stopped || running) return;
    running = once().finally(() => {
      running = undefined;
    });
  };
  const cancel = (o.setTimer ?? unrefInterval)(sweep, o.everyMs ?? DAY_MS);
  sweep();
  return {
    idle: async () => {
      await running;
    },
    stop: async () => {
      stopped = true;
      cancel();
      await running;
    },
  };
}
