import { api, text } from '../api';
import { download, h, replace } from '../dom';
import { duration, paramsLine, time } from '../format';
import graphCss from '../graph/graph.css?raw';
import type { GraphView } from '../graph/view';
import { isActiveRun, type RetryAnswer, type RunState, type RunSummary } from '../../../src/api/wire';
import { runBadge } from './runs';
import { triggerTag } from './trigger-tag';

/**
 * The run view's header: the root task, its state and trigger (a schedule's), parameters,
 * times and error (for a SKIPPED run, why nothing ran), and the run's actions (cancel, retry,
 * export as SVG or DOT); under it, a line for notices. Built on the first render and updated
 * in place after, so that focus stays put.
 */
export class RunHead {
  readonly el = h('header', { class: 'run-head' }, h('p', { class: 'muted loading' }, 'Loading run…'));
  readonly notice = h('div', { class: 'run-notice', 'aria-live': 'polite' });
  readonly #title = h('h1', {});
  readonly #badge = h('span', {});
  readonly #trigger = h('span', { class: 'run-trigger' });
  readonly #skipped = h('p', { class: 'skipped-note' });
  readonly #sub = h('p', { class: 'muted' });
  readonly #times = h('p', { class: 'muted times' });
  readonly #error = h('div', {});
  readonly #cancel = h('button', { type: 'button', class: 'danger', disabled: true, onclick: () => void this.#cancelRun(), 'data-action': 'cancel' }, 'Cancel run');
  readonly #retry = h('button', { type: 'button', disabled: true, onclick: () => void this.#retryRun(), 'data-action': 'retry' }, 'Retry');
  #built = false;

  constructor(
    private readonly runId: string,
    /** The graph, for its SVG export; none on the timeline. */
    private readonly view: GraphView | null,
  ) {}

  render(r: RunSummary): void {
    if (!this.#built) {
      this.#built = true;
      replace(this.el, h('div', { class: 'title' }, this.#title, this.#badge, this.#trigger), this.#sub, this.#times, this.#skipped, this.#error,
        h('div', { class: 'actions' }, this.#cancel, this.#retry,
          this.view ? h('button', { type: 'button', onclick: () => this.#exportSvg(), 'data-action': 'export-svg' }, 'Export SVG') : null,
          h('button', { type: 'button', onclick: () => void this.#exportDot(), 'data-action': 'export-dot' }, 'Export DOT')),
        this.#tabs());
      // Arriving here from a form that started the run, focus was on a button now gone: it goes to the run's title.
      this.#title.tabIndex = -1;
      if (!document.activeElement || document.activeElement === document.body) this.#title.focus({ preventScroll: true });
    }
    const active = isActiveRun(r.state);
    const dur = r.duration_ms ?? (r.started_at && active ? Date.now() - r.started_at : null);
    this.#title.textContent = r.task;
    if (this.#badge.dataset['state'] !== r.state) replace(this.#badge, runBadge(r.state), r.interrupted ? h('span', { class: 'muted' }, ' interrupted') : null);
    this.#badge.dataset['state'] = r.state;
    replace(this.#trigger, triggerTag(r.trigger));
    replace(this.#skipped, r.state === 'SKIPPED' ? skippedNote(r) : null);
    this.#skipped.hidden = r.state !== 'SKIPPED';
    replace(this.#sub, paramsLine(r.params) || 'default parameters', ' · run ', h('code', {}, r.run_id));
    this.#times.textContent = `created ${time(r.created_at)}${r.started_at ? ` · started ${time(r.started_at)}` : ''}${dur !== null ? ` · ${active ? 'running for' : 'took'} ${duration(dur)}` : ''}`;
    replace(this.#error, r.error ? h('div', { class: 'error-box', role: 'alert' }, h('p', { class: 'error-message' }, r.error.code ? h('code', {}, r.error.code) : null, ' ', r.error.message)) : null);
    this.#cancel.disabled = !active;
    this.#retry.disabled = !canRetry(r.state);
  }

  /** Graph or timeline: two views of the run, each a link (the hash says which). */
  #tabs(): HTMLElement {
    const timeline = !this.view;
    const tab = (label: string, href: string, current: boolean): HTMLElement => h('a', { href, class: 'run-tab', ...(current ? { 'aria-current': 'page' } : {}) }, label);
    return h('nav', { class: 'run-tabs', 'aria-label': 'Views of this run' },
      tab('Graph', `#/runs/${this.runId}`, !timeline), tab('Timeline', `#/runs/${this.runId}/timeline`, timeline));
  }

  say(kind: 'ok' | 'error', msg: string): void {
    replace(this.notice, h('div', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, msg));
  }

  async #cancelRun(): Promise<void> {
    try {
      await api(`/api/runs/${this.runId}/cancel`, { method: 'POST' });
      this.say('ok', 'Run cancelled.');
    } catch (err) {
      this.say('error', (err as Error).message);
    }
  }

  async #retryRun(): Promise<void> {
    try {
      const res = await api<RetryAnswer>(`/api/runs/${this.runId}/retry`, { method: 'POST' });
      if (res.data.run_id) location.hash = `#/runs/${res.data.run_id}`;
      else this.say('ok', 'Already complete: nothing to retry.');
    } catch (err) {
      this.say('error', (err as Error).message);
    }
  }

  #exportSvg(): void {
    if (this.view) download(`nectar-run-${this.runId}.svg`, 'image/svg+xml', this.view.exportSvg(graphCss));
  }

  async #exportDot(): Promise<void> {
    try {
      download(`nectar-run-${this.runId}.dot`, 'text/vnd.graphviz', await text(`/api/runs/${this.runId}/graph?format=dot`));
    } catch (err) {
      this.say('error', `Export failed: ${(err as Error).message}`);
    }
  }
}

/** Whether Retry applies: a run that ended without its result. SUCCEEDED and SKIPPED have it (nothing to redo). */
function canRetry(state: RunState): boolean {
  switch (state) {
    case 'FAILED':
    case 'CANCELLED':
      return true;
    case 'QUEUED':
    case 'RUNNING':
    case 'SUCCEEDED':
    case 'SKIPPED':
      return false;
    default: {
      const never: never = state;
      return never;
    }
  }
}

/** Why a SKIPPED run did nothing: its task was complete, or running in another run (linked). */
function skippedNote(r: RunSummary): (Node | string)[] {
  if (r.joined) return ['Nothing ran: the task was already running, in ', h('a', { href: `#/runs/${r.joined}`, class: 'joined-run' }, `run ${r.joined.slice(0, 8)}`), '.'];
  return ['Nothing ran: the task was already complete, so its outputs are those of an earlier run.'];
}
