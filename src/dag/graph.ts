import { Graph } from '@dagrejs/graphlib';
import { requiredTasks } from '../core/binding';
import { NectarError } from '../core/errors';
import type { AnyTask } from '../core/task';
import { topoOrder } from './order';

/** A DAG node: the task and the ids it requires (in `requires()` order). */
export interface DagNode {
  readonly task: AnyTask;
  /** Undefined until the node is expanded (complete tasks are never expanded in a run). */
  deps: string[] | undefined;
}

/** Answers, for a batch of tasks, which are complete. */
export type CompletenessCheck = (tasks: readonly AnyTask[]) => Promise<boolean[]>;

/**
 * The task DAG on graphlib: node id = task id, edge dep -> dependant. Built breadth-first,
 * one completeness batch per level; with `prune`, complete tasks are not expanded (their
 * requirements do not matter), which is what makes "nothing to do" cost next to nothing.
 */
export class Dag {
  readonly graph = new Graph<{ directed: true }, DagNode>({ directed: true });
  readonly complete = new Set<string>();
  readonly roots: string[] = [];

  constructor(private readonly isComplete?: CompletenessCheck) {}

  node(id: string): DagNode {
    const n = this.graph.node(id) as DagNode | undefined;
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  has(id: string): boolean {
    return this.graph.hasNode(id);
  }

  get size(): number {
    return this.graph.nodeCount();
  }

  /** Add tasks (roots or dynamic requirements) and everything they need; returns the ids added. */
  async expand(tasks: readonly AnyTask[], asRoots = false): Promise<string[]> {
    const added: string[] = [];
    let frontier: AnyTask[] = [];
    for (const t of tasks) {
      if (asRoots && !this.roots.includes(t.id)) this.roots.push(t.id);
      if (this.add(t)) {
        frontier.push(t);
        added.push(t.id);
      }
    }
    while (frontier.length > 0) {
      const done = this.isComplete ? await this.isComplete(frontier) : frontier.map(() => false);
      const next: AnyTask[] = [];
      frontier.forEach((t, i) => {
        if (done[i]) {
          this.complete.add(t.id);
          return;
        }
        const node = this.node(t.id);
        const deps = new Set<string>();
        for (const dep of requiredTasks(t)) {
          const depId = dep.id;
          if (depId === t.id) throw cycleError([t.id, t.id]);
          if (deps.has(depId)) continue;
          deps.add(depId);
          if (this.add(dep)) {
            next.push(dep);
            added.push(depId);
          }
          this.graph.setEdge(depId, t.id);
        }
        node.deps = [...deps];
      });
      frontier = next;
    }
    const cycle = findCycle(this, added);
    if (cycle) throw cycleError(cycle);
    return added;
  }

  private add(t: AnyTask): boolean {
    if (this.graph.hasNode(t.id)) return false;
    this.graph.setNode(t.id, { task: t, deps: undefined });
    return true;
  }

  /** Ids in dependency order (requirements first), smallest id first among the ready: see `topoOrder`. */
  topoOrder(): string[] {
    return topoOrder(this.graph.nodes().map((id) => ({ id, deps: this.node(id).deps ?? [] })));
  }
}

function cycleError(ids: string[]): NectarError {
  return new NectarError('CYCLE', `requirements form a cycle: ${ids.join(' -> ')}`, { cycle: ids });
}

/**
 * Iterative DFS over the requirement edges from `start` (no recursion: 100,000-deep chains are
 * fine). Returns the cycle as ids (first repeated at the end) or undefined.
 */
export function findCycle(dag: Dag, start: readonly string[]): string[] | undefined {
  const WHITE = 0, GREY = 1, BLACK = 2;
  const color = new Map<string, number>();
  for (const s of start) {
    if ((color.get(s) ?? WHITE) !== WHITE) continue;
    const stack: { id: string; i: number }[] = [{ id: s, i: 0 }];
    color.set(s, GREY);
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as { id: string; i: number };
      const deps = dag.node(top.id).deps ?? [];
      if (top.i < deps.length) {
        const d = deps[top.i++] as string;
        const c = color.get(d) ?? WHITE;
        if (c === GREY) {
          const from = stack.findIndex((f) => f.id === d);
          return [...stack.slice(from).map((f) => f.id), d];
        }
        if (c === WHITE) {
          color.set(d, GREY);
          stack.push({ id: d, i: 0 });
        }
      } else {
        color.set(top.id, BLACK);
        stack.pop();
      }
    }
  }
  return undefined;
}
