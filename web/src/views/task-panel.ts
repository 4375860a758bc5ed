import { api, ApiError, idPath, invalidateConfirmed } from '../api';
import { h, replace } from '../dom';
import { duration, logLine, time, zoneNote } from '../format';
import type { RunGraph, TaskNode } from '../graph/model';
import { type InvalidateAnswer, type LineageAnswer, type LineageNeighbourJson, type LogAnswer, TASK_STATES, type TaskState, type TaskStatus, isNotStarted } from '../../../src/api/wire';
import { stateClass, taskLook } from '../states';
import { outputLink } from './output-link';
import { taskHistory } from './task-history';

const MAX_LOG_LINES = 500;

/** What the run did with a task it found stale. */
function staleFate(t: TaskNode): string {
  if (t.skipped) return 'Its outputs were stale and kept as they are (stale policy keep):';
  if (t.error?.code === 'STALE') return 'Its outputs were stale and the run failed on them (stale policy fail):';
  return 'Its outputs were stale, so this run built it again:';
}

/**
 * Remove a task's outputs (and, ticked, those of every task recorded as built from them):
 * what would go is asked first (a dry run) and shown in a confirmation; the answer says what went.
 */
function invalidateControls(t: TaskNode): HTMLElement {
  const down = h('input', { type: 'checkbox', id: 'invalidate-downstream', checked: true });
  const result = h('p', { class: 'invalidate-result', role: 'status' });
  const go = async (): Promise<void> => {
    try {
      const done = await invalidateConfirmed<InvalidateAnswer>(t.id, down.checked, (dry) => {
        const files = dry.tasks.reduce((n, x) => n + x.keys.length, 0);
        const list = dry.tasks.map((x) => `  ${x.task_id}${x.because ? ' (built from it)' : ''}`).join('\n');
        return `Remove ${files} files of ${dry.tasks.length} task(s)?\n${list}`;
      });
      if (done) result.textContent = done.message;
    } catch (err) {
      result.textContent = `Could not invalidate: ${(err as Error).message}${err instanceof ApiError ? ` (${err.code})` : ''}`;
    }
  };
  return h('div', { class: 'invalidate' },
    h('button', { type: 'button', class: 'invalidate-button', onclick: () => void go() }, 'Invalidate outputs…'),
    h('label', { for: 'invalidate-downstream' }, down, ' and what was built from them'),
    result);
}

/** The task's form with its parameters filled in: `#/chains/<type>/<chain>/<Task>?k=v`. */
function runAgainHref(t: TaskNode): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(t.params)) q.set(k, Array.isArray(v) ? v.join(',') : typeof v === 'string' ? v : JSON.stringify(v));
  return `#/chains/${t.family}${q.size ? `?${q}` : ''}`;
}

/** The order of a family's members in its panel: what needs attention first. */
const MEMBER_ORDER: readonly TaskState[] = ['FAILED', 'UPSTREAM_FAILED', 'CANCELLED', 'RUNNING', 'QUEUED', 'PENDING', 'DONE'];

/** A family's failed tasks grouped by their error's message, most frequent first; `first`: one to open. */
function failureGroups(tasks: readonly TaskNode[]): { message: string; count: number; first: string }[] {
  const groups = new Map<string, { message: string; count: number; first: string }>();
  for (const t of tasks) {
    if (t.state !== 'FAILED') continue;
    const message = t.error?.message ?? 'no error recorded';
    const g = groups.get(message);
    if (g) g.count += 1;
    else groups.set(message, { message, count: 1, first: t.id });
  }
  return [...groups.values()].sort((a, b) => b.count - a.count);
}

/** Why a task that never started has no log (undefined: it may have one). */
function neverRan(t: TaskNode): string | undefined {
  if (t.state === 'UPSTREAM_FAILED') return 'No log: this task never ran, because a task it depends on failed.';
  if (t.state === 'CANCELLED' && t.startedAt === null) return 'No log: the run was cancelled before this task started.';
  return undefined;
}

/** A cancelled task's note: a cancel is someone's decision, not a crash, so no stack and no alarm. */
function cancelText(t: TaskNode): string {
  return t.startedAt === null ? 'The run was cancelled before this task started.' : 'The run was cancelled while this task ran; it was stopped.';
}

