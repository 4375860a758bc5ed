import type { Dag } from '../dag/graph';

function q(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Graphviz DOT of a DAG: edges point from a requirement to the task that needs it. */
export function toDot(dag: Dag): string {
  const lines = ['digraph nectar {', '  rankdir=TB;', '  node [shape=box, style="rounded,filled", fillcolor="#fff8e1", fontname="Helvetica"];'];
  for (const id of dag.topoOrder()) {
    const t = dag.node(id).task;
    const label = `${t.constructor.name}\\n${id.split('/').pop()?.slice(0, 8) ?? ''}`;
    lines.push(`  ${q(id)} [label="${label}", tooltip=${q(t.toString())}];`);
  }
  for (const e of dag.graph.edges()) lines.push(`  ${q(e.v)} -> ${q(e.w)};`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/** JSON of a DAG: nodes (id, task, params, deps) in dependency order, and edges. */
export function toJson(dag: Dag): unknown {
  return {
    roots: dag.roots,
    nodes: dag.topoOrder().map((id) => {
      const n = dag.node(id);
      return { id, task: n.task.constructor.name, params: n.task.params, deps: n.deps ?? [] };
    }),
    edges: dag.graph.edges().map((e) => ({ from: e.v, to: e.w })),
  };
}
