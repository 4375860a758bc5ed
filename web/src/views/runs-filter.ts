import { h } from '../dom';
import { zoneNote } from '../format';
import { RUN_STATES } from '../../../src/api/wire';
import { runLook } from '../states';

/** What the runs list is filtered by, as the address (`#/runs?…`) and the form hold it. Dates are the reader's local days. */
export interface RunFilter {
  state: string;
  task: string;
  /** `name=value` pairs. */
  params: string[];
  /** `YYYY-MM-DD`, from the start of that day. */
  from: string;
  /** `YYYY-MM-DD`, to the end of that day. */
  to: string;
}

/** A run's or task's parameters as the filter's `name=value` pairs. */
export function paramPairs(params: Record<string, unknown>): string[] {
  return Object.entries(params).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
}

export function filterFrom(q: URLSearchParams): RunFilter {
  return { state: q.get('state') ?? '', task: q.get('task') ?? '', params: q.getAll('params').filter(Boolean), from: q.get('from') ?? '', to: q.get('to') ?? '' };
}

/** The filter as the address's query (what a link or a reload keeps). */
export function filterQuery(f: RunFilter): URLSearchParams {
  const q = new URLSearchParams();
  if (f.state) q.set('state', f.state);
  if (f.task) q.set('task', f.task);
  for (const p of f.params) q.append('params', p);
  if (f.from) q.set('from', f.from);
  if (f.to) q.set('to', f.to);
  return q;
}

/** Local midnight of a `YYYY-MM-DD` day, plus `days`, in epoch ms (the API takes epoch ms; `to` is exclusive there). */
function localDay(day: string, days = 0): number {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(y ?? 1970, (m ?? 1) - 1, (d ?? 1) + days).getTime();
}

/** The filter as `GET /api/runs` takes it: the days become the reader's local midnights, `to` through the end of its day. */
export function apiQuery(f: RunFilter): URLSearchParams {
  const q = filterQuery({ ...f, from: '', to: '' });
  if (f.from) q.set('from', String(localDay(f.from)));
  if (f.to) q.set('to', String(localDay(f.to, 1)));
  return q;
}

export function isFiltered(f: RunFilter): boolean {
  return Boolean(f.state || f.task || f.params.length || f.from || f.to);
}

/** A filter in words: `failed runs of StepsTask with stage=load from 2026-12-01`. */
export function filterWords(f: RunFilter): string {
  const parts = [f.state ? `${runLook(f.state as (typeof RUN_STATES)[number]).label} runs` : 'runs'];
  if (f.task) parts.push(`of ${f.task}`);
  if (f.params.length) parts.push(`with ${f.params.join(' ')}`);
  if (f.from) parts.push(`from ${f.from}`);
  if (f.to) parts.push(`to ${f.to}`);
  return parts.join(' ');
}

/**
 * The filter form over the runs list: state, task (a reference, `type/Task` or a class name),
 * parameters (`name=value`, space-separated), and days. Submitting (Enter or the button)
 * applies it; the state applies as soon as it changes.
 */
export function filterForm(f: RunFilter, apply: (f: RunFilter) => void): { el: HTMLFormElement; error(param: string | null, message: string): void } {
  const field = (id: string, label: string, input: HTMLInputElement | HTMLSelectElement): HTMLElement =>
    h('div', { class: 'rf-field' }, h('label', { for: id }, label), input);
  const state = h('select', { id: 'state-filter', name: 'state' }, h('option', { value: '' }, 'all states'),
    RUN_STATES.map((s) => h('option', { value: s, selected: s === f.state }, runLook(s).label)));
  const task = h('input', { type: 'search', id: 'rf-task', name: 'task', value: f.task, placeholder: 'StepsTask or type/chain/Task', autocomplete: 'off' });
  const params = h('input', { type: 'search', id: 'rf-params', name: 'params', value: f.params.join(' '), placeholder: 'stage=load n=5', autocomplete: 'off' });
  const from = h('input', { type: 'date', id: 'rf-from', name: 'from', value: f.from });
  const to = h('input', { type: 'date', id: 'rf-to', name: 'to', value: f.to });
  const msg = h('p', { class: 'field-error', id: 'rf-error', role: 'alert' });
  const read = (): RunFilter => ({ state: state.value, task: task.value.trim(), params: params.value.split(/\s+/).filter(Boolean), from: from.value, to: to.value });
  const el = h('form', { class: 'runs-filter', role: 'search', 'aria-label': 'Filter runs', onsubmit: (e) => {
    e.preventDefault();
    apply(read());
  } },
  field('state-filter', 'State', state), field('rf-task', 'Task', task), field('rf-params', 'Parameters', params),
  field('rf-from', 'From', from), field('rf-to', 'To', to),
  h('div', { class: 'rf-actions' }, h('button', { type: 'submit', class: 'primary' }, 'Filter'),
    h('button', { type: 'button', onclick: () => {
      for (const i of [task, params, from, to]) i.value = '';
      state.value = '';
      apply(read());
    } }, 'Clear')),
  h('p', { class: 'hint rf-hint' }, `Days are local (${zoneNote()}); parameters as name=value, separated by spaces.`), msg);
  state.addEventListener('change', () => apply(read()));
  const inputs: Record<string, HTMLElement> = { state, task, params, from, to };
  return {
    el,
    error(param, message) {
      for (const i of Object.values(inputs)) i.removeAttribute('aria-invalid');
      msg.textContent = message;
      const bad = param ? inputs[param] : undefined;
      if (bad) {
        bad.setAttribute('aria-invalid', 'true');
        bad.setAttribute('aria-describedby', 'rf-error');
      }
    },
  };
}
