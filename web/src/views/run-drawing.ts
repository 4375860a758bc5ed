import { layoutAsync } from '../graph/layout-client';
import type { RunGraph, VisNode } from '../graph/model';
import { sizeOf } from '../graph/node-markup';
import type { GraphView } from '../graph/view';

/** What the drawing tells the run view. */
export interface DrawingHooks {
  /** A new layout was drawn (selection and search highlights are to be put back). */
  drawn(): void;
  /** The structure changed and a new layout is about to start. */
  restructured(): void;
  /** A frame of state changes was painted. */
  repainted(): void;
  failed(message: string): void;
}

/**
 * How a run's graph gets drawn: a change of structure (nodes, edges, families collapsed) is
 * laid out again off the main thread, batched (30 ms before the first paint, 150 ms after);
 * a change of state repaints only its node, once per animation frame.
 */
export class RunDrawing {
  #laidOut = -1;
  #layingOut = false;
  #painted = false;
  #closed = false;
  #structTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #dirty = new Set<string>();
  #frame = 0;

  /** `t0`: when the view opened, for the first-paint time the host element records. */
  constructor(
    private readonly graph: RunGraph,
    private readonly view: GraphView,
    private readonly host: HTMLElement,
    private readonly t0: number,
    private readonly hooks: DrawingHooks,
  ) {}

  /** Lay the graph out and draw it, again until the layout drawn is of the structure now. */
  async relayout(): Promise<void> {
    const { graph, view, host } = this;
    if (this.#layingOut || this.#closed) return;
    this.#layingOut = true;
    try {
      while (this.#laidOut !== graph.structure && !this.#closed) {
        const version = graph.structure;
        const vis = graph.visible();
        const result = await layoutAsync({ nodes: vis.nodes.map((n) => ({ key: n.key, ...sizeOf(n), ...(n.kind === 'task' && n.task ? { group: n.task.family } : {}) })), edges: vis.edges });
        if (this.#closed) return;
        if (graph.structure !== version) continue;
        // Counts and states may have moved on while the layout ran: draw what is current.
        view.render(graph.visible(), result, !this.#painted);
        this.#laidOut = version;
        this.hooks.drawn();
        // An empty graph keeps its note ("This run has no tasks"): there is nothing to draw instead.
        if (vis.nodes.length > 0) host.querySelectorAll('.graph-wait').forEach((e) => e.remove());
        if (!this.#painted && vis.nodes.length > 0) {
          this.#painted = true;
          requestAnimationFrame(() => {
            const ms = Math.round(performance.now() - this.t0);
            host.dataset['firstPaintMs'] = String(ms);
            // From navigation start, for the UI bench (bench/ui.ts).
            host.dataset['paintAt'] = String(Math.round(performance.now()));
            host.dataset['tasks'] = String(graph.tasks.size);
          });
        }
      }
    } catch (err) {
      this.hooks.failed(`Could not lay the graph out: ${(err as Error).message}`);
    } finally {
      this.#layingOut = false;
    }
  }

  structureChanged(): void {
    clearTimeout(this.#structTimer);
    this.#structTimer = setTimeout(() => {
      this.hooks.restructured();
      void this.relayout();
    }, this.#painted ? 150 : 30);
  }

  /** A task's state changed: repaint the node it is drawn in on the next frame. */
  repaint(taskId: string): void {
    this.#dirty.add(this.graph.keyOf(taskId));
    if (this.#frame) return;
    this.#frame = requestAnimationFrame(() => {
      this.#frame = 0;
      if (this.#laidOut === this.graph.structure) for (const key of this.#dirty) {
        const n = this.#visNode(key);
        if (n) this.view.update(n);
      }
      this.#dirty.clear();
      this.hooks.repainted();
    });
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#structTimer);
    if (this.#frame) cancelAnimationFrame(this.#frame);
  }

  #visNode(key: string): VisNode | undefined {
    const { graph } = this;
    if (key.startsWith('family:')) {
      const f = key.slice('family:'.length);
      const ids = graph.families().get(f);
      return ids ? graph.familyNode(f, ids) : undefined;
    }
    const t = graph.tasks.get(key);
    return t ? graph.taskNode(t) : undefined;
  }
}
