import { api, ApiError } from '../api';
import { h, replace } from '../dom';
import { duration } from '../format';
import { RunGraph, type TaskNode } from '../graph/model';
import { openStream } from '../sse';
import { rowFacts } from '../timeline/facts';
import { type Row, timelineRows } from '../timeline/model';
import { TimelineView } from '../timeline/view';
import { isActiveRun, type RunDetail, type RunEvents, type RunSummary } from '../../../src/api/wire';
import { RunHead } from './run-head';

/**
 * `#/runs/<id>/timeline`: the run as a Gantt chart, live from its event stream. Each task's
 * wait (ready, no slot or worker yet) and run on one time axis, the critical path marked, a
 * big family one row with its spread until opened. `?expand=all` opens every family.
 */
export function timelineView(root: HTMLElement, runId: string, query = new URLSearchParams()): () => void {
  const t0 = performance.now();
  const graph = new RunGraph(true);
  const expanded: Set<string> | 'all' = query.get('expand') === 'all' ? 'all' : new Set();
  let criticalOnly = false;
  let run: RunSummary | null = null;
  let painted = false;
  let chosen: Row | null = null;

  const head = new RunHead(runId, null);
  const detail = h('div', { class: 'tl-detail', 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Point at a row for its times; click or press Enter on one to keep them here.'));
  const pathNote = h('p', { class: 'tl-path' });
  const wait = h('p', { class: 'muted graph-wait' }, 'Waiting for the run…');
  /** A family's row opened into one row per task, or folded back. */
  const toggle = (f: string): void => {
    if (expanded === 'all') return;
    if (expanded.has(f)) expanded.delete(f);
    else expanded.add(f);
    refresh();
  };
  const tl = new TimelineView({
    toggleFamily: toggle,
    chosen: (row) => {
      chosen = row;
      showDetail();
    },
  });
  const critical = h('input', { type: 'checkbox', id: 'tl-critical', onchange: () => {
    criticalOnly = critical.checked;
    refresh();
  } });
  const host = h('div', { class: 'tl-host' }, wait, tl.el);
  const tools = h('div', { class: 'graph-toolbar' },
    h('div', { class: 'zoom', role: 'group', 'aria-label': 'Zoom the time axis' },
      h('button', { type: 'button', onclick: () => tl.zoomBy(1 / 1.5), 'aria-label': 'Zoom out' }, '−'),
      h('button', { type: 'button', onclick: () => tl.zoomBy(1.5), 'aria-label': 'Zoom in' }, '+'),
      h('button', { type: 'button', onclick: () => tl.fit() }, 'Fit')),
    h('label', { class: 'tl-only' }, critical, ' Critical path only'),
    h('ul', { class: 'tl-key', 'aria-label': 'Key' },
      h('li', {}, h('span', { class: 'tl-key-wait', 'aria-hidden': 'true' }), ' waited: ready, no slot or worker yet'),
      h('li', {}, h('span', { class: 'tl-key-bar', 'aria-hidden': 'true' }), ' ran (coloured by state)'),
      h('li', {}, h('span', { class: 'tl-crit', 'aria-hidden': 'true' }, '◆'), ' critical path')));
  replace(root, h('section', { class: 'run-view timeline-view' }, head.el, head.notice,
    h('div', { class: 'graph-area' }, tools, pathNote, host, detail)));

  const times = (): { from: number; to: number; now: number } => {
    const now = Date.now();
    let from = run?.started_at ?? run?.created_at ?? Infinity;
    let to = -Infinity;
    for (const t of graph.tasks.values()) {
      if (t.startedAt !== null) from = Math.min(from, t.startedAt);
      if (t.endedAt !== null) to = Math.max(to, t.endedAt);
    }
    if (!Number.isFinite(from)) from = now;
    if (run && isActiveRun(run.state)) to = Math.max(to, now);
    if (run?.ended_at) to = Math.max(to, run.ended_at);
    return { from, to: Number.isFinite(to) ? to : from + 1, now: run && isActiveRun(run.state) ? now : -Infinity };
  };

  const refresh = (): void => {
    if (!run) return;
    const { from, to, now } = times();
    const { rows, critical: path } = timelineRows(graph.tasks, { runStart: run.started_at, expanded, criticalOnly });
    tl.set(rows, graph.tasks, from, to, now);
    describePath(path);
    if (rows.length > 0) wait.remove();
    else wait.textContent = isActiveRun(run.state) ? 'Resolving the graph…' : 'This run has no tasks.';
    if (chosen) {
      chosen = rows.find((r) => r.key === chosen?.key) ?? null;
      showDetail();
    }
    if (!painted && rows.length > 0) {
      painted = true;
      requestAnimationFrame(() => {
        host.dataset['firstPaintMs'] = String(Math.round(performance.now() - t0));
        host.dataset['rows'] = String(rows.length);
        host.dataset['tasks'] = String(graph.tasks.size);
      });
    }
  };

  const describePath = (path: TaskNode[]): void => {
    const first = path[0];
    const last = path[path.length - 1];
    if (!first || !last || last.endedAt === null) {
      replace(pathNote, h('span', { class: 'muted' }, 'No task has ended yet: the critical path shows once one has.'));
      return;
    }
    const startAt = first.startedAt ?? first.endedAt ?? last.endedAt;
    const names = path.map((t) => t.name);
    const shown = names.length > 6 ? [...names.slice(0, 3), '…', ...names.slice(-2)] : names;
    replace(pathNote, h('span', { class: 'tl-crit', 'aria-hidden': 'true' }, '◆'), ` Critical path: ${path.length} task${path.length === 1 ? '' : 's'}, ${duration(last.endedAt - (startAt ?? last.endedAt))}: ${shown.join(' → ')}`);
  };

  const showDetail = (): void => {
    const r = chosen;
    if (!r) return;
    const { from, now } = times();
    replace(detail, h('h2', {}, r.label), h('ul', {}, rowFacts(r, from, Math.max(now, Date.now())).map((f) => h('li', {}, f))),
      r.task ? h('p', {}, h('a', { href: `#/runs/${runId}?task=${encodeURIComponent(r.task.id)}` }, 'Show in the graph'), ' ', h('code', {}, r.task.id)) : null,
      r.family && expanded !== 'all' ? h('p', {}, h('button', { type: 'button', onclick: () => toggle(r.key.slice('family:'.length)) }, r.family.expanded ? `Fold the ${r.family.ids.length} tasks into one row` : `Show the ${r.family.ids.length} tasks, one row each`)) : null);
  };

  let timer: ReturnType<typeof setTimeout> | undefined;
  const soon = (): void => {
    if (timer === undefined) timer = setTimeout(() => {
      timer = undefined;
      refresh();
    }, painted ? 250 : 30);
  };

  const onEvent = (event: string, data: unknown): void => {
    switch (event) {
      case 'snapshot': {
        const { nodes, ...meta } = data as RunEvents['snapshot'];
        run = meta;
        graph.reset(nodes);
        head.render(meta);
        soon();
        break;
      }
      case 'task:added': {
        const e = data as RunEvents['task:added'];
        if (!graph.tasks.has(e.taskId)) graph.upsert({ task_id: e.taskId, name: e.name, params: e.params, state: 'PENDING', skipped: false, attempts: 0, started_at: null, ended_at: null, error: null, deps: [...e.deps], stale: e.stale ?? null });
        soon();
        break;
      }
      case 'task:state': {
        const e = data as RunEvents['task:state'];
        graph.setState(e.taskId, e.state, e.at, { ...(e.skipped !== undefined ? { skipped: e.skipped } : {}), ...(e.error ? { error: e.error } : {}), attempt: e.attempt });
        soon();
        break;
      }
      case 'run:end':
        void final();
        break;
      case 'error': {
        const e = data as { status: number };
        if (e.status === 404) replace(root, h('section', { class: 'error-state', role: 'alert' }, h('h1', {}, 'Run not found'), h('p', {}, 'There is no run ', h('code', {}, runId), ' on this server.'), h('p', {}, h('a', { href: '#/runs' }, 'See all runs'))));
        else head.say('error', `The event stream failed (${e.status}).`);
        break;
      }
      default:
        break;
    }
  };

  /** After the end, the stored run: its final times. */
  const final = async (): Promise<void> => {
    try {
      const { data } = await api<RunDetail>(`/api/runs/${runId}`);
      const { nodes, ...meta } = data;
      run = meta;
      for (const n of nodes) graph.upsert(n);
      head.render(meta);
      refresh();
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
    }
  };

  const stream = openStream(`/api/runs/${runId}/events`, onEvent, () => undefined);
  const tick = setInterval(() => {
    if (run && isActiveRun(run.state)) {
      head.render(run);
      refresh();
    }
  }, 1000);
  return () => {
    stream.close();
    clearInterval(tick);
    clearTimeout(timer);
  };
}
