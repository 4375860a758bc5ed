import { api, ApiError, idPath } from '../api';
import { type Child, h, replace } from '../dom';
import { takeEarly } from '../early';
import { count } from '../format';
import type { BackfillSummary, Catalogue, CatalogueEntry, PartitionsAnswer } from '../../../src/api/wire';
import { PARTITION_STATES, partitionLook, stateClass } from '../states';
import { errorState } from './messages';
import { type Partition, PartitionGrid } from './partition-grid';
import { hasDateParam, PartitionForm, type PartitionQuery, queryParams, sameQuery } from './partition-form';

/** How often the grid refreshes while a partition runs or a backfill started here is in flight. */
const POLL_MS = 3000;

const plural = (n: number, word: string): string => `${count(n)} ${word}${n === 1 ? '' : 's'}`;

function apiPath(task: string, query: URLSearchParams): string {
  return idPath('partitions', task, `?${query}`);
}

/** A request for partitions under way: when it was asked, and its answer to come. */
interface Asked {
  at: number;
  answer: Promise<{ data: PartitionsAnswer }>;
}

function legend(a: PartitionsAnswer): HTMLElement {
  const late = a.partitions.filter((p) => p.deadline_missed).length;
  return h('ul', { class: 'legend pt-legend', 'aria-label': 'States, with counts' },
    PARTITION_STATES.map((s) => h('li', { class: stateClass(s), 'data-state': s },
      h('span', { class: 'swatch', 'aria-hidden': 'true' }, partitionLook(s).symbol), ` ${partitionLook(s).label} `, h('span', { class: 'count' }, count(a.counts[s])))),
    h('li', { class: 'pt-late', 'data-state': 'deadline' }, h('span', { class: 'swatch', 'aria-hidden': 'true' }, '⚑'), ' deadline missed ', h('span', { class: 'count' }, count(late))));
}

/**
 * `#/partitions?task=<type/chain/Task>&from=&to=[&step=][&over=][&<param>=...]`: a task's
 * partitions over a range as a grid (a calendar for days), a cell per partition with its
 * state (colour and symbol) and a flag when its deadline was missed; a legend with counts.
 * A cell opens its run, or offers to start its partition; one button starts a backfill of
 * exactly the missing and failed ones. The URL carries the query, so a link reopens the grid.
 * Refreshed every few seconds while anything runs.
 */
