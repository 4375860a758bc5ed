import { api, ApiError, invalidateConfirmed } from '../api';
import { h, replace } from '../dom';
import { RunGraph, type TaskNode } from '../graph/model';
import { GraphView } from '../graph/view';
import { openStream, type StreamStatus } from '../sse';
import { type InvalidateAnswer, isActiveRun, type RunDetail, type RunEvents, type RunStarted, type RunSummary } from '../../../src/api/wire';
import { GraphTools } from './graph-tools';
import { RunDrawing } from './run-drawing';
import { RunHead } from './run-head';
import { TaskPanel } from './task-panel';

/**
 * `#/runs/<id>`: the run's DAG, live from its event stream, with a panel for the selected task.
 * `#/runs/<id>?expand=all` starts with every family expanded, however big; `?task=<id>` with
 * that task selected.
 */
export function runView(root: HTMLElement, runId: string, query = new URLSearchParams()): () => void {
  const t0 = performance.now();
  const graph = new RunGraph(query.get('expand') === 'all');
  let run: RunSummary | null = null;
  let selected: string | null = null;
  /** `?task=<id>` (the timeline's "Show in the graph"): selected and centred once drawn. */
  let wanted = query.get('task');

  const streamState = h('span', { class: 'stream-state', role: 'status' });
  const host = h('div', { class: 'graph-host' });
  const panel = new TaskPanel(graph, runId, { selectTask: (id) => select(id, true), toggleFamily: (f) => toggleFamily(f), rerunFrom: (t) => void rerunFrom(t) });
  const view = new GraphView(host, (key) => select(key, false));
  host.prepend(h('p', { class: 'muted graph-wait' }, 'Waiting for the graph…'));
  const tools = new GraphTools(graph, view, { select: (key, center) => select(key, center), toggleFamily: (f) => toggleFamily(f) });
  const head = new RunHead(runId, view);
  replace(root, h('section', { class: 'run-view' }, head.el, head.notice,
    h('div', { class: 'run-body' }, h('div', { class: 'graph-area' }, tools.el, host, h('div', { class: 'graph-foot' }, tools.legend, streamState)), panel.el)));

  const renderHead = (): void => {
    if (run) head.render(run);
  };

  const drawing = new RunDrawing(graph, view, host, t0, {
    drawn: () => {
      if (wanted && graph.tasks.has(wanted)) {
        const id = wanted;
        wanted = null;
        select(id, true);
      }
      if (selected) view.select(selected.startsWith('family:') ? selected : graph.keyOf(selected));
      tools.refreshSearch();
    },
    restructured: () => tools.renderFamilies(),
    repainted: () => {
      tools.renderLegend();
      if (run && isActiveRun(run.state)) renderHead();
      if (selected?.startsWith('family:')) panel.showFamily(selected.slice('family:'.length));
    },
    failed: (message) => head.say('error', message),
  });

  const toggleFamily = (f: string): void => {
    graph.toggle(f);
    tools.renderFamilies(true);
    if (selected === `family:${f}` && !graph.collapsed.has(f)) selected = null;
    void drawing.relayout();
    // The panel that asked (or shows that family) says what the toggle did: "Collapse…" after "Expand…".
    if (selected?.startsWith('family:') || panel.family === f) panel.showFamily(f);
  };

  /**
   * "Re-run from here": the task's outputs and those of every task recorded as built from them
   * are removed (after a confirmation that lists them), then this run's task starts again with
   * its parameters, so that exactly those are built again; the view moves to the new run.
   */
  const rerunFrom = async (t: TaskNode): Promise<void> => {
    const r = run;
    if (!r) return;
    try {
      const done = await invalidateConfirmed<InvalidateAnswer>(t.id, true, (dry) =>
        `Re-run ${t.name} and what was built from it? This removes the outputs of ${dry.tasks.length} task(s):\n${dry.tasks.map((x) => `  ${x.task_id}`).join('\n')}\nthen starts ${r.task} again.`);
      if (!done) return;
      const started = await api<RunStarted>(`/api/chains/${r.task}`, { method: 'POST', json: r.params });
      if (started.data.run_id) location.hash = `#/runs/${started.data.run_id}`;
    } catch (err) {
      head.say('error', `Could not re-run from ${t.name}: ${(err as Error).message}`);
    }
  };

  const select = (key: string, center: boolean): void => {
    selected = key;
    if (key.startsWith('family:')) {
      view.select(key);
      panel.showFamily(key.slice('family:'.length));
      return;
    }
    const t = graph.tasks.get(key);
    if (!t) return;
    const drawn = graph.keyOf(key);
    view.select(drawn);
    if (center) view.centerOn(drawn);
    panel.showTask(t);
    // One column (a phone): the panel is under the graph; a tap on a node brings it into view.
    if (!center && window.matchMedia('(max-width: 900px)').matches) panel.el.scrollIntoView({ block: 'start' });
  };

  // ---- the event stream ----
  const onEvent = (event: string, data: unknown): void => {
    switch (event) {
      case 'snapshot': {
        const s = data as RunEvents['snapshot'];
        const { nodes, ...meta } = s;
        run = meta;
        graph.reset(nodes);
        renderHead();
        tools.renderLegend();
        drawing.structureChanged();
        const wait = host.querySelector('.graph-wait');
        if (wait && nodes.length === 0) wait.textContent = isActiveRun(s.state) ? 'Resolving the graph…' : s.state === 'SKIPPED' ? 'Nothing ran in this run, so it has no tasks.' : 'This run has no tasks.';
        if (selected && !selected.startsWith('family:')) {
          const t = graph.tasks.get(selected);
          if (t) panel.showTask(t);
        }
        break;
      }
      case 'task:added': {
        const e = data as RunEvents['task:added'];
        if (graph.tasks.has(e.taskId)) break;
        graph.upsert({ task_id: e.taskId, name: e.name, params: e.params, state: 'PENDING', skipped: false, attempts: 0, started_at: null, ended_at: null, error: null, deps: [...e.deps], stale: e.stale ?? null });
        graph.autoCollapse();
        drawing.structureChanged();
        drawing.repaint(e.taskId);
        break;
      }
      case 'task:state': {
        const e = data as RunEvents['task:state'];
        const t = graph.setState(e.taskId, e.state, e.at, { ...(e.skipped !== undefined ? { skipped: e.skipped } : {}), ...(e.error ? { error: e.error } : {}), attempt: e.attempt });
        if (!t) break;
        drawing.repaint(t.id);
        if (selected === t.id) panel.showTask(t);
        break;
      }
      case 'task:log': {
        const e = data as RunEvents['task:log'];
        panel.logLine(e.taskId, e.line);
        break;
      }
      case 'run:end': {
        const e = data as RunEvents['run:end'];
        if (run) {
          run = { ...run, state: e.state, ended_at: e.at, duration_ms: run.started_at ? e.at - run.started_at : null, error: e.error ?? null };
          renderHead();
        }
        void refreshRun();
        break;
      }
      case 'error': {
        const e = data as { status: number; message: string };
        if (e.status === 404) {
          replace(root, h('section', { class: 'error-state', role: 'alert' },
            h('h1', {}, 'Run not found'),
            h('p', {}, 'There is no run ', h('code', {}, runId), ' on this server.'),
            h('p', {}, h('a', { href: '#/runs' }, 'See all runs'))));
        } else head.say('error', `The event stream failed (${e.status}).`);
        break;
      }
      default:
        break;
    }
  };

  /** After the end, read the stored run once: the final timings and counts. */
  const refreshRun = async (): Promise<void> => {
    try {
      const { data } = await api<RunDetail>(`/api/runs/${runId}`);
      const { nodes, ...meta } = data;
      run = meta;
      for (const n of nodes) {
        const t = graph.tasks.get(n.task_id);
        if (t && (t.startedAt !== n.started_at || t.endedAt !== n.ended_at)) {
          t.startedAt = n.started_at;
          t.endedAt = n.ended_at;
        }
      }
      renderHead();
    } catch (err) {
      if (!(err instanceof ApiError)) return;
    }
  };

  const labels: Record<StreamStatus, string> = { connecting: 'connecting…', live: '● live', reconnecting: 'connection lost, reconnecting…', ended: 'run ended' };
  const stream = openStream(`/api/runs/${runId}/events`, onEvent, (s) => {
    streamState.textContent = s === 'ended' && run && isActiveRun(run.state) ? 'stream closed' : labels[s];
    streamState.dataset['state'] = s;
  });
  const tick = setInterval(() => {
    if (run && isActiveRun(run.state)) renderHead();
    panel.tick();
  }, 1000);

  return () => {
    tools.close();
    drawing.close();
    stream.close();
    clearInterval(tick);
  };
}