export function taskBadge(state: TaskState, skipped = false): HTMLElement {
  const look = taskLook(state);
  return h('span', { class: `badge ${stateClass(state)}`, 'data-state': state }, h('span', { 'aria-hidden': 'true' }, look.symbol), ` ${look.label}${skipped ? ' (already complete)' : ''}`);
}

function logPath(id: string): string {
  return idPath('tasks', id, '/log');
}

/**
 * The side panel of the run view: a task's params, timings, error and stack, outputs and the
 * tail of its log (following live lines while it runs), or a collapsed family's counts and members.
 */
export class TaskPanel {
  readonly el = h('aside', { class: 'panel', 'aria-label': 'Selected task', 'aria-live': 'off' });
  #task: TaskNode | null = null;
  #log: HTMLPreElement | null = null;
  #follow = true;
  #logGen = 0;
  #duration: HTMLElement | null = null;
  #family: string | null = null;

  constructor(
    private readonly graph: RunGraph,
    /** The run shown (its row in a task's history is marked). */
    private readonly runId: string,
    private readonly actions: { selectTask: (id: string) => void; toggleFamily: (family: string) => void; rerunFrom: (t: TaskNode) => void },
  ) {
    this.empty();
  }

  get taskId(): string | null {
    return this.#task?.id ?? null;
  }

  empty(): void {
    this.#task = null;
    this.#family = null;
    this.#log = null;
    replace(this.el, h('div', { class: 'panel-empty muted' }, h('p', {}, 'Select a task in the graph (click it, or Tab to it and press Enter) to see its parameters, timings, errors, log and outputs.')));
  }

  showTask(t: TaskNode): void {
    this.#family = null;
    const same = this.#task?.id === t.id;
    this.#task = t;
    const scrollLog = same ? this.#log?.scrollTop : undefined;
    const log = h('pre', { class: 'log', tabindex: '0', 'aria-label': 'Task log' });
    const follow = h('input', { type: 'checkbox', id: 'follow-log', checked: this.#follow, onchange: (e) => (this.#follow = (e.target as HTMLInputElement).checked) });
    const outputs = h('div', { class: 'outputs' });
    const lineage = h('div', { class: 'lineage' }, h('p', { class: 'muted' }, 'Loading…'));
    const err = t.error;
    replace(this.el,
      h('header', {}, h('h2', {}, t.name), taskBadge(t.state, t.skipped)),
      h('p', {}, h('code', { class: 'task-id' }, t.id)),
      h('dl', { class: 'facts' },
        h('dt', {}, 'Attempts'), h('dd', {}, String(t.attempts)),
        h('dt', {}, 'Started'), h('dd', {}, time(t.startedAt)),
        h('dt', {}, 'Ended'), h('dd', {}, time(t.endedAt)),
        h('dt', {}, 'Duration'), (this.#duration = h('dd', {}, this.#durationText(t))),
      ),
      h('p', { class: 'hint zone-note' }, `Times are local (${zoneNote()}).`),
      h('div', { class: 'task-actions' },
        h('a', { href: runAgainHref(t), class: 'button-link', 'data-action': 'run-again' }, 'Run again with these parameters'),
        t.state === 'DONE' ? h('button', { type: 'button', 'data-action': 'rerun-from', title: 'Remove its outputs and those built from them, then start this run’s task again', onclick: () => this.actions.rerunFrom(t) }, 'Re-run from here…') : null),
      h('h3', {}, 'Parameters'),
      Object.keys(t.params).length
        ? h('table', { class: 'params-table' }, h('tbody', {}, Object.entries(t.params).map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, typeof v === 'string' ? v : JSON.stringify(v))))))
        : h('p', { class: 'muted' }, 'none'),
      t.stale ? [h('h3', {}, 'Stale'), h('p', {}, staleFate(t)), h('ul', { class: 'stale-reasons' }, t.stale.map((r) => h('li', {}, r)))] : null,
      t.state === 'CANCELLED' ? [h('h3', {}, 'Cancelled'), h('p', { class: 'cancel-note' }, cancelText(t))] : null,
      err && t.state !== 'CANCELLED' ? [h('h3', {}, 'Error'), h('div', { class: 'error-box', role: 'alert' },
        h('p', { class: 'error-message' }, err.code ? h('code', {}, err.code) : null, err.code ? ' ' : null, `${err.name ?? 'Error'}: ${err.message}`),
        err.stack ? h('pre', { class: 'stack', tabindex: '0', 'aria-label': 'Stack trace' }, err.stack) : null)] : null,
      t.state === 'DONE' ? [h('h3', {}, 'Outputs'), outputs, invalidateControls(t), h('h3', {}, 'Lineage'), lineage] : null,
      h('div', { class: 'log-head' }, h('h3', {}, 'Log'), t.state === 'RUNNING' ? h('label', { class: 'follow' }, follow, ' follow') : null),
      log,
      h('h3', {}, 'History'),
      taskHistory(t, this.runId),
    );
    this.#log = log;
    if (t.state === 'DONE') void this.#loadOutputs(t, outputs);
    if (t.state === 'DONE') void this.#loadLineage(t, lineage);
    void this.#loadLog(t, log, scrollLog);
  }

