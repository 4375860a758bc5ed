import { api, ApiError } from '../api';
import { type Child, h, replace } from '../dom';
import { localZone } from '../format';
import type { ScheduleList, ScheduleSummary, ScheduleTriggered } from '../../../src/api/wire';
import { runLook } from '../states';
import { errorState } from './messages';
import { type ScheduleAction, ScheduleRow, scheduleName } from './schedule-row';

const REFRESH_MS = 4000;

/** The path of an action URL the server gave (absolute, as it sees itself): the UI asks its own origin. */
function localPath(url: string): string {
  const u = new URL(url, location.href);
  return `${u.pathname}${u.search}`;
}

/**
 * `#/schedules`: every schedule the chains declare, with its state, next and last tick and
 * last run; pause, resume and trigger-now per row. Refreshed every few seconds while open;
 * what an action did is said in a polite live region.
 */
export function schedulesView(root: HTMLElement): () => void {
  const live = h('div', { class: 'sched-notice', 'aria-live': 'polite' });
  const stale = h('div', { class: 'sched-stale' });
  const body = h('div', { class: 'schedules-body' }, h('p', { class: 'muted loading' }, 'Loading schedules…'));
  replace(root, h('section', { class: 'schedules' }, h('div', { class: 'toolbar' }, h('h1', {}, 'Schedules')), live, stale, body));

  const rows = new Map<string, ScheduleRow>();
  let tbody: HTMLTableSectionElement | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  // Bumped by each action's answer: a refresh asked for before it is older than the row, and dropped.
  let gen = 0;

  const say = (kind: 'ok' | 'error', ...msg: Child[]): void => {
    replace(live, h('div', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, ...msg));
  };

  const act = async (row: ScheduleRow, action: ScheduleAction): Promise<void> => {
    const s = row.schedule;
    const name = scheduleName(s);
    row.busy = true;
    try {
      if (action === 'trigger') {
        const { data } = await api<ScheduleTriggered>(localPath(s.actions.trigger), { method: 'POST' });
        gen++;
        row.update(data.schedule);
        const what = data.state === 'SKIPPED' ? runLook('SKIPPED').label : 'run started';
        say('ok', `Triggered ${name}: ${what}. `, h('a', { href: `#/runs/${data.run_id}`, class: 'triggered-run' }, 'See the run'));
      } else {
        const { data } = await api<ScheduleSummary>(localPath(s.actions[action]), { method: 'POST' });
        gen++;
        row.update(data);
        say('ok', `${action === 'pause' ? 'Paused' : 'Resumed'} ${name}`);
      }
    } catch (err) {
      const code = err instanceof ApiError ? ` (${err.code})` : '';
      say('error', `Could not ${action === 'trigger' ? 'trigger' : action} ${name}: ${(err as Error).message}${code}`);
    } finally {
      row.busy = false;
    }
  };

  const empty = (): HTMLElement => h('div', { class: 'empty' },
    h('p', {}, 'No task declares a schedule.'),
    h('p', {}, 'A task declares them in its options, e.g. ', h('code', {}, "schedules: [{ name: 'nightly', cron: '0 2 * * *', params: (tick) => ({ day: tick.date(-1) }) }]"),
      '; see the section “Schedules” (under “Writing a chain”) of the README. The list refreshes by itself.'));

  const render = (list: ScheduleSummary[]): void => {
    if (list.length === 0) {
      rows.clear();
      tbody = null;
      replace(body, empty());
      return;
    }
    if (!tbody) {
      rows.clear();
      tbody = h('tbody', {});
      replace(body,
        h('p', { class: 'hint' }, `Times are in your time zone (${localZone()}), with its offset from UTC; in brackets, the time in the schedule's zone when that is another.`),
        h('table', { class: 'runs-table schedules-table' },
          h('caption', { class: 'sr' }, 'Schedules, by task'),
          h('thead', {}, h('tr', {}, ['Task', 'Schedule', 'Cron and zone', 'State', 'Next tick', 'Last tick', 'Last run', 'Actions'].map((c) => h('th', { scope: 'col' }, c)))),
          tbody));
    }
    const seen = new Set<string>();
    const order: HTMLTableRowElement[] = [];
    for (const s of list) {
      seen.add(s.key);
      let row = rows.get(s.key);
      if (row) row.update(s);
      else rows.set(s.key, (row = new ScheduleRow(s, act)));
      order.push(row.el);
    }
    for (const [key, row] of rows) if (!seen.has(key)) {
      row.el.remove();
      rows.delete(key);
    }
    // Moving a row would take the focus off its button: only when the order really changed.
    if (order.some((el, i) => tbody?.children[i] !== el)) tbody.replaceChildren(...order);
  };

  const load = async (): Promise<void> => {
    clearTimeout(timer);
    const asked = gen;
    try {
      const { data } = await api<ScheduleList>('/api/schedules');
      if (stopped) return;
      replace(stale);
      if (asked === gen) render(data.schedules);
    } catch (err) {
      if (stopped) return;
      // With a table shown, keep it (and the focus in it) and say the refresh failed above it.
      if (tbody) replace(stale, h('div', { class: 'notice error', role: 'alert' }, `Could not refresh the schedules: ${(err as Error).message}`));
      else replace(body, errorState(err, () => void load()));
    }
    if (!stopped) timer = setTimeout(() => void load(), REFRESH_MS);
  };
  void load();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
