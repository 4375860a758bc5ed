import { duration } from '../format';
import { taskLook } from '../states';
import type { Row } from './model';

/** How long a row waited with what it needed done (for a slot or a worker), or null when it does not apply. */
export function waited(r: Row): number | null {
  return r.ready !== null && r.start !== null ? Math.max(0, r.start - r.ready) : null;
}

/** How long a row ran (to now when it still runs), or null: for a family, from its first start to its last end. */
export function ran(r: Row, now: number): number | null {
  if (r.start === null) return null;
  const end = r.end ?? (r.state === 'RUNNING' || r.state === 'QUEUED' || r.kind === 'family' ? now : null);
  return end === null ? null : Math.max(0, end - r.start);
}

/** The short figure drawn after a bar: `1.20 s`, `skipped`; empty when nothing ran. */
export function shortFigure(r: Row, now: number): string {
  if (r.skipped) return 'skipped';
  const ms = ran(r, now);
  return ms === null ? '' : duration(ms);
}

/**
 * A row in words, as the tooltip, the detail line and screen readers give it: state, when it
 * was ready, waited, ran, and for a family its counts and the spread of its members' runs.
 * Times are offsets from the run's start (`t0`).
 */
export function rowFacts(r: Row, t0: number, now: number): string[] {
  const at = (ms: number | null): string => (ms === null ? '–' : `+${duration(ms - t0)}`);
  const out: string[] = [];
  if (r.family) {
    const c = r.family.counts;
    const parts = (Object.keys(c) as (keyof typeof c)[]).filter((s) => c[s] > 0).map((s) => `${c[s]} ${taskLook(s).label}`);
    out.push(`${r.family.ids.length} tasks: ${parts.join(', ')}`);
    const d = r.family.durations;
    if (d) out.push(`each ran ${duration(d.min)} to ${duration(d.max)} (median ${duration(d.median)})`);
  } else out.push(r.skipped ? 'already complete: skipped, nothing ran' : taskLook(r.state).label);
  const w = waited(r);
  const took = ran(r, now);
  if (r.start !== null) {
    out.push(`${r.kind === 'family' ? 'first started' : 'started'} ${at(r.start)}${w !== null && w > 0 ? ` after waiting ${duration(w)}` : ''}`);
    if (took !== null) out.push(`${r.kind === 'family' ? 'all over' : r.end === null ? 'running for' : 'ran'} ${duration(took)}${r.end !== null ? `, ended ${at(r.end)}` : ''}`);
  } else if (r.ready !== null && !r.skipped && r.end === null) out.push(`ready since ${at(r.ready)}, waiting for a slot`);
  else if (!r.skipped && r.end === null) out.push('waiting for what it needs');
  if (r.critical) out.push('on the critical path');
  return out;
}
