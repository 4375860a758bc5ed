import { api, idPath } from '../api';
import { h, replace } from '../dom';
import { duration, time } from '../format';
import type { TaskNode } from '../graph/model';
import { runLook, taskLook } from '../states';
import type { TaskRunsAnswer } from '../../../src/api/wire';
import { runStrip } from './run-strip';
import { filterQuery, paramPairs } from './runs-filter';

const RECENT = 20;

/** `#/runs?task=<ref>&params=k=v…`: the runs started for this task with these parameters. */
export function runsOfHref(t: TaskNode): string {
  return `#/runs?${filterQuery({ state: '', task: t.family, params: paramPairs(t.params), from: '', to: '' })}`;
}

/**
 * A task's recent runs (this exact task: its class and parameters), newest first, in the
 * panel: a strip of their durations and states, then each run with the task's state, how long
 * it took and whether it was the run's root; the run shown is marked.
 */
export function taskHistory(t: TaskNode, runId: string): HTMLElement {
  const el = h('div', { class: 'task-history' }, h('p', { class: 'muted' }, 'Loading…'));
  void (async () => {
    try {
      const { data } = await api<TaskRunsAnswer>(idPath('tasks', t.id, `/runs?limit=${RECENT}`));
      if (data.runs.length === 0) {
        replace(el, h('p', { class: 'muted' }, 'No run has recorded this task yet.'));
        return;
      }
      const items = data.runs.map((r) => ({
        href: `#/runs/${r.run_id}`, state: r.state, symbol: taskLook(r.state).symbol, label: `${taskLook(r.state).label}${r.skipped ? ' (already complete)' : ''}`,
        durationMs: r.duration_ms, at: r.started_at ?? r.created_at, current: r.run_id === runId,
      }));
      const ran = data.runs.filter((r) => r.duration_ms !== null);
      const failed = data.runs.filter((r) => r.state === 'FAILED').length;
      const lo = Math.min(...ran.map((r) => r.duration_ms as number));
      const hi = Math.max(...ran.map((r) => r.duration_ms as number));
      const took = ran.length === 0 ? '' : lo === hi ? `, ran ${duration(lo)}` : `, ran ${duration(lo)} to ${duration(hi)}`;
      const summary = `${data.runs.length} recent run${data.runs.length === 1 ? '' : 's'}${took}${failed ? `, ${failed} failed` : ''}`;
      replace(el,
        runStrip(items, `${summary} (oldest left; height: how long it ran)`),
        h('table', { class: 'history-table' },
          h('caption', { class: 'sr' }, 'Recent runs of this task, newest first'),
          h('thead', {}, h('tr', {}, ['Run', 'State', 'Took', 'As'].map((c) => h('th', { scope: 'col' }, c)))),
          h('tbody', {}, data.runs.map((r) => h('tr', { 'data-run': r.run_id, class: r.run_id === runId ? 'current' : '' },
            h('td', {}, r.run_id === runId ? h('span', {}, time(r.created_at), h('span', { class: 'muted' }, ' (this run)')) : h('a', { href: `#/runs/${r.run_id}` }, time(r.created_at))),
            h('td', {}, `${taskLook(r.state).symbol} ${taskLook(r.state).label}${r.skipped ? ', already complete' : ''}`, r.error ? h('div', { class: 'muted history-error' }, r.error.message) : null),
            h('td', {}, duration(r.duration_ms)),
            h('td', { class: 'muted' }, r.root ? 'root' : h('span', { title: r.ref }, `for ${r.ref.slice(r.ref.lastIndexOf('/') + 1)}`), r.run_state !== 'SUCCEEDED' ? ` · run ${runLook(r.run_state).label}` : null))))),
        h('p', {}, h('a', { href: runsOfHref(t) }, 'Runs started for this task with these parameters')));
    } catch (err) {
      replace(el, h('p', { class: 'muted' }, `Could not load its history: ${(err as Error).message}`));
    }
  })();
  return el;
}
