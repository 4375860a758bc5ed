import { ApiError } from '../api';
import { h, replace } from '../dom';
import type { CatalogueEntry, ParamSchema } from '../../../src/api/wire';
import { type ParamField, paramField } from './form';

/** What the grid shows: a task's partitions over a range, and its other parameters as text (as a URL carries them). */
export interface PartitionQuery {
  /** `type/chain/Task`. */
  task: string;
  from: string;
  to: string;
  step: string;
  /** The parameter each partition sets. */
  over: string;
  params: Array<[string, string]>;
}

const STEPS = ['day', 'hour', 'week', 'month'];
/** Keys of the range itself in the URL and the API's query; every other key is one of the task's parameters. */
const RANGE_KEYS = ['task', 'from', 'to', 'step', 'over'] as const;
type RangeKey = (typeof RANGE_KEYS)[number];

/** The query as URL parameters: the view's hash carries them all; the API's query string is the same without `task`. */
export function queryParams(q: PartitionQuery, withTask: boolean): URLSearchParams {
  const u = new URLSearchParams();
  if (withTask) u.set('task', q.task);
  u.set('from', q.from);
  u.set('to', q.to);
  if (q.step !== 'day') u.set('step', q.step);
  u.set('over', q.over);
  for (const [k, v] of q.params) u.set(k, v);
  return u;
}

/** True when a URL's query asks the API for exactly `q` (so an answer to the URL, asked before the form was built, is q's). */
export function sameQuery(q: PartitionQuery, url: URLSearchParams): boolean {
  const given = [...url].filter(([k]) => !(RANGE_KEYS as readonly string[]).includes(k));
  const params = new Map(q.params);
  return url.get('task') === q.task && url.get('from') === q.from && url.get('to') === q.to && (url.get('step') ?? 'day') === q.step
    && (url.get('over') ?? q.over) === q.over && given.length === params.size && given.every(([k, v]) => params.get(k) === v);
}

/** Tasks the view offers: those with a date parameter. */
export function hasDateParam(t: CatalogueEntry): boolean {
  return Object.values(t.params.properties ?? {}).some((s) => s.format === 'date');
}

/** The parameters a partition can set: the date ones, and for hours (`YYYY-MM-DDTHH`) plain strings first. */
function overChoices(t: CatalogueEntry, step: string): string[] {
  const props = t.params.properties ?? {};
  const names = Object.keys(props).sort();
  const dates = names.filter((n) => props[n]?.format === 'date');
  if (step !== 'hour') return dates;
  return [...names.filter((n) => props[n]?.type === 'string' && !props[n]?.format && !props[n]?.enum), ...dates];
}

