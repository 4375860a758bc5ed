import { api, ApiError } from '../api';
import { h, replace } from '../dom';
import { duration, paramsLine, time } from '../format';
import { isActiveRun, type RunPage, type RunState } from '../../../src/api/wire';
import { runLook, stateClass } from '../states';
import { errorState } from './messages';
import { runStrip } from './run-strip';
import { GridToggle } from './runs-grid';
import { apiQuery, filterForm, filterFrom, filterQuery, filterWords, isFiltered, paramPairs, type RunFilter } from './runs-filter';
import { triggerTag } from './trigger-tag';

const PAGE = 25;

export function runBadge(state: RunState): HTMLElement {
  const look = runLook(state);
  return h('span', { class: `badge ${stateClass(state)}`, 'data-state': state }, h('span', { 'aria-hidden': 'true' }, look.symbol), ` ${look.label}`);
}

/**
 * `#/runs?state=&task=&params=k=v&from=&to=&offset=`: run history, newest first, filtered by
 * state, root task, parameters and days, paged; refreshed while runs are in flight. Filtered
 * by a task, the page's runs are also drawn as a strip over time (state and duration).
 */
export function runsView(root: HTMLElement, query: URLSearchParams): () => void {
  let filter = filterFrom(query);
  let offset = Math.max(0, Number(query.get('offset') ?? 0) || 0);
  // A filter or a page changes the address without leaving the view, so that focus stays where
  // it was (the first ArrowDown in the state filter used to rebuild the page under it).
  const go = (f: RunFilter, o: number): void => {
    filter = f;
    offset = o;
    const q = filterQuery(f);
    if (o) q.set('offset', String(o));
    history.pushState(null, '', `#/runs${q.size ? `?${q}` : ''}`);
    clearTimeout(timer);
    void load();
  };
  const form = filterForm(filter, (f) => go(f, 0));
  const grid = new GridToggle();
  const body = h('div', { class: 'runs-body' }, h('p', { class: 'muted loading' }, 'Loading runs…'));
  replace(root, h('section', { class: 'runs' },
    h('div', { class: 'toolbar' }, h('h1', {}, 'Runs')),
    form.el,
    body,
  ));
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  let gen = 0;
  const load = async (): Promise<void> => {
    const mine = ++gen;
    let data: RunPage;
    try {
      const q = apiQuery(filter);
      q.set('limit', String(PAGE));
      q.set('offset', String(offset));
      data = (await api<RunPage>(`/api/runs?${q}`)).data;
      form.error(null, '');
    } catch (err) {
      if (stopped) return;
      // A filter the server refused: said by the field, and the list stays as it was.
      if (err instanceof ApiError && err.status === 400) {
        const d = err.details as { param?: unknown } | null;
        form.error(typeof d?.param === 'string' ? d.param : null, err.message);
        return;
      }
      replace(body, errorState(err, () => void load()));
      timer = setTimeout(() => void load(), 5000);
      return;
    }
    if (stopped || mine !== gen) return;
    const focusedPage = (document.activeElement as HTMLElement | null)?.dataset['page'];
    if (data.runs.length === 0) {
      replace(body, h('div', { class: 'empty' },
        h('p', {}, isFiltered(filter) ? `No ${filterWords(filter)}.` : 'No runs yet.'),
        isFiltered(filter) ? null : h('p', {}, 'Start one from ', h('a', { href: '#/' }, 'Chains'), ', with ', h('code', {}, 'POST /api/chains/<type>/<Task>'), ' or ', h('code', {}, 'nectar run'), '.')));
    } else {
      const last = Math.min(offset + data.runs.length, data.total);
      replace(body,
        filter.task ? runStrip(data.runs.map((r) => ({ href: `#/runs/${r.run_id}`, state: r.state, symbol: runLook(r.state).symbol, label: runLook(r.state).label, durationMs: r.duration_ms, at: r.started_at ?? r.created_at })),
          `${filterWords(filter)}: this page's ${data.runs.length} over time (oldest left; height: how long it took)`) : null,
        filter.task ? grid.show(data.runs) : null,
        h('table', { class: 'runs-table' },
          h('caption', { class: 'sr' }, 'Runs, newest first'),
          h('thead', {}, h('tr', {}, ['State', 'Root task', 'Parameters', 'Started', 'Duration', 'Tasks'].map((c) => h('th', { scope: 'col' }, c)))),
          h('tbody', {}, data.runs.map((r) => h('tr', { 'data-run': r.run_id },
            h('td', {}, runBadge(r.state), r.interrupted ? h('span', { class: 'muted' }, ' (interrupted)') : null),
            h('td', {}, h('a', { href: `#/runs/${r.run_id}` }, r.task), r.trigger ? ' ' : null, triggerTag(r.trigger),
              ' ', h('a', { href: `#/runs?${filterQuery({ state: '', task: r.task, params: paramPairs(r.params), from: '', to: '' })}`, class: 'same-runs', title: `Runs of ${r.task} with these parameters` }, 'history')),
            h('td', { class: 'params' }, paramsLine(r.params)),
            h('td', {}, time(r.started_at ?? r.created_at)),
            h('td', {}, r.duration_ms !== null ? duration(r.duration_ms) : r.started_at ? `${duration(Date.now() - r.started_at)}…` : '–'),
            h('td', { class: 'muted' }, r.counts ? `${r.counts['DONE'] ?? 0} done${r.counts['FAILED'] ? `, ${r.counts['FAILED']} failed` : ''}` : r.state === 'SKIPPED' ? 'nothing ran' : ''),
          ))),
        ),
        h('nav', { class: 'pager', 'aria-label': 'Pages' },
          h('button', { type: 'button', 'data-page': 'newer', disabled: offset === 0, onclick: () => go(filter, Math.max(0, offset - PAGE)) }, '← Newer'),
          h('span', { class: 'muted' }, `${offset + 1}–${last} of ${data.total}`),
          h('button', { type: 'button', 'data-page': 'older', disabled: last >= data.total, onclick: () => go(filter, offset + PAGE) }, 'Older →'),
        ),
      );
    }
    // Paging from a pager button keeps focus on it (or on its neighbour when it is now disabled).
    if (focusedPage) (body.querySelector<HTMLButtonElement>(`[data-page="${focusedPage}"]:not(:disabled)`) ?? body.querySelector<HTMLButtonElement>('.pager button:not(:disabled)'))?.focus();
    const active = data.runs.some((r) => isActiveRun(r.state));
    timer = setTimeout(() => void load(), active ? 1500 : 5000);
  };
  void load();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