export function partitionsView(root: HTMLElement, query: URLSearchParams): () => void {
  const t0 = performance.now();
  const formBox = h('div', { class: 'pt-form-box' }, h('p', { class: 'muted loading' }, 'Loading tasks…'));
  const result = h('div', { class: 'pt-result' });
  const live = h('div', { class: 'pt-notice', 'aria-live': 'polite' });
  const body = h('div', { class: 'pt-body' });
  replace(root, h('section', { class: 'partitions' }, h('div', { class: 'toolbar' }, h('h1', {}, 'Partitions')), formBox, result, live, body));

  let form: PartitionForm | null = null;
  let current: { q: PartitionQuery; key: string; answer: PartitionsAnswer; grid: PartitionGrid } | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  let gen = 0;
  let painted = false;
  const pending = new Map<string, BackfillSummary>();

  const stale = h('div', { class: 'pt-stale' });
  const summary = h('p', { class: 'pt-summary muted' });
  const legendBox = h('div', { class: 'pt-legend-box' });
  const progress = h('span', { class: 'pt-progress muted' });
  const startAll = h('button', { type: 'button', class: 'primary start-missing', onclick: () => void startMissing() });
  const detail = h('div', { class: 'pt-detail' });
  let detailFor = '';

  const say = (kind: 'ok' | 'error', ...msg: Child[]): void => {
    replace(live, h('div', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, ...msg));
  };

  const toStart = (a: PartitionsAnswer): Partition[] => a.partitions.filter((p) => p.state === 'MISSING' || p.state === 'FAILED');

  const updateBar = (): void => {
    if (!current) return;
    const a = current.answer;
    replace(legendBox, legend(a));
    const missing = a.counts.MISSING;
    const failed = a.counts.FAILED;
    const busy = pending.size > 0;
    const what = [missing ? `${count(missing)} missing` : '', failed ? `${count(failed)} failed` : ''].filter(Boolean).join(' and ');
    startAll.textContent = what ? `Start the ${what}` : 'Nothing missing or failed';
    // aria-disabled, not disabled: the button keeps the focus while its backfill runs.
    startAll.setAttribute('aria-disabled', String(busy || missing + failed === 0));
    replace(progress, [...pending.values()].map((b) => `Backfill ${b.backfill_id.slice(0, 8)}: ${b.progress.done} of ${b.partitions} done, ${b.progress.failed} failed, ${b.progress.running} running. `));
  };

  const updateDetail = (force = false): void => {
    if (!current) return;
    const p = current.answer.partitions[current.grid.active];
    if (!p) return;
    const key = `${p.value} ${p.state} ${p.run_id} ${p.deadline_missed}`;
    if (key === detailFor && !force) return;
    detailFor = key;
    const again = p.state === 'FAILED';
    replace(detail,
      h('strong', {}, h('span', { class: `pt-sym ${stateClass(p.state)}`, 'aria-hidden': 'true' }, partitionLook(p.state).symbol), ' ', current.grid.label(current.grid.active)),
      p.run_id ? [' · ', h('a', { href: `#/runs/${p.run_id}`, class: 'pt-run' }, 'Open its run')] : p.state === 'DONE' || p.state === 'STALE' ? h('span', { class: 'muted' }, ' · its outputs exist; no run of it is recorded') : h('span', { class: 'muted' }, ' · never run'),
      p.state === 'MISSING' || p.state === 'FAILED' || p.state === 'STALE'
        ? [' ', h('button', { type: 'button', class: 'start-one', 'data-value': p.value, onclick: () => void start([p.value], `${current?.answer.over}=${p.value}`, null) }, again ? `Run ${p.value} again` : p.state === 'STALE' ? `Rebuild ${p.value}` : `Start ${p.value}`)]
        : null,
      h('span', { class: 'muted pt-task-id' }, ' ', h('code', {}, p.task_id)));
  };

  const schedule = (): void => {
    clearTimeout(timer);
    if (stopped || !current) return;
    if (current.answer.counts.RUNNING > 0 || pending.size > 0) timer = setTimeout(() => void refresh(), POLL_MS);
  };

  const render = (q: PartitionQuery, key: string, a: PartitionsAnswer, asked: number, got: number): void => {
    if (current && current.key === key && current.grid.update(a)) {
      current.answer = a;
      updateBar();
      updateDetail();
      return;
    }
    const grid = new PartitionGrid(a, { focus: () => updateDetail(), activate: (i) => activate(i) });
    current = { q, key, answer: a, grid };
    replace(summary, h('code', {}, a.task), ` over `, h('code', {}, a.over), `, ${a.range}: ${plural(a.partitions.length, 'partition')}`,
      Object.keys(a.params).length ? ['; ', h('code', {}, Object.entries(a.params).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', '))] : null);
    updateBar();
    updateDetail(true);
    replace(body, stale, summary, h('div', { class: 'pt-bar' }, legendBox, h('div', { class: 'pt-actions' }, startAll, progress)),
      h('div', { class: 'pt-grid-box' }, grid.el), detail,
      h('p', { class: 'hint' }, 'Tab to the grid, then arrow keys move (days: up and down a day, left and right a week; Page Up and Down a year), Enter opens a partition’s run or offers to start it.'));
    // After the frame that lays out and paints the cells (the task after requestAnimationFrame), for the bench (bench/ui-grid.ts).
    requestAnimationFrame(() => setTimeout(() => {
      const now = performance.now();
      grid.el.dataset['paintMs'] = String(Math.round(now - asked));
      grid.el.dataset['renderMs'] = String(Math.round(now - got));
      grid.el.dataset['paintAt'] = String(Math.round(now));
      grid.el.dataset['cells'] = String(a.partitions.length);
      if (!painted) grid.el.dataset['firstPaintMs'] = String(Math.round(now - t0));
      painted = true;
    }, 0));
  };

  const load = async (q: PartitionQuery, fresh: boolean, early?: Asked): Promise<void> => {
    clearTimeout(timer);
    const my = ++gen;
    const key = queryParams(q, true).toString();
    if (fresh) {
      replace(result);
      history.replaceState(null, '', `#/partitions?${key}`);
      if (!current) replace(body, h('p', { class: 'muted loading' }, 'Loading partitions…'));
    }
    const asked = early?.at ?? performance.now();
    try {
      const { data } = await (early?.answer ?? api<PartitionsAnswer>(apiPath(q.task, queryParams(q, false))));
      if (stopped || my !== gen) return;
      // Asked from the URL, which did not name the parameter the partitions go over: the server chose another than the form.
      if (data.over !== q.over) return void load(q, fresh);
      replace(stale);
      render(q, key, data, asked, performance.now());
    } catch (err) {
      if (stopped || my !== gen) return;
      if (fresh) {
        form?.showError(err);
        replace(result, h('div', { class: 'notice error', role: 'alert' }, h('strong', {}, err instanceof ApiError ? `${err.code}: ` : 'Error: '), (err as Error).message));
        current = null;
        replace(body);
      } else {
        replace(stale, h('div', { class: 'notice error', role: 'alert' }, `Could not refresh the partitions: ${(err as Error).message}`));
      }
    }
    schedule();
  };

  const refresh = async (): Promise<void> => {
    for (const id of [...pending.keys()]) {
      try {
        const { data } = await api<BackfillSummary>(`/api/backfills/${id}`);
        pending.set(id, data);
        if (data.state !== 'RUNNING') {
          pending.delete(id);
          say(data.state === 'SUCCEEDED' ? 'ok' : 'error', `Backfill ${id.slice(0, 8)} ${data.state.toLowerCase()}: ${data.progress.done} done, ${data.progress.failed} failed${data.progress.cancelled ? `, ${data.progress.cancelled} cancelled` : ''}.`);
        }
      } catch {
        // The next poll asks again; the grid below still refreshes.
      }
    }
    if (stopped || !current) return;
    await load(current.q, false);
  };

  /** Start a backfill of exactly these partition values, with the grid's other parameters. */
  const start = async (values: string[], what: string, button: HTMLButtonElement | null): Promise<void> => {
    if (!current || values.length === 0) return;
    const a = current.answer;
    button?.setAttribute('aria-disabled', 'true');
    try {
      const { data } = await api<BackfillSummary>('/api/backfills', { method: 'POST', json: { task: a.task, over: a.over, params: a.params, values } });
      pending.set(data.backfill_id, data);
      say('ok', `Started backfill ${data.backfill_id.slice(0, 8)} of ${what}: ${plural(data.partitions, 'partition')}, ${data.concurrency} at a time.`);
      updateBar();
      await refresh();
    } catch (err) {
      say('error', `Could not start ${what}: ${(err as Error).message}${err instanceof ApiError ? ` (${err.code})` : ''}`);
      updateBar();
    }
  };

  const startMissing = async (): Promise<void> => {
    if (!current || startAll.getAttribute('aria-disabled') === 'true') return;
    const a = current.answer;
    const what = a.counts.FAILED ? 'the missing and failed partitions' : 'the missing partitions';
    await start(toStart(a).map((p) => p.value), what, startAll);
  };

  const activate = (i: number): void => {
    const p = current?.answer.partitions[i];
    if (!p) return;
    if (p.run_id) {
      location.hash = `#/runs/${p.run_id}`;
      return;
    }
    updateDetail();
    detail.querySelector<HTMLButtonElement>('button.start-one')?.focus();
  };

  const open = (tasks: CatalogueEntry[]): void => {
    const dated = tasks.filter(hasDateParam);
    if (dated.length === 0) {
      replace(formBox, h('div', { class: 'empty' },
        h('p', {}, 'No task has a date parameter to partition by.'),
        h('p', {}, 'A task such as ', h('code', {}, 'task({ day: p.date() })'), ' has a partition per day; see “Backfills” in the README.')));
      return;
    }
    form = new PartitionForm(dated, query, (q) => void load(q, true));
    replace(formBox, form.el);
    if (form.complete()) {
      const q = form.read();
      if (q) void load(q, true, early && sameQuery(q, query) ? early : undefined);
    } else {
      replace(body, h('p', { class: 'muted' }, `Fill in ${form.entry.ref}'s parameters and press Show.`));
    }
  };

  // A link with a task and a range: ask for its partitions now, beside the catalogue the form is built from
  // (index.html asked for both already when the page opened on this link: early.ts).
  const ask = (path: string): { at: number; answer: Promise<{ data: PartitionsAnswer }> } => {
    const sent = takeEarly(path);
    return { at: sent?.at ?? performance.now(), answer: api<PartitionsAnswer>(path, sent ? { sent: sent.res } : {}) };
  };
  const early: Asked | null = query.get('task') && query.get('from') && query.get('to')
    ? ask(apiPath(query.get('task') as string, new URLSearchParams([...query].filter(([k]) => k !== 'task'))))
    : null;
  early?.answer.catch(() => undefined); // its error, if any, is shown when the form takes it up
  let catalogueSent = takeEarly('/api/chains')?.res;

  const catalogue = async (): Promise<void> => {
    try {
      const sent = catalogueSent;
      catalogueSent = undefined; // a retry asks again
      const { data } = await api<Catalogue>('/api/chains', sent ? { sent } : {});
      if (!stopped) open(data.chains);
    } catch (err) {
      if (!stopped) replace(formBox, errorState(err, () => void catalogue()));
    }
  };
  void catalogue();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
