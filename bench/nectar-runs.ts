/**
 * The nectar side of the bench: a runtime over a target folder, one timed `rt.run`, and the
 * checks that make a broken run fail loudly instead of printing a good figure.
 */
import pino from 'pino';
import type { AnyTask } from '../src/index';
import { loadConfig } from '../src/runtime/config';
import { Runtime } from '../src/runtime/runtime';
import type { RunResult } from '../src/scheduler/scheduler';

/** A runtime writing targets under `root`, discovering nothing (`chains` is an empty folder). */
export function benchRuntime(root: string, chains: string): Runtime {
  return new Runtime({ config: loadConfig({ NECTAR_TARGETS: root, NECTAR_CHAINS: chains }), logger: pino({ level: 'silent' }) });
}

export interface Expected {
  /** Tasks that must have run (DONE, not skipped). */
  readonly ran: number;
  /** Tasks that must have been found complete. */
  readonly skipped: number;
  /** What the root's out.txt must hold afterwards. */
  readonly rootOut: string;
}

/** Throws unless the run SUCCEEDED with exactly the expected work done and the root's output in place. */
export async function checkRun(what: string, rt: Runtime, root: AnyTask, r: RunResult, e: Expected): Promise<void> {
  const problems: string[] = [];
  if (r.state !== 'SUCCEEDED') problems.push(`state ${r.state}`);
  if (r.ran !== e.ran) problems.push(`ran ${r.ran}, expected ${e.ran}`);
  if (r.skipped !== e.skipped) problems.push(`skipped ${r.skipped}, expected ${e.skipped}`);
  const bad = r.counts.FAILED + r.counts.UPSTREAM_FAILED + r.counts.CANCELLED;
  if (bad > 0) problems.push(`${bad} tasks failed, upstream-failed or cancelled`);
  const first = r.failures[0];
  if (first) problems.push(`first failure: ${first.id}: ${first.error?.message ?? '?'}`);
  let out = '';
  try {
    out = await rt.store.target(`chains/${root.id}/out.txt`).readText();
  } catch (err) {
    problems.push(`root out.txt unreadable: ${(err as Error).message}`);
  }
  if (problems.length === 0 && out !== e.rootOut) problems.push(`root out.txt holds ${JSON.stringify(out)}, expected ${JSON.stringify(e.rootOut)}`);
  if (problems.length > 0) throw new Error(`${what}: broken run: ${problems.join('; ')}`);
}

/** Build the root and run it, timed; the result is checked before the time is returned. */
export async function timedRun(what: string, rt: Runtime, makeRoot: () => AnyTask, workers: number, e: Expected): Promise<number> {
  const t0 = performance.now();
  const root = makeRoot();
  const r = await rt.run(root, { workers });
  const seconds = (performance.now() - t0) / 1000;
  await checkRun(what, rt, root, r, e);
  return seconds;
}
