import { api } from '../api';
import { h, replace } from '../dom';
import { duration, paramsLine, time } from '../format';
import { isActiveRun, RUN_STATES, type RunPage, type RunState } from '../../../src/api/wire';
import { runLook, stateClass } from '../states';
import { errorState } from './messages';
import { triggerTag } from './trigger-tag';

const PAGE = 25;

export function runBadge(state: RunState): HTMLElement {
  const look = runLook(state);
  return h('span', { class: `badge ${stateClass(state)}`, 'data-state': state }, h('span', { 'aria-hidden': 'true' }, look.symbol), ` ${look.label}`);
}

/** `#/runs?state=&offset=`: run history, newest first, filtered by state, paged; refreshed while runs are in flight. */
export function runsView(root: HTMLElement, query: URLSearchParams): () => void {
  let state = query.get('state') ?? '';
  let offset = Math.max(0, Number(query.get('offset') ?? 0) || 0);
  // A filter or a page changes the address without leaving the view, so that focus stays where
  // it was (the first ArrowDown in the state filter used to rebuild the page under it).
  const go = (s: string, o: number): void => {
    state = s;
    offset = o;
    const q = new URLSearchParams();
    if (s) q.set('state', s);
    if (o) q.set('offset', String(o));
    history.pushState(null, '', `#/runs${q.size ? `?${q}` : ''}`);
    clearTimeout(timer);
    void load();
  };
  const filter = h('select', { id: 'state-filter', onchange: (e) => go((e.target as HTMLSelectElement).value, 0) },
    h('option', { value: '' }, 'all states'),
    RUN_STATES.map((s) => h('option', { value: s, selected: s === state }, runLook(s).label)),
  );
  const body = h('div', { class: 'runs-body' }, h('p', { class: 'muted loading' }, 'Loading runs…'));
  replace(root, h('section', { class: 'runs' },
    h('div', { class: 'toolbar' }, h('h1', {}, 'Runs'), h('label', { for: 'state-filter' }, 'State '), filter),
    body,
  ));
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  let gen = 0;
  const load = async (): Promise<void> => {
    const mine = ++gen;
    let data: RunPage;
    try {
      data = (await api<RunPage>(`/api/runs?limit=${PAGE}&offset=${offset}${state ? `&state=${state}` : ''}`)).data;
    } catch (err) {
      if (!stopped) replace(body, errorState(err, () => void load()));
      if (!stopped) timer = setTimeout(() => void load(), 5000);
      return;
    }
    if (stopped || mine !== gen) return;
    const focusedPage = (document.activeElement as HTMLElement | null)?.dataset['page'];
    if (data.runs.length === 0) {
      replace(body, h('div', { class: 'empty' },
        h('p', {}, state ? `No ${runLook(state as RunState).label} runs.` : 'No runs yet.'),
        h('p', {}, 'Start one from ', h('a', { href: '#/' }, 'Chains'), ', with ', h('code', {}, 'POST /api/chains/<type>/<Task>'), ' or ', h('code', {}, 'nectar run'), '.')));
    } else {
      const last = Math.min(offset + data.runs.length, data.total);
      replace(body,
        h('table', { class: 'runs-table' },
          h('caption', { class: 'sr' }, 'Runs, newest first'),
          h('thead', {}, h('tr', {}, ['State', 'Root task', 'Parameters', 'Started', 'Duration', 'Tasks'].map((c) => h('th', { scope: 'col' }, c)))),
          h('tbody', {}, data.runs.map((r) => h('tr', { 'data-run': r.run_id },
            h('td', {}, runBadge(r.state), r.interrupted ? h('span', { class: 'muted' }, ' (interrupted)') : null),
            h('td', {}, h('a', { href: `#/runs/${r.run_id}` }, r.task), r.trigger ? ' ' : null, triggerTag(r.trigger)),
            h('td', { class: 'params' }, paramsLine(r.params)),
            h('td', {}, time(r.started_at ?? r.created_at)),
            h('td', {}, r.duration_ms !== null ? duration(r.duration_ms) : r.started_at ? `${duration(Date.now() - r.started_at)}…` : '–'),
            h('td', { class: 'muted' }, r.counts ? `${r.counts['DONE'] ?? 0} done${r.counts['FAILED'] ? `, ${r.counts['FAILED']} failed` : ''}` : r.state === 'SKIPPED' ? 'nothing ran' : ''),
          ))),
        ),
        h('nav', { class: 'pager', 'aria-label': 'Pages' },
          h('button', { type: 'button', 'data-page': 'newer', disabled: offset === 0, onclick: () => go(state, Math.max(0, offset - PAGE)) }, '← Newer'),
          h('span', { class: 'muted' }, `${offset + 1}–${last} of ${data.total}`),
          h('button', { type: 'button', 'data-page': 'older', disabled: last >= data.total, onclick: () => go(state, offset + PAGE) }, 'Older →'),
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