  /** Once a second: the running task's duration so far. */
  tick(): void {
    const t = this.#task;
    if (t?.state === 'RUNNING' && this.#duration) this.#duration.textContent = this.#durationText(t);
  }

  #durationText(t: TaskNode): string {
    if (t.startedAt && t.endedAt) return duration(t.endedAt - t.startedAt);
    return t.startedAt ? `${duration(Date.now() - t.startedAt)} so far` : '–';
  }

  /** The family the panel shows, if it shows one. */
  get family(): string | null {
    return this.#family;
  }

  showFamily(family: string): void {
    this.#task = null;
    this.#family = family;
    this.#log = null;
    const ids = this.graph.families().get(family) ?? [];
    const counts = this.graph.counts(ids);
    const collapsed = this.graph.collapsed.has(family);
    // Failures first (then what still runs or waits, then what is done), in the family's order within each state.
    const all = ids.map((id) => this.graph.tasks.get(id) as TaskNode);
    const members = [...all].sort((a, b) => MEMBER_ORDER.indexOf(a.state) - MEMBER_ORDER.indexOf(b.state)).slice(0, 200);
    const failures = failureGroups(all);
    const name = family.slice(family.lastIndexOf('/') + 1);
    replace(this.el,
      h('header', {}, h('h2', {}, `${name} ×${ids.length}`)),
      h('p', {}, h('code', {}, family)),
      h('button', { type: 'button', class: 'toggle-family', onclick: () => this.actions.toggleFamily(family) }, collapsed ? 'Expand family in the graph' : 'Collapse family into one node'),
      h('h3', {}, 'By state'),
      h('table', { class: 'counts-table' }, h('tbody', {}, TASK_STATES.filter((s) => counts[s] > 0).map((s) => h('tr', {}, h('th', { scope: 'row' }, taskBadge(s)), h('td', {}, String(counts[s])))))),
      failures.length ? [h('h3', {}, 'Failures by error'), h('ul', { class: 'failure-groups' }, failures.map((g) => h('li', {},
        h('button', { type: 'button', class: 'link', onclick: () => this.actions.selectTask(g.first) }, g.message), h('span', { class: 'muted' }, ` ×${g.count}`))))] : null,
      h('h3', {}, `Tasks${ids.length > members.length ? ` (first ${members.length}, failures first)` : ''}`),
      h('ul', { class: 'members' }, members.map((t) => h('li', {},
        h('button', { type: 'button', class: `link ${stateClass(t.state)}`, onclick: () => this.actions.selectTask(t.id) }, `${taskLook(t.state).symbol} ${t.name}(${Object.values(t.params).map(String).join(', ')})`)))),
    );
  }

