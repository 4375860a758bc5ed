import { type RunNode, type SerializedError, TASK_STATES, type TaskState, isNotStarted } from '../../../src/api/wire';

/** One task of a run as the API describes it (`GET /api/runs/:id` nodes, SSE snapshot), less the duration: the graph keeps the times. */
export type NodeJson = Omit<RunNode, 'duration_ms'>;

export interface TaskNode {
  id: string;
  name: string;
  /** `type/chain/Task`: the task id without its hash. Tasks of one family can be collapsed into one node. */
  family: string;
  params: Record<string, unknown>;
  state: TaskState;
  skipped: boolean;
  attempts: number;
  startedAt: number | null;
  endedAt: number | null;
  error: SerializedError | null;
  deps: string[];
  /** Complete but stale when the run looked: why. */
  stale: readonly string[] | null;
}

export type Counts = Record<TaskState, number>;

/** What the graph view draws: a task, or a collapsed family with its counts by state. */
export interface VisNode {
  key: string;
  kind: 'task' | 'family';
  label: string;
  sub: string;
  state: TaskState;
  task?: TaskNode;
  family?: string;
  counts?: Counts;
  size?: number;
  /** A family's shortest and longest task run (ms), of those that ran to an end. */
  spread?: { min: number; max: number };
}

/** How long a task ran, once it ran to an end in this run (not skipped); undefined otherwise. */
export function ranFor(t: TaskNode | undefined): number | undefined {
  if (!t || t.skipped || t.startedAt === null || t.endedAt === null || (t.state !== 'DONE' && t.state !== 'FAILED')) return undefined;
  return Math.max(0, t.endedAt - t.startedAt);
}

export interface VisGraph {
  nodes: VisNode[];
  edges: { from: string; to: string }[];
}

export function familyOf(id: string): string {
  return id.slice(0, id.lastIndexOf('/'));
}

export function emptyCounts(): Counts {
  return Object.fromEntries(TASK_STATES.map((s) => [s, 0])) as Counts;
}

/** The state a collapsed family shows: the one that most needs attention. */
const ATTENTION: TaskState[] = ['FAILED', 'RUNNING', 'QUEUED', 'PENDING', 'UPSTREAM_FAILED', 'CANCELLED', 'DONE'];
export function familyState(c: Counts): TaskState {
  return ATTENTION.find((s) => c[s] > 0) ?? 'PENDING';
}

/** Graphs above this many tasks start with their big families collapsed. */
export const AUTO_COLLAPSE_TASKS = 300;
/** ...every family of at least this many tasks. */
export const AUTO_COLLAPSE_FAMILY = 10;

function paramsText(params: Record<string, unknown>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
}

/**
 * The tasks of one run and how they are shown. `structure` counts changes of nodes and edges
 * (they need a new layout); state changes only repaint.
 */
export class RunGraph {
  readonly tasks = new Map<string, TaskNode>();
  readonly collapsed = new Set<string>();
  structure = 0;
  #autoCollapsed = false;

  /** `expandAll`: never collapse families by default (the run view's `?expand=all`). */
  constructor(private readonly expandAll = false) {}

  upsert(n: NodeJson): TaskNode {
    const old = this.tasks.get(n.task_id);
    const t: TaskNode = {
      id: n.task_id,
      name: n.name,
      family: familyOf(n.task_id),
      params: n.params,
      state: n.state,
      skipped: n.skipped,
      attempts: n.attempts,
      startedAt: n.started_at,
      endedAt: n.ended_at,
      error: n.error,
      deps: [...n.deps],
      stale: n.stale ?? null,
    };
    if (!old || old.deps.join() !== t.deps.join()) this.structure++;
    this.tasks.set(t.id, t);
    return t;
  }

  /** Replace everything with a snapshot (the first event of a stream, and each reconnection). */
  reset(nodes: NodeJson[]): void {
    const before = [...this.tasks.keys()].join();
    this.tasks.clear();
    for (const n of nodes) this.upsert(n);
    if ([...this.tasks.keys()].join() !== before) this.structure++;
    this.autoCollapse();
  }

