import { api } from '../api';
import { h, replace } from '../dom';
import { duration, time } from '../format';
import { runLook, stateClass, taskLook } from '../states';
import type { RunDetail, RunNode, RunSummary } from '../../../src/api/wire';
import { type GridCell, gridRows } from './runs-grid-model';

/** Runs bigger than this are not read for the grid (their column says so). */
const MAX_TASKS = 2000;

function cellText(c: GridCell): string {
  const look = taskLook(c.state);
  const counts = c.counts ? ` (${Object.entries(c.counts).filter(([, n]) => n > 0).map(([s, n]) => `${n} ${taskLook(s as GridCell['state']).label}`).join(', ')})` : '';
  return `${look.label}${c.skipped ? ', already complete' : ''}${c.ms !== null ? `, ran ${duration(c.ms)}${c.counts ? ' at most' : ''}` : ''}${counts}`;
}

/**
 * The grid of runs over time: the listed runs as columns (oldest left), their tasks as rows,
 * each cell the task's state in that run (symbol and colour; its words on hover and for screen
 * readers), linking to the run with that task selected. Each run's tasks are read once.
 */
export function runsGrid(runs: readonly RunSummary[]): HTMLElement {
  const cols = [...runs].sort((a, b) => a.created_at - b.created_at);
  const el = h('div', { class: 'runs-grid' }, h('p', { class: 'muted' }, `Reading the tasks of ${cols.length} runs…`));
  void (async () => {
    const read = await Promise.all(cols.map(async (r): Promise<RunNode[] | null> => {
      const size = Object.values(r.counts ?? {}).reduce((a, b) => a + (b ?? 0), 0);
      if (size > MAX_TASKS) return null;
      try {
        return (await api<RunDetail>(`/api/runs/${r.run_id}`)).data.nodes;
      } catch {
        return null;
      }
    }));
    const rows = gridRows(read);
    replace(el, h('p', { class: 'hint' }, 'Each task’s state in each run, oldest run on the left; requirements above the tasks that need them. A class with many tasks in a run is one row, showing the state that most needs attention.'),
      h('table', { class: 'grid-table' },
      h('caption', { class: 'sr' }, 'Tasks by run'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Task'), cols.map((r, i) => h('th', { scope: 'col', class: 'grid-run' },
        h('a', { href: `#/runs/${r.run_id}`, title: `${runLook(r.state).label}, ${time(r.created_at)}` }, h('span', { 'aria-hidden': 'true' }, runLook(r.state).symbol), h('span', { class: 'sr' }, `run ${i + 1}, ${runLook(r.state).label}, `), time(r.created_at)),
        read[i] === null ? h('div', { class: 'muted' }, 'not read') : null)))),
      h('tbody', {}, rows.map((row) => h('tr', {},
        h('th', { scope: 'row' }, row.label, row.params ? h('span', { class: 'grid-params' }, ` ${row.params}`) : null),
        row.cells.map((c, i) => {
          if (!c) return h('td', { class: 'grid-none' }, h('span', { class: 'sr' }, 'not in this run'));
          const run = cols[i] as RunSummary;
          const words = cellText(c);
          const href = c.taskId ? `#/runs/${run.run_id}?task=${encodeURIComponent(c.taskId)}` : `#/runs/${run.run_id}`;
          return h('td', {}, h('a', { href, class: `grid-cell ${stateClass(c.state)}${c.skipped ? ' skipped' : ''}`, title: words, 'data-state': c.state },
            h('span', { 'aria-hidden': 'true' }, taskLook(c.state).symbol), h('span', { class: 'sr' }, words)));
        })))),
    ));
  })();
  return el;
}

/**
 * "Show the grid" under a task's runs: off until asked (it reads each run's tasks); once open,
 * the grid is read again only when the page's runs or their states change, not at each refresh.
 */
export class GridToggle {
  #open = false;
  #key = '';
  #grid: HTMLElement | null = null;
  readonly #host = h('div', { class: 'grid-host' });
  readonly #button = h('button', { type: 'button', class: 'grid-toggle', 'aria-pressed': 'false', onclick: () => this.#toggle() }, 'Show the grid of tasks × runs');
  #runs: readonly RunSummary[] = [];
  readonly el = h('div', { class: 'grid-box' }, this.#button, this.#host);

  show(runs: readonly RunSummary[]): HTMLElement {
    this.#runs = runs;
    if (this.#open) this.#draw();
    return this.el;
  }

  #toggle(): void {
    this.#open = !this.#open;
    this.#button.setAttribute('aria-pressed', String(this.#open));
    this.#button.textContent = this.#open ? 'Hide the grid' : 'Show the grid of tasks × runs';
    if (this.#open) this.#draw();
    else replace(this.#host);
  }

  #draw(): void {
    const key = this.#runs.map((r) => `${r.run_id}:${r.state}`).join();
    if (key !== this.#key || !this.#grid) {
      this.#key = key;
      this.#grid = runsGrid(this.#runs);
    }
    if (this.#grid.parentElement !== this.#host) replace(this.#host, this.#grid);
  }
}
