import type { Json } from '../core/identity';
import { describeTask } from '../core/task';
import type { Dag } from './graph';
import { topoOrder } from './order';

/** One task of a picture: its id, class name, parameters and the ids it requires. */
export interface GraphNode {
  readonly id: string;
  /** The task class name. */
  readonly task: string;
  readonly params: { readonly [key: string]: Json };
  readonly deps: readonly string[];
}

/** An edge points from a requirement to the task that needs it. */
export interface GraphEdge {
  readonly from: string;
  readonly to: string;
}

/** A DAG as plain data, ordered: what `nectar graph` and `GET /api/runs/:id/graph` render. */
export interface TaskGraph {
  readonly roots: readonly string[];
  /** In dependency order: see `topoOrder`. */
  readonly nodes: readonly GraphNode[];
  /** Breadth-first from the roots, each node's deps in its order (as the DAG is built). */
  readonly edges: readonly GraphEdge[];
}

/**
 * The one ordering rule for any source of nodes (a DAG, a run's task rows): nodes in
 * dependency order, ties by id; edges breadth-first from the roots, then from any node the
 * roots do not reach, in node order.
 */
export function taskGraph(roots: readonly string[], nodes: readonly GraphNode[]): TaskGraph {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const ordered = topoOrder(nodes).map((id) => byId.get(id) as GraphNode);
  const edges: GraphEdge[] = [];
  const seen = new Set<string>();
  const walk = (starts: readonly string[]): void => {
    const queue = starts.filter((id) => !seen.has(id));
    for (const id of queue) seen.add(id);
    for (let i = 0; i < queue.length; i++) {
      const n = byId.get(queue[i] as string);
      if (!n) continue;
      for (const d of n.deps) {
        edges.push({ from: d, to: n.id });
        if (!seen.has(d)) {
          seen.add(d);
          queue.push(d);
        }
      }
    }
  };
  walk(roots);
  for (const n of ordered) if (!seen.has(n.id)) walk([n.id]);
  return {
    roots: [...roots],
    nodes: ordered.map((n) => ({ id: n.id, task: n.task, params: n.params, deps: [...n.deps] })),
    edges,
  };
}

/** The picture of a DAG (unexpanded nodes have no deps). */
export function dagGraph(dag: Dag): TaskGraph {
  const nodes = dag.graph.nodes().map((id) => {
    const n = dag.node(id);
    return { id, task: n.task.constructor.name, params: n.task.params, deps: n.deps ?? [] };
  });
  return taskGraph(dag.roots, nodes);
}

function q(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** How a run's task ended (or stands), for a DOT picture that is a record of the run. */
export interface DotState {
  readonly state: string;
  readonly skipped?: boolean;
  readonly durationMs?: number;
}

/** Fill colours by state, as the UI draws them. */
const FILL: Readonly<Record<string, string>> = {
  PENDING: '#f8f9fa',
  QUEUED: '#fff9db',
  RUNNING: '#fff3bf',
  DONE: '#d3f9d8',
  FAILED: '#ffe3e3',
  UPSTREAM_FAILED: '#fff0f6',
  CANCELLED: '#e9ecef',
};

function stateLine(s: DotState): string {
  const dur = s.durationMs === undefined ? '' : ` in ${s.durationMs < 1000 ? `${s.durationMs} ms` : `${(s.durationMs / 1000).toFixed(1)} s`}`;
  return `${s.state}${s.skipped ? ' (already complete)' : dur}`;
}

/**
 * Graphviz DOT: a box per task (class name and the start of its hash), tooltip `Name(k=v, ...)`;
 * with `states` (a run's), each box also says its state (and duration) and is filled by it.
 */
export function toDot(g: TaskGraph, states?: ReadonlyMap<string, DotState>): string {
  const lines = ['digraph nectar {', '  rankdir=TB;', '  node [shape=box, style="rounded,filled", fillcolor="#fff8e1", fontname="Helvetica"];'];
  for (const n of g.nodes) {
    const st = states?.get(n.id);
    const label = `${n.task}\\n${n.id.split('/').pop()?.slice(0, 8) ?? ''}${st ? `\\n${stateLine(st)}` : ''}`;
    const look = st ? `, fillcolor=${q(FILL[st.state] ?? '#ffffff')}, nectar_state=${q(st.state)}` : '';
    lines.push(`  ${q(n.id)} [label="${label}", tooltip=${q(describeTask(n.task, n.params))}${look}];`);
  }
  for (const e of g.edges) lines.push(`  ${q(e.from)} -> ${q(e.to)};`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
