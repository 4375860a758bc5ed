import { api, ApiError, text } from '../api';
import { download, h, replace } from '../dom';
import { duration, paramsLine, time } from '../format';
import { layoutAsync } from '../graph/layout-client';
import { RunGraph, type VisNode } from '../graph/model';
import { GraphView, sizeOf } from '../graph/view';
import graphCss from '../graph/graph.css?raw';
import { openStream, type StreamStatus } from '../sse';
import { stateClass, taskLook } from '../states';
import { isActiveRun, type RetryAnswer, type RunDetail, type RunEvents, type RunSummary, TASK_STATES } from '../../../src/api/wire';
import { runBadge } from './runs';
import { TaskPanel } from './task-panel';

/**
 * `#/runs/<id>`: the run's DAG, live from its event stream, with a panel for the selected task.
 * `#/runs/<id>?expand=all` starts with every family expanded, however big.
 */
export function runView(root: HTMLElement, runId: string, query = new URLSearchParams()): () => void {
  const t0 = performance.now();
  const graph = new RunGraph(query.get('expand') === 'all');
  let run: RunSummary | null = null;
  let selected: string | null = null;
  let laidOut = -1;
  let layingOut = false;
  let painted = false;
  let closed = false;

  const head = h('header', { class: 'run-head' }, h('p', { class: 'muted loading' }, 'Loading run…'));
  const notice = h('div', { class: 'run-notice', 'aria-live': 'polite' });
  const streamState = h('span', { class: 'stream-state', role: 'status' });
  const host = h('div', { class: 'graph-host' });
  const legend = h('ul', { class: 'legend', 'aria-label': 'Legend: task states' });
  const families = h('div', { class: 'families' });
  const searchInput = h('input', { type: 'search', id: 'graph-search', placeholder: 'Search tasks by name, id or parameter', autocomplete: 'off', 'aria-describedby': 'search-count' });
  const searchCount = h('span', { id: 'search-count', class: 'muted', 'aria-live': 'polite' });
  const panel = new TaskPanel(graph, { selectTask: (id) => select(id, true), toggleFamily: (f) => toggleFamily(f) });
  const view = new GraphView(host, (key) => select(key, false));
  host.prepend(h('p', { class: 'muted graph-wait' }, 'Waiting for the graph…'));

  const toolbar = h('div', { class: 'graph-toolbar' },
    h('div', { class: 'search' }, h('label', { for: 'graph-search', class: 'sr' }, 'Search tasks'), searchInput,
      h('button', { type: 'button', onclick: () => nextMatch(), title: 'Next match (Enter)' }, 'Find next'), searchCount),
    h('div', { class: 'zoom', role: 'group', 'aria-label': 'Zoom' },
      h('button', { type: 'button', onclick: () => view.zoomBy(0.8), 'aria-label': 'Zoom out' }, '−'),
      h('button', { type: 'button', onclick: () => view.zoomBy(1.25), 'aria-label': 'Zoom in' }, '+'),
      h('button', { type: 'button', onclick: () => view.fit() }, 'Fit')),
    families,
  );
  replace(root, h('section', { class: 'run-view' }, head, notice,
    h('div', { class: 'run-body' }, h('div', { class: 'graph-area' }, toolbar, host, h('div', { class: 'graph-foot' }, legend, streamState)), panel.el)));

  // ---- header and controls (built once, updated in place so focus stays put) ----
  const title = h('h1', {});
  const badge = h('span', {});
  const sub = h('p', { class: 'muted' });
  const times = h('p', { class: 'muted times' });
  const runError = h('div', {});
  const cancelBtn = h('button', { type: 'button', class: 'danger', disabled: true, onclick: () => void cancel(), 'data-action': 'cancel' }, 'Cancel run');
  const retryBtn = h('button', { type: 'button', disabled: true, onclick: () => void retry(), 'data-action': 'retry' }, 'Retry');
  let headBuilt = false;
  const renderHead = (): void => {
    if (!run) return;
    const r = run;
    if (!headBuilt) {
      headBuilt = true;
      replace(head, h('div', { class: 'title' }, title, badge), sub, times, runError,
        h('div', { class: 'actions' }, cancelBtn, retryBtn,
          h('button', { type: 'button', onclick: () => exportSvg(), 'data-action': 'export-svg' }, 'Export SVG'),
          h('button', { type: 'button', onclick: () => void exportDot(), 'data-action': 'export-dot' }, 'Export DOT')));
    }
    const active = isActiveRun(r.state);
    const dur = r.duration_ms ?? (r.started_at && active ? Date.now() - r.started_at : null);
    title.textContent = r.task;
    if (badge.dataset['state'] !== r.state) replace(badge, runBadge(r.state), r.interrupted ? h('span', { class: 'muted' }, ' interrupted') : null);
    badge.dataset['state'] = r.state;
    replace(sub, paramsLine(r.params) || 'default parameters', ' · run ', h('code', {}, r.run_id));
    times.textContent = `created ${time(r.created_at)}${r.started_at ? ` · started ${time(r.started_at)}` : ''}${dur !== null ? ` · ${active ? 'running for' : 'took'} ${duration(dur)}` : ''}`;
    replace(runError, r.error ? h('div', { class: 'error-box', role: 'alert' }, h('p', { class: 'error-message' }, r.error.code ? h('code', {}, r.error.code) : null, ' ', r.error.message)) : null);
    cancelBtn.disabled = !active;
    retryBtn.disabled = active || r.state === 'SUCCEEDED';
  };

  const say = (kind: 'ok' | 'error', msg: string): void => {
    replace(notice, h('div', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, msg));
  };

  const cancel = async (): Promise<void> => {
    try {
      await api(`/api/runs/${runId}/cancel`, { method: 'POST' });
      say('ok', 'Run cancelled.');
    } catch (err) {
      say('error', (err as Error).message);
    }
  };

  const retry = async (): Promise<void> => {
    try {
      const res = await api<RetryAnswer>(`/api/runs/${runId}/retry`, { method: 'POST' });
      if (res.data.run_id) location.hash = `#/runs/${res.data.run_id}`;
      else say('ok', 'Already complete: nothing to retry.');
    } catch (err) {
      say('error', (err as Error).message);
    }
  };

  const exportSvg = (): void => download(`nectar-run-${runId}.svg`, 'image/svg+xml', view.exportSvg(graphCss));
  const exportDot = async (): Promise<void> => {
    try {
      download(`nectar-run-${runId}.dot`, 'text/vnd.graphviz', await text(`/api/runs/${runId}/graph?format=dot`));
    } catch (err) {
      say('error', `Export failed: ${(err as Error).message}`);
    }
  };

  // ---- legend, families, search ----
  const renderLegend = (): void => {
    const c = graph.counts();
    replace(legend, TASK_STATES.map((s) => h('li', { class: stateClass(s), 'data-state': s },
      h('span', { class: 'swatch', 'aria-hidden': 'true' }, taskLook(s).symbol), ` ${taskLook(s).label} `, h('span', { class: 'count' }, String(c[s])))));
  };

  const renderFamilies = (): void => {
    const fams = [...graph.families()].filter(([, ids]) => ids.length > 1).sort((a, b) => b[1].length - a[1].length);
    if (fams.length === 0) {
      replace(families);
      return;
    }
    replace(families, h('details', { class: 'families-menu' },
      h('summary', {}, `Families (${fams.length})`),
      h('ul', {}, fams.map(([f, ids]) => {
        const collapsed = graph.collapsed.has(f);
        return h('li', {}, h('button', { type: 'button', 'data-family': f, 'aria-pressed': collapsed ? 'true' : 'false', onclick: () => toggleFamily(f) },
          `${collapsed ? '⊞' : '⊟'} ${f.slice(f.lastIndexOf('/') + 1)} ×${ids.length}`));
      })),
    ));
  };

  const toggleFamily = (f: string): void => {
    graph.toggle(f);
    const fams = families.querySelector('details');
    const open = fams?.open ?? false;
    renderFamilies();
    const d = families.querySelector('details');
    if (d) d.open = open;
    if (selected === `family:${f}` && !graph.collapsed.has(f)) selected = null;
    void relayout();
    if (selected?.startsWith('family:')) panel.showFamily(f);
  };

  let matches: string[] = [];
  let matchAt = -1;
  const runSearch = (): void => {
    const q = searchInput.value;
    const hits = graph.search(q);
    matches = [...new Set(hits.map((t) => t.id))];
    matchAt = -1;
    if (!q.trim()) {
      view.highlight(null);
      searchCount.textContent = '';
      return;
    }
    view.highlight(new Set(matches.map((id) => graph.keyOf(id))));
    searchCount.textContent = matches.length === 0 ? 'no task matches' : matches.length === 1 ? '1 task matches' : `${matches.length} tasks match`;
  };
  const nextMatch = (): void => {
    if (matches.length === 0) return;
    matchAt = (matchAt + 1) % matches.length;
    select(matches[matchAt] as string, true);
  };
  let searchTimer: ReturnType<typeof setTimeout> | undefined;
  searchInput.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(runSearch, 120);
  });
  searchInput.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter') return;
    e.preventDefault();
    clearTimeout(searchTimer);
    if (matchAt === -1 && matches.length === 0) runSearch();
    nextMatch();
  });

  // ---- selection ----
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
  };

  // ---- drawing ----
  const visNode = (key: string): VisNode | undefined => {
    if (key.startsWith('family:')) {
      const f = key.slice('family:'.length);
      const ids = graph.families().get(f);
      return ids ? graph.familyNode(f, ids) : undefined;
    }
    const t = graph.tasks.get(key);
    return t ? graph.taskNode(t) : undefined;
  };

  const relayout = async (): Promise<void> => {
    if (layingOut || closed) return;
    layingOut = true;
    try {
      while (laidOut !== graph.structure && !closed) {
        const version = graph.structure;
        const vis = graph.visible();
        const result = await layoutAsync({ nodes: vis.nodes.map((n) => ({ key: n.key, ...sizeOf(n) })), edges: vis.edges });
        if (closed) return;
        if (graph.structure !== version) continue;
        // Counts and states may have moved on while the layout ran: draw what is current.
        view.render(graph.visible(), result, !painted);
        laidOut = version;
        if (selected) view.select(selected.startsWith('family:') ? selected : graph.keyOf(selected));
        if (searchInput.value) runSearch();
        host.querySelectorAll('.graph-wait').forEach((e) => e.remove());
        if (!painted && vis.nodes.length > 0) {
          painted = true;
          requestAnimationFrame(() => {
            const ms = Math.round(performance.now() - t0);
            host.dataset['firstPaintMs'] = String(ms);
            // From navigation start, for the UI bench (bench/ui.ts).
            host.dataset['paintAt'] = String(Math.round(performance.now()));
            host.dataset['tasks'] = String(graph.tasks.size);
          });
        }
      }
    } catch (err) {
      say('error', `Could not lay the graph out: ${(err as Error).message}`);
    } finally {
      layingOut = false;
    }
  };

  let structTimer: ReturnType<typeof setTimeout> | undefined;
  const structureChanged = (): void => {
    clearTimeout(structTimer);
    structTimer = setTimeout(() => {
      renderFamilies();
      void relayout();
    }, painted ? 150 : 30);
  };

  const dirty = new Set<string>();
  let frame = 0;
  const repaint = (taskId: string): void => {
    dirty.add(graph.keyOf(taskId));
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      if (laidOut === graph.structure) for (const key of dirty) {
        const n = visNode(key);
        if (n) view.update(n);
      }
      dirty.clear();
      renderLegend();
      if (run && isActiveRun(run.state)) renderHead();
      if (selected?.startsWith('family:')) panel.showFamily(selected.slice('family:'.length));
    });
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
        renderLegend();
        structureChanged();
        const wait = host.querySelector('.graph-wait');
        if (wait && nodes.length === 0) wait.textContent = isActiveRun(s.state) ? 'Resolving the graph…' : 'This run has no tasks.';
        if (selected && !selected.startsWith('family:')) {
          const t = graph.tasks.get(selected);
          if (t) panel.showTask(t);
        }
        break;
      }
      case 'task:added': {
        const e = data as RunEvents['task:added'];
        if (graph.tasks.has(e.taskId)) break;
        graph.upsert({ task_id: e.taskId, name: e.name, params: e.params, state: 'PENDING', skipped: false, attempts: 0, started_at: null, ended_at: null, error: null, deps: [...e.deps] });
        graph.autoCollapse();
        structureChanged();
        repaint(e.taskId);
        break;
      }
      case 'task:state': {
        const e = data as RunEvents['task:state'];
        const t = graph.setState(e.taskId, e.state, e.at, { ...(e.skipped !== undefined ? { skipped: e.skipped } : {}), ...(e.error ? { error: e.error } : {}), attempt: e.attempt });
        if (!t) break;
        repaint(t.id);
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
        } else say('error', `The event stream failed (${e.status}).`);
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
    closed = true;
    stream.close();
    clearInterval(tick);
    clearTimeout(structTimer);
    if (frame) cancelAnimationFrame(frame);
  };
}
