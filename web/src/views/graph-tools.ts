import { h, replace } from '../dom';
import type { RunGraph } from '../graph/model';
import type { GraphView } from '../graph/view';
import { stateClass, taskLook } from '../states';
import { TASK_STATES, type TaskState } from '../../../src/api/wire';

/** What the tools ask of the run view. */
export interface GraphToolActions {
  select(key: string, center: boolean): void;
  toggleFamily(family: string): void;
}

/**
 * The tools around a run's graph: search (matches highlighted, Enter or "Find next" goes from
 * one to the next), zoom, the families menu (collapse or expand one), and the legend of
 * states with their counts (shown under the graph: `legend`).
 */
export class GraphTools {
  readonly legend = h('ul', { class: 'legend', 'aria-label': 'Legend: task states' });
  readonly #families = h('div', { class: 'families' });
  readonly #input = h('input', { type: 'search', id: 'graph-search', placeholder: 'Name, id or parameter', autocomplete: 'off', 'aria-describedby': 'search-count' });
  readonly #count = h('span', { id: 'search-count', class: 'muted', 'aria-live': 'polite' });
  readonly el: HTMLElement;
  #matches: string[] = [];
  #matchAt = -1;
  /** The state whose tasks the legend highlights, if one. */
  #stateShown: TaskState | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly graph: RunGraph,
    private readonly view: GraphView,
    private readonly actions: GraphToolActions,
  ) {
    this.el = h('div', { class: 'graph-toolbar' },
      h('div', { class: 'search' }, h('label', { for: 'graph-search', class: 'sr' }, 'Search tasks'), this.#input,
        h('button', { type: 'button', onclick: () => this.#next(), title: 'Next match (Enter)' }, 'Find next'), this.#count),
      h('div', { class: 'zoom', role: 'group', 'aria-label': 'Zoom' },
        h('button', { type: 'button', onclick: () => view.zoomBy(0.8), 'aria-label': 'Zoom out' }, '−'),
        h('button', { type: 'button', onclick: () => view.zoomBy(1.25), 'aria-label': 'Zoom in' }, '+'),
        h('button', { type: 'button', onclick: () => view.fit() }, 'Fit')),
      this.#families,
    );
    // The families menu closes on Escape (focus back on its summary) and on a click outside it.
    this.#families.addEventListener('keydown', (e) => {
      const menu = this.#families.querySelector('details');
      if (e.key !== 'Escape' || !menu?.open) return;
      e.preventDefault();
      menu.open = false;
      menu.querySelector('summary')?.focus();
    });
    document.addEventListener('click', this.#outside);
    this.#input.addEventListener('input', () => {
      clearTimeout(this.#timer);
      this.#timer = setTimeout(() => this.#search(), 120);
    });
    this.#input.addEventListener('keydown', (e) => {
      if (e.key !== 'Enter') return;
      e.preventDefault();
      clearTimeout(this.#timer);
      if (this.#matchAt === -1 && this.#matches.length === 0) this.#search();
      this.#next();
    });
  }

  readonly #outside = (e: MouseEvent): void => {
    const menu = this.#families.querySelector('details');
    if (menu?.open && !menu.contains(e.target as Node)) menu.open = false;
  };

  /** The view is left: no listener stays on the document. */
  close(): void {
    document.removeEventListener('click', this.#outside);
  }

  renderLegend(): void {
    const c = this.graph.counts();
    replace(this.legend, TASK_STATES.map((s) => h('li', { class: stateClass(s), 'data-state': s },
      h('button', { type: 'button', class: 'legend-filter', 'aria-pressed': this.#stateShown === s ? 'true' : 'false', title: `Show the ${taskLook(s).label} tasks`, onclick: () => this.#showState(s) },
        h('span', { class: 'swatch', 'aria-hidden': 'true' }, taskLook(s).symbol), ` ${taskLook(s).label} `, h('span', { class: 'count' }, String(c[s]))))));
  }

  /**
   * A state clicked in the legend: its tasks are highlighted (the others dimmed) and "Find
   * next" goes from one to the next, as for a search; clicked again, the highlight goes.
   */
  #showState(s: TaskState): void {
    this.#input.value = '';
    this.#stateShown = this.#stateShown === s ? null : s;
    const shown = this.#stateShown;
    this.#matches = shown ? [...this.graph.tasks.values()].filter((t) => t.state === shown).map((t) => t.id) : [];
    this.#matchAt = -1;
    this.view.highlight(shown ? new Set(this.#matches.map((id) => this.graph.keyOf(id))) : null);
    this.#count.textContent = shown ? `${this.#matches.length} ${taskLook(shown).label}` : '';
    this.renderLegend();
  }

  /** The families menu, biggest first; `keepOpen`: left open if it was (after a toggle from it). */
  renderFamilies(keepOpen = false): void {
    const open = keepOpen && (this.#families.querySelector('details')?.open ?? false);
    const fams = [...this.graph.families()].filter(([, ids]) => ids.length > 1).sort((a, b) => b[1].length - a[1].length);
    if (fams.length === 0) {
      replace(this.#families);
      return;
    }
    replace(this.#families, h('details', { class: 'families-menu' },
      h('summary', {}, `Families (${fams.length})`),
      h('ul', {}, fams.map(([f, ids]) => {
        const collapsed = this.graph.collapsed.has(f);
        return h('li', {}, h('button', { type: 'button', 'data-family': f, 'aria-pressed': collapsed ? 'true' : 'false', onclick: () => this.actions.toggleFamily(f) },
          `${collapsed ? '⊞' : '⊟'} ${f.slice(f.lastIndexOf('/') + 1)} ×${ids.length}`));
      })),
    ));
    if (keepOpen) (this.#families.querySelector('details') as HTMLDetailsElement).open = open;
  }

  /** After a new layout: highlight the matches of the search typed (or the state shown), if any, again. */
  refreshSearch(): void {
    if (this.#input.value) this.#search();
    else if (this.#stateShown) this.view.highlight(new Set(this.#matches.map((id) => this.graph.keyOf(id))));
  }

  #search(): void {
    const q = this.#input.value;
    if (this.#stateShown) {
      this.#stateShown = null;
      this.renderLegend();
    }
    const hits = this.graph.search(q);
    this.#matches = [...new Set(hits.map((t) => t.id))];
    this.#matchAt = -1;
    if (!q.trim()) {
      this.view.highlight(null);
      this.#count.textContent = '';
      return;
    }
    this.view.highlight(new Set(this.#matches.map((id) => this.graph.keyOf(id))));
    this.#count.textContent = this.#matches.length === 0 ? 'no task matches' : this.#matches.length === 1 ? '1 task matches' : `${this.#matches.length} tasks match`;
  }

  #next(): void {
    if (this.#matches.length === 0) return;
    this.#matchAt = (this.#matchAt + 1) % this.#matches.length;
    this.actions.select(this.#matches[this.#matchAt] as string, true);
  }
}
