import type { EventBus } from '../core/events';
import type { TaskState } from '../core/states';
import type { RunResult } from '../runtime/types';

const write = (s: string): boolean => process.stdout.write(s);

/** First lines of an error for a summary: the message and the top of the stack. */
export function firstLines(text: string | undefined, n: number): string {
  return (text ?? '').split('\n').slice(0, n).join('\n');
}

/** A progress line on a terminal (stderr), redrawn at most every 100 ms. Returns a stop function. */
export function showProgress(events: EventBus, runId: string): () => void {
  if (!process.stderr.isTTY) return () => undefined;
  const counts: Partial<Record<TaskState, number>> = {};
  let total = 0;
  let last = '';
  let timer: NodeJS.Timeout | undefined;
  const draw = (): void => {
    timer = undefined;
    const done = counts.DONE ?? 0;
    const line = `[${done}/${total}] running ${counts.RUNNING ?? 0} · failed ${counts.FAILED ?? 0}${last ? ` · ${last}` : ''}`;
    process.stderr.write(`\r\x1b[2K${line.slice(0, (process.stderr.columns || 100) - 1)}`);
  };
  const off1 = events.on('task:added', (e) => {
    if (e.runId === runId) total++;
  });
  const off2 = events.on('task:state', (e) => {
    if (e.runId !== runId) return;
    if (e.previous) counts[e.previous] = (counts[e.previous] ?? 1) - 1;
    counts[e.state] = (counts[e.state] ?? 0) + 1;
    if (e.state === 'RUNNING') last = e.taskId.split('/').slice(2, 3).join('');
    timer ??= setTimeout(draw, 100);
  });
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    off1();
    off2();
    if (timer) clearTimeout(timer);
    process.stderr.write('\r\x1b[2K');
  };
}

/** The end-of-run summary for people: counts, each failure's first lines, the root outputs. */
/** `to`: where the summary goes (stdout; stderr when stdout carries the output, `run --print`). */
export function printSummary(r: RunResult, outputs: Record<string, string[]>, root: string, to: (s: string) => unknown = write): void {
  const write = to;
  const secs = (r.durationMs / 1000).toFixed(2);
  const failed = r.counts.FAILED;
  const upstream = r.counts.UPSTREAM_FAILED;
  write(`run ${r.runId} ${r.state} in ${secs} s: ${r.ran} ran, ${r.skipped} skipped (complete), ${failed} failed`);
  if (upstream) write(`, ${upstream} not run (upstream failed)`);
  if (r.counts.CANCELLED) write(`, ${r.counts.CANCELLED} cancelled`);
  if (r.stale > 0) {
    const s = staleCounts(r);
    write(`, ${r.stale} stale (${(['rebuilt', 'kept', 'failed'] as const).filter((k) => s[k] > 0).map((k) => `${s[k]} ${k}`).join(', ')})`);
  }
  write('\n');
  if (r.error) write(`\nthe run could not start: ${r.error.message}\n`);
  for (const f of r.failures) {
    write(`\nFAILED ${f.id} (after ${f.attempts} attempt${f.attempts === 1 ? '' : 's'})\n`);
    // A stale task failed by policy is not a crash: its reasons, not nectar's stack.
    const stack = f.error?.code === 'STALE' ? (f.error.message ?? '') : (f.error?.stack ?? `${f.error?.name}: ${f.error?.message}`);
    write(`${firstLines(stack, 6).replace(/^/gm, '  ')}\n`);
  }
  for (const id of r.rootIds) {
    const state = r.tasks.get(id)?.state ?? 'unknown';
    write(`\nroot ${id}: ${state}\n`);
    if (state === 'DONE') for (const key of outputs[id] ?? []) write(`  ${root}/${key}\n`);
  }
}

/** What became of the stale tasks of a run: rebuilt (ran), kept (skipped) or failed (`--stale fail`). */
export function staleCounts(r: RunResult): { rebuilt: number; kept: number; failed: number } {
  const c = { rebuilt: 0, kept: 0, failed: 0 };
  for (const t of r.tasks.values()) {
    if (!t.stale) continue;
    if (t.skipped) c.kept++;
    else if (t.error?.code === 'STALE') c.failed++;
    else c.rebuilt++;
  }
  return c;
}

export function summaryJson(r: RunResult, outputs: Record<string, string[]>): unknown {
  return {
    run_id: r.runId,
    state: r.state,
    duration_ms: Math.round(r.durationMs),
    ran: r.ran,
    skipped: r.skipped,
    stale: { total: r.stale, ...staleCounts(r), tasks: [...r.tasks.values()].filter((t) => t.stale).map((t) => ({ task_id: t.id, reasons: t.stale })) },
    counts: r.counts,
    roots: r.rootIds.map((id) => ({ task_id: id, state: r.tasks.get(id)?.state, outputs: outputs[id] ?? [] })),
    failures: r.failures.map((f) => ({ task_id: f.id, attempts: f.attempts, error: f.error })),
    ...(r.error ? { error: r.error } : {}),
  };
}
