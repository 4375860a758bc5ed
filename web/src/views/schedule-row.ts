import { type Child, h, replace } from '../dom';
import { tickTime } from '../format';
import type { ScheduleSummary } from '../../../src/api/wire';
import { scheduleLook, stateClass } from '../states';
import { runBadge } from './runs';

/** What a row's buttons ask the server for. */
export type ScheduleAction = 'pause' | 'resume' | 'trigger';

/** A schedule as people name it: its task as `type/Task`, then the schedule's name (`timed/DayTask nightly`). */
export function scheduleName(s: ScheduleSummary): string {
  const [type = '', , task = ''] = s.task.split('/');
  return `${type}/${task} ${s.name}`;
}

export function scheduleBadge(state: ScheduleSummary['state']): HTMLElement {
  const look = scheduleLook(state);
  return h('span', { class: `badge ${stateClass(state)}`, 'data-state': state }, h('span', { 'aria-hidden': 'true' }, look.symbol), ` ${look.label}`);
}

/**
 * One schedule's row of the Schedules table. It is updated in place from each answer: a cell
 * is rebuilt only when what it shows changed, and Pause / Resume is one button whose label
 * changes, so the element a keyboard user is on keeps the focus.
 */
export class ScheduleRow {
  readonly el: HTMLTableRowElement;
  readonly #task = h('th', { scope: 'row' });
  readonly #name = h('td', { class: 'sched-name' });
  readonly #cron = h('td', { class: 'sched-cron' });
  readonly #state = h('td', { class: 'sched-state' });
  readonly #next = h('td', { class: 'sched-next' });
  readonly #last = h('td', { class: 'sched-last' });
  readonly #run = h('td', { class: 'sched-run' });
  readonly #toggle = h('button', { type: 'button', onclick: () => this.#act(this.#s.state === 'paused' ? 'resume' : 'pause') });
  readonly #trigger = h('button', { type: 'button', 'data-action': 'trigger', onclick: () => this.#act('trigger') }, 'Trigger now');
  #s: ScheduleSummary;
  #busy = false;

  constructor(
    s: ScheduleSummary,
    private readonly onAction: (row: ScheduleRow, action: ScheduleAction) => Promise<void>,
  ) {
    this.#s = s;
    this.el = h('tr', { 'data-schedule': s.key },
      this.#task, this.#name, this.#cron, this.#state, this.#next, this.#last, this.#run,
      h('td', { class: 'sched-actions' }, this.#toggle, ' ', this.#trigger));
    this.update(s);
  }

  get schedule(): ScheduleSummary {
    return this.#s;
  }

  update(s: ScheduleSummary): void {
    this.#s = s;
    const [type = '', chain = '', task = ''] = s.task.split('/');
    const name = scheduleName(s);
    this.#cell(this.#task, s.task, h('code', {}, `${type}/${task}`), h('span', { class: 'muted chain' }, chain));
    this.#cell(this.#name, s.name, s.name);
    this.#cell(this.#cron, `${s.cron} ${s.timezone}`, h('code', {}, s.cron), h('span', { class: 'muted zone' }, s.timezone));
    this.#cell(this.#state, s.state, scheduleBadge(s.state));
    this.#cell(this.#next, `${s.next_tick} ${s.state}`, s.next_tick !== null ? when(s.next_tick, s.timezone) : h('span', { class: 'muted' }, s.state === 'paused' ? 'none while paused' : 'none'));
    this.#cell(this.#last, String(s.last_tick), s.last_tick !== null ? when(s.last_tick, s.timezone) : h('span', { class: 'muted' }, 'not yet'));
    const r = s.last_run;
    this.#cell(this.#run, r ? `${r.run_id} ${r.state}` : '',
      r ? [h('a', { href: `#/runs/${r.run_id}`, class: 'last-run', 'data-run': r.run_id }, `run ${r.run_id.slice(0, 8)}`), ' ', runBadge(r.state)] : h('span', { class: 'muted' }, 'none yet'));
    const resume = s.state === 'paused';
    this.#toggle.textContent = resume ? 'Resume' : 'Pause';
    this.#toggle.dataset['action'] = resume ? 'resume' : 'pause';
    this.#toggle.setAttribute('aria-label', `${resume ? 'Resume' : 'Pause'} ${name}`);
    this.#trigger.setAttribute('aria-label', `Trigger now: ${name}`);
  }

  /** While an action is under way the buttons say so and ignore clicks (not `disabled`: that would drop the focus). */
  set busy(on: boolean) {
    this.#busy = on;
    this.el.toggleAttribute('aria-busy', on);
    for (const b of [this.#toggle, this.#trigger]) b.setAttribute('aria-disabled', String(on));
  }

  #act(action: ScheduleAction): void {
    if (!this.#busy) void this.onAction(this, action);
  }

  /** Rebuild a cell only when its content changed (`sig`), so a focused link in it stays. */
  #cell(td: HTMLElement, sig: string, ...children: Child[]): void {
    if (td.dataset['sig'] === sig) return;
    td.dataset['sig'] = sig;
    replace(td, ...children);
  }
}

function when(ms: number, zone: string): HTMLElement {
  return h('time', { datetime: new Date(ms).toISOString() }, tickTime(ms, zone));
}