  /** A live log line of some task; kept when it is the one shown and its log is open. */
  logLine(taskId: string, line: string): void {
    if (this.#task?.id !== taskId || !this.#log) return;
    this.#appendLines(this.#log, [line]);
  }

  async #loadLog(t: TaskNode, el: HTMLPreElement, scrollTop?: number): Promise<void> {
    const gen = ++this.#logGen;
    const never = neverRan(t);
    if (never || isNotStarted(t.state)) {
      el.textContent = never ?? (t.state === 'QUEUED' ? 'No log yet: the task waits for a worker of its queue.' : 'No log yet: the task has not started.');
      return;
    }
    try {
      const { data } = await api<LogAnswer>(logPath(t.id));
      if (gen !== this.#logGen || this.#log !== el) return;
      el.textContent = '';
      this.#appendLines(el, data.lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))));
      if (scrollTop !== undefined && !this.#follow) el.scrollTop = scrollTop;
    } catch (err) {
      if (gen !== this.#logGen || this.#log !== el) return;
      el.textContent = err instanceof ApiError && err.status === 404 ? (t.skipped ? 'Already complete before this run: see the log of the run that made it.' : 'No log yet.') : `Could not load the log: ${(err as Error).message}`;
    }
  }

  #appendLines(el: HTMLPreElement, lines: string[]): void {
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
    if (el.dataset['placeholder']) {
      el.textContent = '';
      delete el.dataset['placeholder'];
    }
    const frag = document.createDocumentFragment();
    for (const raw of lines) {
      const { text, level } = logLine(raw);
      frag.append(h('span', { class: `log-line lv-${level}` }, `${text}\n`));
    }
    el.append(frag);
    while (el.childElementCount > MAX_LOG_LINES) el.firstElementChild?.remove();
    if (this.#follow && (atBottom || lines.length > 1)) el.scrollTop = el.scrollHeight;
  }

  /** What it was built from and what was built from it (any run), each marked stale or gone; those in this run's graph open on a click. */
  async #loadLineage(t: TaskNode, el: HTMLElement): Promise<void> {
    const item = (n: LineageNeighbourJson): HTMLElement => {
      const label = n.task_id.split('/').slice(2).join('/');
      const inGraph = this.graph.tasks.has(n.task_id);
      const mark = !n.present ? ' (outputs gone)' : n.stale ? ` (stale: ${n.stale.join('; ')})` : '';
      return h('li', { class: n.stale ? 'stale' : n.present ? '' : 'gone' },
        inGraph ? h('button', { type: 'button', class: 'link', onclick: () => this.actions.selectTask(n.task_id) }, label) : h('code', {}, label),
        n.built_at ? h('span', { class: 'muted' }, ` built ${time(Date.parse(n.built_at))}`) : null,
        mark ? h('span', { class: n.stale ? 'stale-note' : 'muted' }, mark) : null);
    };
    const list = (title: string, items: LineageNeighbourJson[], none: string): (HTMLElement | null)[] =>
      [h('h4', {}, title), items.length ? h('ul', { class: 'lineage-list' }, items.map(item)) : h('p', { class: 'muted' }, none)];
    try {
      const { data } = await api<LineageAnswer>(idPath('tasks', t.id, '/lineage'));
      if (this.#task?.id !== t.id) return;
      replace(el, data.lineage === null ? h('p', { class: 'muted' }, 'No lineage recorded (built before nectar recorded lineage).') : null,
        list('Built from', data.built_from, 'nothing: it has no inputs'), list('Built into', data.built_into, 'nothing recorded yet'));
    } catch (err) {
      replace(el, h('p', { class: 'muted' }, `Could not load the lineage: ${(err as Error).message}`));
    }
  }

  async #loadOutputs(t: TaskNode, el: HTMLElement): Promise<void> {
    try {
      const { data } = await api<TaskStatus>(`/api/chainstatus?chain=${encodeURIComponent(t.id)}`);
      replace(el, data.resources.length ? h('ul', {}, data.resources.map((u) => h('li', {}, outputLink(u)))) : h('p', { class: 'muted' }, 'none'),
        data.expires_in ? h('p', { class: 'hint' }, `Links valid for ${data.expires_in} s.`) : null);
    } catch (err) {
      replace(el, h('p', { class: 'muted' }, `Outputs unavailable: ${(err as Error).message}`));
    }
  }
}
