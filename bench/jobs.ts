/**
 * What the bench asks a child process to measure, and what the child answers. Each job runs
 * in a fresh process (see child.ts): its peak RSS is then exactly its own, and no shape
 * inherits another's heap, JIT state or caches.
 */

export type Job =
  /** One root requiring `n` leaves, nothing done yet. */
  | { kind: 'fanin'; root: string; chains: string; n: number; workers: number }
  /** Link i requires link i-1, `n` deep, nothing done yet. */
  | { kind: 'chain'; root: string; chains: string; n: number; workers: number }
  /** `n` leaves complete: `expect` says whether the root is missing (`resume`) or done too (`noop`). */
  | { kind: 'resume'; root: string; chains: string; n: number; workers: number; expect: 'resume' | 'noop' }
  /** Raw floor: per task mkdir + four files (temp + rename), synchronous calls. */
  | { kind: 'floor-sync'; root: string; n: number; folder: string }
  /** `n` leaves and the root complete: a full staleness check of the root (every lineage upstream read). */
  | { kind: 'stale'; root: string; chains: string; n: number }
  /** Raw floor: the same with fs.promises, `inflight` tasks at once. */
  | { kind: 'floor-async'; root: string; n: number; folder: string; inflight: number }
  /** Raw floor of resume: `n` existence checks of the leaves' out.txt, then the root's writes. */
  | { kind: 'floor-exists'; root: string; n: number }
  /** Not measured: write `n` complete leaves (out.txt, params.json, log, lineage.json), as nectar would have built them, for resume/noop. */
  | { kind: 'setup-leaves'; root: string; n: number };

export interface JobResult {
  /** Wall time of the measured part only (process start-up and set-up excluded). */
  readonly seconds: number;
  /** Tasks the measured part handled (run or, for existence checks, checked). */
  readonly tasks: number;
  /** Peak RSS of the whole child process, from `process.resourceUsage().maxRSS`. */
  readonly peakMB: number;
  /** RSS just before the measured part: the process's own baseline. */
  readonly baselineMB: number;
}

/** The line a child prints its result on (anything else on stdout is ignored). */
export const RESULT_PREFIX = 'BENCH_RESULT ';

/** Warm-up size run before throughput measurements (fan-in, chain, write floors). */
export const WARMUP_TASKS = 200;
