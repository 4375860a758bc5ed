import { type Counts, emptyCounts, familyState, ranFor, type TaskNode } from '../graph/model';
import type { TaskState } from '../../../src/api/wire';

/**
 * What a run's timeline shows, worked out from the tasks alone (no DOM: unit-tested). A task's
 * span has three instants: `ready` (what it needed had finished: it waited for a slot, or in
 * distributed mode for a worker, from then), `start` and `end`. `ready` is not recorded; it is
 * the latest end among its requirements that ended before it started (a dynamic requirement
 * asked for later does not count), or the run's start for a task that needed nothing.
 */

export interface Row {
  key: string;
  kind: 'task' | 'family';
  /** A task's class name; a family's `Name ×n`. */
  label: string;
  state: TaskState;
  ready: number | null;
  start: number | null;
  end: number | null;
  /** Done because its outputs already existed: nothing ran. */
  skipped: boolean;
  /** On the critical path (a family: one of its members is). */
  critical: boolean;
  task?: TaskNode;
  /** A family row: its members, counts, and durations of those that ran. */
  family?: FamilyFacts;
  /** A task row under an expanded family's row. */
  member?: boolean;
}

export interface FamilyFacts {
  name: string;
  ids: string[];
  counts: Counts;
  /** Durations (ms) of the members that ran to an end: fewest, median, most. */
  durations?: { min: number; median: number; max: number };
  expanded: boolean;
}

/** When a task could have started: see the module's comment. */
export function readyAt(t: TaskNode, tasks: ReadonlyMap<string, TaskNode>, runStart: number | null): number | null {
  let ready = runStart;
  for (const d of t.deps) {
    const dep = tasks.get(d);
    if (!dep) continue;
    if (dep.endedAt === null) {
      if (t.startedAt === null) return null; // still waiting for it
      continue;
    }
    if (t.startedAt !== null && dep.endedAt > t.startedAt) continue; // asked for while it ran
    if (ready === null || dep.endedAt > ready) ready = dep.endedAt;
  }
  return t.startedAt !== null && ready !== null && ready > t.startedAt ? t.startedAt : ready;
}

/**
 * The critical path: from the task that ended last, back through the requirement that ended
 * last each time, to a task that needed nothing. These are the tasks whose lengths made the
 * run as long as it was. Ordered from the first to the last.
 */
export function criticalPath(tasks: ReadonlyMap<string, TaskNode>): TaskNode[] {
  let last: TaskNode | undefined;
  for (const t of tasks.values()) if (t.endedAt !== null && (!last || (last.endedAt as number) < t.endedAt)) last = t;
  const path: TaskNode[] = [];
  const seen = new Set<string>();
  for (let cur = last; cur && !seen.has(cur.id); ) {
    seen.add(cur.id);
    path.push(cur);
    let next: TaskNode | undefined;
    for (const d of cur.deps) {
      const dep = tasks.get(d);
      if (dep && dep.endedAt !== null && (!next || (next.endedAt as number) < dep.endedAt)) next = dep;
    }
    cur = next;
  }
  return path.reverse();
}

