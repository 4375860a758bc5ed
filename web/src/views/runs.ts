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
  const state = query.get('state') ?? '';
  const offset = Math.max(0, Number(query.get('offset') ?? 0) || 0);
  const go = (s: string, o: number): void => {
    const q = new URLSearchParams();
    if (s) q.set('state', s);
    if (o) q.set('offset', String(o));
    location.hash = `#/runs${q.size ? `?${q}` : ''}`;
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
  const load = async (): Promise<void> => {
    let data: RunPage;
    try {
      data = (await api<RunPage>(`/api/runs?limit=${PAGE}&offset=${offset}${state ? `&state=${state}` : ''}`)).data;
    } catch (err) {
      if (!stopped) replace(body, errorState(err, () => void load()));
      if (!stopped) timer = setTimeout(() => void load(), 5000);
      return;
    }
    if (stopped) return;
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
          h('button', { type: 'button', disabled: offset === 0, onclick: () => go(state, Math.max(0, offset - PAGE)) }, '← Newer'),
          h('span', { class: 'muted' }, `${offset + 1}–${last} of ${data.total}`),
          h('button', { type: 'button', disabled: last >= data.total, onclick: () => go(state, offset + PAGE) }, 'Older →'),
        ),
      );
    }
    const active = data.runs.some((r) => isActiveRun(r.state));
    timer = setTimeout(() => void load(), active ? 1500 : 5000);
  };
  void load();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