/** `YYYY-MM-DD` of a local date. */
function ymd(d: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** The default range: the last 365 days, ending today (the reader's today). */
export function defaultRange(now = new Date()): { from: string; to: string } {
  return { from: ymd(new Date(now.getFullYear(), now.getMonth(), now.getDate() - 364)), to: ymd(now) };
}

/** A labelled control of the range with its error line, in the markup of form.ts's fields. */
function rangeField(key: RangeKey, label: string, control: HTMLInputElement | HTMLSelectElement): { row: HTMLElement; error: HTMLElement } {
  const error = h('p', { class: 'field-error', id: `err-pt-${key}`, role: 'alert' });
  control.id = `pt-${key}`;
  control.name = key;
  control.setAttribute('aria-describedby', error.id);
  return { row: h('div', { class: 'field', 'data-range': key }, h('label', { for: control.id }, label), control, error), error };
}

/**
 * The partitions view's form: a task among those with a date parameter, from, to, step, the
 * parameter partitions go over when there is a choice, and inputs for the task's other
 * parameters (form.ts's fields). Filled from the URL; an error of the API is shown by the
 * field it names.
 */
export class PartitionForm {
  readonly el: HTMLFormElement;
  readonly #tasks: CatalogueEntry[];
  readonly #task: HTMLSelectElement;
  readonly #from = h('input', { type: 'date', required: true });
  readonly #to = h('input', { type: 'date', required: true });
  readonly #step = h('select', {}, STEPS.map((s) => h('option', { value: s }, s)));
  readonly #over = h('select', {});
  readonly #overRow: HTMLElement;
  readonly #paramsBox = h('div', { class: 'pt-params' });
  readonly #errors = new Map<string, { error: HTMLElement; control: HTMLElement }>();
  #params = new Map<string, ParamField>();

  constructor(tasks: CatalogueEntry[], initial: URLSearchParams, onShow: (q: PartitionQuery) => void) {
    this.#tasks = tasks;
    const wanted = initial.get('task');
    const known = tasks.find((t) => t.ref === wanted);
    this.#task = h('select', {}, tasks.map((t) => h('option', { value: t.ref, selected: t === known }, t.ref)));
    const range = defaultRange();
    this.#from.value = initial.get('from') ?? range.from;
    this.#to.value = initial.get('to') ?? range.to;
    this.#step.value = STEPS.includes(initial.get('step') ?? '') ? (initial.get('step') as string) : 'day';
    const fields = {
      task: rangeField('task', 'Task', this.#task),
      from: rangeField('from', 'From', this.#from),
      to: rangeField('to', 'To', this.#to),
      step: rangeField('step', 'Step', this.#step),
      over: rangeField('over', 'Partitions over', this.#over),
    };
    for (const k of RANGE_KEYS) this.#errors.set(k, { error: fields[k].error, control: fields[k].row.querySelector('input, select') as HTMLElement });
    this.#overRow = fields.over.row;
    this.el = h('form', { class: 'pt-form', novalidate: true, 'aria-label': 'Partitions to show' },
      h('div', { class: 'pt-fields' }, fields.task.row, fields.from.row, fields.to.row, fields.step.row, this.#overRow),
      this.#paramsBox,
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Show')),
    );
    this.#rebuild(initial, initial.get('over'));
    this.#task.addEventListener('change', () => this.#rebuild(this.#typed(), null));
    this.#step.addEventListener('change', () => this.#rebuild(this.#typed(), this.#over.value));
    this.#over.addEventListener('change', () => this.#rebuild(this.#typed(), this.#over.value));
    this.el.addEventListener('submit', (e) => {
      e.preventDefault();
      const q = this.read();
      if (q) onShow(q);
    });
    if (wanted && !known) this.#mark('task', `no task ${wanted} with a date parameter: showing ${this.entry.ref}`);
  }

  /** The chosen task's catalogue entry. */
  get entry(): CatalogueEntry {
    return this.#tasks.find((t) => t.ref === this.#task.value) ?? (this.#tasks[0] as CatalogueEntry);
  }

  /** True when every required parameter has a value (the view shows the grid at once). */
  complete(): boolean {
    return this.#missing().length === 0;
  }

  /** The query, or null (with the fields marked) when a required parameter is empty. */
  read(): PartitionQuery | null {
    this.clearErrors();
    const missing = this.#missing();
    for (const name of missing) this.#mark(name, 'required parameter is missing');
    if (missing.length > 0) {
      this.#params.get(missing[0] as string)?.control.focus();
      return null;
    }
    const params: Array<[string, string]> = [];
    for (const [name, f] of this.#params) {
      const v = f.read();
      if (v !== undefined) params.push([name, String(v)]);
    }
    return { task: this.entry.ref, from: this.#from.value, to: this.#to.value, step: this.#step.value, over: this.#over.value, params };
  }

  clearErrors(): void {
    for (const { error, control } of this.#errors.values()) {
      error.textContent = '';
      control.removeAttribute('aria-invalid');
    }
    for (const f of this.#params.values()) {
      f.error.textContent = '';
      f.control.removeAttribute('aria-invalid');
    }
  }

  /** Mark the field an API error names (`details.param`, or each of a list of `{param, reason}`). */
  showError(err: unknown): void {
    if (!(err instanceof ApiError)) return;
    const list = Array.isArray(err.details) ? (err.details as Array<{ param?: string; reason?: string }>) : [err.details as { param?: string } | null];
    for (const d of list) if (d && typeof d.param === 'string') this.#mark(d.param, 'reason' in d && typeof d.reason === 'string' ? d.reason : err.message);
  }

  #mark(name: string, reason: string): void {
    const f = this.#errors.get(name) ?? this.#params.get(name);
    if (!f) return;
    f.error.textContent = reason;
    f.control.setAttribute('aria-invalid', 'true');
  }

  #missing(): string[] {
    return this.entry.params.required.filter((n) => n !== this.#over.value && this.#params.get(n)?.read() === undefined);
  }

  /** What is typed in the parameter fields now, to carry over to the next task's fields of the same names. */
  #typed(): URLSearchParams {
    const u = new URLSearchParams();
    for (const [name, f] of this.#params) {
      const v = f.read();
      if (v !== undefined) u.set(name, String(v));
    }
    return u;
  }

  /** The over choice and the parameter fields of the chosen task, filled from `values`. */
  #rebuild(values: URLSearchParams, over: string | null): void {
    const t = this.entry;
    const choices = overChoices(t, this.#step.value);
    const chosen = over && choices.includes(over) ? over : (choices[0] ?? '');
    replace(this.#over, choices.map((c) => h('option', { value: c, selected: c === chosen }, c)));
    this.#over.value = chosen;
    this.#overRow.hidden = choices.length < 2;
    const props = t.params.properties ?? {};
    this.#params = new Map();
    for (const name of Object.keys(props).sort()) {
      if (name === chosen) continue;
      const f = paramField(name, props[name] as ParamSchema, t.params.required.includes(name));
      const v = values.get(name);
      if (v !== null) {
        if (f.control instanceof HTMLInputElement && f.control.type === 'checkbox') f.control.checked = v === 'true';
        else f.control.value = v;
      }
      this.#params.set(name, f);
    }
    replace(this.#paramsBox, [...this.#params.values()].map((f) => f.row));
  }
}