function median(sorted: number[]): number {
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Families of at least this many tasks are one row (with their spread) until expanded. */
export const FAMILY_ROW = 10;

export interface RowOptions {
  runStart: number | null;
  /** Families the reader opened (or all of them). */
  expanded: ReadonlySet<string> | 'all';
  /** Only the critical path's tasks. */
  criticalOnly?: boolean;
}

/** Rows in the order they started (those yet to start after, by readiness), families as one row each. */
export function timelineRows(tasks: ReadonlyMap<string, TaskNode>, o: RowOptions): { rows: Row[]; critical: TaskNode[] } {
  const critical = criticalPath(tasks);
  const onPath = new Set(critical.map((t) => t.id));
  const byFamily = new Map<string, TaskNode[]>();
  for (const t of tasks.values()) {
    if (o.criticalOnly && !onPath.has(t.id)) continue;
    const list = byFamily.get(t.family);
    if (list) list.push(t);
    else byFamily.set(t.family, [t]);
  }
  const taskRow = (t: TaskNode, member: boolean): Row => {
    const row: Row = { key: t.id, kind: 'task', label: t.name, state: t.state, ready: readyAt(t, tasks, o.runStart), start: t.startedAt, end: t.endedAt, skipped: t.skipped, critical: onPath.has(t.id), task: t };
    if (member) row.member = true;
    return row;
  };
  const groups: { first: Row; rest: Row[] }[] = [];
  for (const [family, members] of byFamily) {
    if (members.length < FAMILY_ROW || o.criticalOnly) {
      for (const t of members) groups.push({ first: taskRow(t, false), rest: [] });
      continue;
    }
    const expanded = o.expanded === 'all' || o.expanded.has(family);
    const head = familyRow(family, members, tasks, o.runStart, onPath, expanded);
    const rest = expanded ? members.map((t) => taskRow(t, true)).sort(byTime) : [];
    groups.push({ first: head, rest });
  }
  groups.sort((a, b) => byTime(a.first, b.first));
  const rows: Row[] = [];
  for (const g of groups) rows.push(g.first, ...g.rest);
  return { rows, critical };
}

function familyRow(family: string, members: TaskNode[], tasks: ReadonlyMap<string, TaskNode>, runStart: number | null, onPath: ReadonlySet<string>, expanded: boolean): Row {
  const counts = emptyCounts();
  const ran: number[] = [];
  let ready: number | null = null;
  let start: number | null = null;
  let end: number | null = null;
  let critical = false;
  let allSkipped = true;
  for (const t of members) {
    counts[t.state]++;
    const ms = ranFor(t);
    if (ms !== undefined) ran.push(ms);
    const r = readyAt(t, tasks, runStart);
    if (r !== null && (ready === null || r < ready)) ready = r;
    if (t.startedAt !== null && (start === null || t.startedAt < start)) start = t.startedAt;
    if (t.endedAt !== null && (end === null || t.endedAt > end)) end = t.endedAt;
    if (onPath.has(t.id)) critical = true;
    if (!t.skipped) allSkipped = false;
  }
  ran.sort((a, b) => a - b);
  const name = family.slice(family.lastIndexOf('/') + 1);
  const facts: FamilyFacts = { name, ids: members.map((t) => t.id), counts, expanded };
  if (ran.length > 0) facts.durations = { min: ran[0] as number, median: median(ran), max: ran[ran.length - 1] as number };
  return { key: `family:${family}`, kind: 'family', label: `${name} ×${members.length}`, state: familyState(counts), ready, start, end, skipped: allSkipped, critical, family: facts };
}

/** Earliest first: by start, else readiness, else end; not yet ready last; then by label. */
function byTime(a: Row, b: Row): number {
  const ka = a.start ?? a.ready ?? a.end ?? Infinity;
  const kb = b.start ?? b.ready ?? b.end ?? Infinity;
  return ka - kb || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0);
}

/**
 * How many of `members` were running in each of `buckets` equal slices of [from, to]: the
 * shape a family row draws inside its bar (its spread over time).
 */
export function concurrency(members: readonly TaskNode[], from: number, to: number, buckets: number, now: number): number[] {
  const out = new Array<number>(buckets).fill(0);
  const span = Math.max(1, to - from);
  for (const t of members) {
    if (t.startedAt === null || t.skipped) continue;
    const end = t.endedAt ?? now;
    const a = Math.max(0, Math.floor(((t.startedAt - from) / span) * buckets));
    // [start, end): a task that ended where a slice begins was not running in it.
    const b = Math.max(a, Math.min(buckets - 1, Math.ceil(((end - from) / span) * buckets) - 1));
    for (let i = a; i <= b; i++) out[i] = (out[i] as number) + 1;
  }
  return out;
}

/** Axis ticks: a step (ms) that leaves at least `minPx` between labels over `ms` drawn `px` wide. */
export function tickStep(ms: number, px: number, minPx = 90): number {
  const steps = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000];
  const perPx = ms / Math.max(1, px);
  return steps.find((s) => s / perPx >= minPx) ?? 86_400_000 * Math.ceil((minPx * perPx) / 86_400_000);
}

/** A tick's label: the time since the run started, `+0 s`, `+1.5 s`, `+2 min`, `+1 h 30 min`. */
export function offsetLabel(ms: number): string {
  if (ms === 0) return '0';
  if (ms < 1000) return `+${ms} ms`;
  if (ms < 60_000) return `+${Number((ms / 1000).toFixed(ms % 1000 ? 1 : 0))} s`;
  if (ms < 3_600_000) return `+${Math.floor(ms / 60_000)} min${ms % 60_000 ? ` ${Math.round((ms % 60_000) / 1000)} s` : ''}`;
  return `+${Math.floor(ms / 3_600_000)} h${ms % 3_600_000 ? ` ${Math.round((ms % 3_600_000) / 60_000)} min` : ''}`;
}
