import { api, ApiError } from '../api';
import { h, replace } from '../dom';
import type { CatalogueEntry, ParamSchema, RunStarted, TaskAnswer } from '../../../src/api/wire';
import { outputLink } from './output-link';

function kindOf(s: ParamSchema): string {
  if (s.enum) return 'one of';
  if (s.type === 'string' && s.format === 'date') return 'date';
  if (s.type === 'array') return `list of ${kindOf(s.items ?? {})}, comma-separated`;
  return s.type ?? 'value';
}

function defaultText(v: unknown): string {
  return Array.isArray(v) ? v.join(',') : typeof v === 'string' ? v : JSON.stringify(v);
}

/** A parameter's field: its row, how to read its value (undefined when empty), its error line and its control. */
export interface ParamField {
  row: HTMLElement;
  read: () => unknown;
  error: HTMLElement;
  control: HTMLInputElement | HTMLSelectElement;
}

/** One field for one parameter: its control, its label with type and required mark, and room for the API's message. */
export function paramField(name: string, s: ParamSchema, required: boolean): ParamField {
  const id = `param-${name}`;
  const errId = `err-${name}`;
  const descId = `desc-${name}`;
  const error = h('p', { class: 'field-error', id: errId, role: 'alert' });
  const common = { id, name, 'aria-describedby': `${descId} ${errId}`, 'aria-required': required ? 'true' : 'false' };
  let control: HTMLInputElement | HTMLSelectElement;
  let read: () => unknown;
  if (s.type === 'boolean') {
    const input = h('input', { ...common, type: 'checkbox', checked: s.default === true });
    control = input;
    read = () => input.checked;
  } else if (s.enum) {
    const select = h('select', common,
      required ? h('option', { value: '' }, '— choose —') : null,
      s.enum.map((v) => h('option', { value: String(v), selected: v === s.default }, String(v))),
    );
    control = select;
    read = () => (select.value === '' ? undefined : select.value);
  } else {
    const numeric = s.type === 'integer' || s.type === 'number';
    const input = h('input', {
      ...common,
      type: s.format === 'date' ? 'date' : 'text',
      min: s.formatMinimum ?? null,
      max: s.formatMaximum ?? null,
      inputmode: numeric ? (s.type === 'integer' ? 'numeric' : 'decimal') : null,
      placeholder: s.default !== undefined ? defaultText(s.default) : null,
      autocomplete: 'off',
    });
    control = input;
    read = () => {
      const v = input.value.trim();
      return v === '' ? undefined : v;
    };
  }
  const low = s.minimum ?? s.formatMinimum;
  const high = s.maximum ?? s.formatMaximum;
  const bounds = [low !== undefined ? `≥ ${low}` : '', high !== undefined ? `≤ ${high}` : ''].filter(Boolean).join(', ');
  const hint = [kindOf(s), bounds, s.default !== undefined ? `default ${defaultText(s.default)}` : ''].filter(Boolean).join(' · ');
  const row = h('div', { class: `field${s.type === 'boolean' ? ' check' : ''}`, 'data-param': name },
    h('label', { for: id }, name, required ? h('span', { class: 'req', title: 'required' }, ' *', h('span', { class: 'sr' }, ' (required)')) : null),
    control,
    h('p', { class: 'hint', id: descId }, s.description ? `${s.description} — ` : '', hint),
    error,
  );
  return { row, read, error, control };
}

/** The form that starts a task, generated from its parameter schema. */
export function taskForm(t: CatalogueEntry, onStarted: (runId: string) => void, prefill = new URLSearchParams()): HTMLElement {
  const props = t.params.properties ?? {};
  // In the order the task declares them (JSON keeps it): a chain author orders them for a reason.
  const names = Object.keys(props);
  const fields = new Map(names.map((n) => [n, paramField(n, props[n] as ParamSchema, t.params.required.includes(n))]));
  for (const [name, f] of fields) {
    const v = prefill.get(name);
    if (v === null) continue;
    if (f.control instanceof HTMLInputElement && f.control.type === 'checkbox') f.control.checked = v === 'true';
    else f.control.value = v;
  }
  const result = h('div', { class: 'form-result', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Run');
  const form = h('form', { class: 'task-form', novalidate: true, 'aria-label': `Run ${t.task}` },
    h('h2', {}, t.task),
    h('p', { class: 'muted' }, h('code', {}, `POST ${t.endpoint}`)),
    names.length ? [...fields.values()].map((f) => f.row) : h('p', { class: 'muted' }, 'This task takes no parameters.'),
    h('div', { class: 'actions' }, submit),
    result,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body: Record<string, unknown> = {};
    for (const [name, f] of fields) {
      f.error.textContent = '';
      f.control.removeAttribute('aria-invalid');
      const v = f.read();
      if (v !== undefined) body[name] = v;
    }
    replace(result);
    submit.disabled = true;
    try {
      const res = await api<TaskAnswer | RunStarted>(t.endpoint, { method: 'POST', json: body });
      if (res.status === 202 && res.data.run_id) {
        onStarted(res.data.run_id);
        return;
      }
      replace(result, h('div', { class: 'notice ok' },
        h('p', {}, h('strong', {}, '✓ Already complete'), ' — its outputs exist, nothing to run.'),
        h('p', {}, h('code', {}, res.data.task_id)),
        ('resources' in res.data ? res.data.resources : []).map((u) => h('p', {}, outputLink(u))),
      ));
    } catch (err) {
      if (err instanceof ApiError && Array.isArray(err.details)) {
        let first: HTMLElement | null = null;
        for (const d of err.details as { param?: string; reason?: string }[]) {
          const f = d.param ? fields.get(d.param) : undefined;
          if (!f) continue;
          f.error.textContent = d.reason ?? 'invalid';
          f.control.setAttribute('aria-invalid', 'true');
          first ??= f.control;
        }
        first?.focus();
      }
      replace(result, h('div', { class: 'notice error', role: 'alert' }, h('strong', {}, err instanceof ApiError ? `${err.code}: ` : 'Error: '), (err as Error).message));
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}