  /** Once, when a graph first gets big: collapse its big families. Later choices are the user's. */
  autoCollapse(): void {
    if (this.expandAll || this.#autoCollapsed || this.tasks.size <= AUTO_COLLAPSE_TASKS) return;
    this.#autoCollapsed = true;
    for (const [family, ids] of this.families()) if (ids.length >= AUTO_COLLAPSE_FAMILY) this.collapsed.add(family);
    this.structure++;
  }

  setState(id: string, state: TaskState, at: number, extra: { skipped?: boolean; error?: SerializedError; attempt?: number }): TaskNode | undefined {
    const t = this.tasks.get(id);
    if (!t) return undefined;
    t.state = state;
    if (extra.skipped !== undefined) t.skipped = extra.skipped;
    if (extra.attempt !== undefined) t.attempts = extra.attempt;
    if (state === 'RUNNING') {
      t.startedAt ??= at;
      t.error = null;
    } else if (!isNotStarted(state)) t.endedAt = at;
    if (extra.error) t.error = extra.error;
    return t;
  }

  families(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const t of this.tasks.values()) {
      const list = out.get(t.family);
      if (list) list.push(t.id);
      else out.set(t.family, [t.id]);
    }
    return out;
  }

  toggle(family: string, collapse?: boolean): void {
    const want = collapse ?? !this.collapsed.has(family);
    if (want) this.collapsed.add(family);
    else this.collapsed.delete(family);
    this.structure++;
  }

  /** The key a task is drawn under: its own id, or its family's when collapsed. */
  keyOf(id: string): string {
    const f = familyOf(id);
    return this.collapsed.has(f) ? `family:${f}` : id;
  }

  counts(ids?: Iterable<string>): Counts {
    const c = emptyCounts();
    if (ids) for (const id of ids) {
      const t = this.tasks.get(id);
      if (t) c[t.state]++;
    }
    else for (const t of this.tasks.values()) c[t.state]++;
    return c;
  }

  /** Nodes and edges as drawn, collapsed families merged and their edges deduplicated. */
  visible(): VisGraph {
    const nodes: VisNode[] = [];
    const families = this.families();
    for (const [family, ids] of families) {
      if (this.collapsed.has(family)) {
        nodes.push(this.familyNode(family, ids));
        continue;
      }
      for (const id of ids) nodes.push(this.taskNode(this.tasks.get(id) as TaskNode));
    }
    const edges: { from: string; to: string }[] = [];
    const seen = new Set<string>();
    for (const t of this.tasks.values()) {
      const to = this.keyOf(t.id);
      for (const d of t.deps) {
        if (!this.tasks.has(d)) continue;
        const from = this.keyOf(d);
        const k = `${from}\n${to}`;
        if (from === to || seen.has(k)) continue;
        seen.add(k);
        edges.push({ from, to });
      }
    }
    return { nodes, edges };
  }

  taskNode(t: TaskNode): VisNode {
    return { key: t.id, kind: 'task', label: t.name, sub: paramsText(t.params), state: t.state, task: t };
  }

  familyNode(family: string, ids: string[]): VisNode {
    const counts = this.counts(ids);
    const name = family.slice(family.lastIndexOf('/') + 1);
    const node: VisNode = { key: `family:${family}`, kind: 'family', label: `${name} ×${ids.length}`, sub: '', state: familyState(counts), family, counts, size: ids.length };
    const spread = this.spread(ids);
    if (spread) node.spread = spread;
    return node;
  }

  /** The shortest and longest run of the tasks that ran to an end (not skipped); undefined when none did. */
  spread(ids: readonly string[]): { min: number; max: number } | undefined {
    let min = Infinity;
    let max = -Infinity;
    for (const id of ids) {
      const ms = ranFor(this.tasks.get(id));
      if (ms === undefined) continue;
      if (ms < min) min = ms;
      if (ms > max) max = ms;
    }
    return max >= 0 ? { min, max } : undefined;
  }

  /** Tasks whose name, id or parameters (as `k=v k=v`) contain the text, case-insensitive. */
  search(q: string): TaskNode[] {
    const s = q.trim().toLowerCase();
    if (!s) return [];
    const out: TaskNode[] = [];
    for (const t of this.tasks.values()) {
      if (t.name.toLowerCase().includes(s) || t.id.toLowerCase().includes(s) || paramsText(t.params).toLowerCase().includes(s)) out.push(t);
    }
    return out;
  }
}
