import { esc } from '../dom';
import { TASK_STATES } from '../../../src/api/wire';
import { stateClass, taskLook } from '../states';
import type { LayoutResult, Point } from './layout';
import type { VisGraph, VisNode } from './model';

export const TASK_W = 200;
export const TASK_H = 46;
export const FAMILY_W = 212;
export const FAMILY_H = 62;

export function sizeOf(n: VisNode): { width: number; height: number } {
  return n.kind === 'family' ? { width: FAMILY_W, height: FAMILY_H } : { width: TASK_W, height: TASK_H };
}

function countsLine(n: VisNode): string {
  if (!n.counts) return n.sub;
  return TASK_STATES.filter((s) => (n.counts?.[s] ?? 0) > 0)
    .map((s) => `${taskLook(s).symbol} ${n.counts?.[s] ?? 0}`)
    .join('  ');
}

function ariaLabel(n: VisNode): string {
  if (n.kind === 'family') {
    const parts = TASK_STATES.filter((s) => (n.counts?.[s] ?? 0) > 0).map((s) => `${n.counts?.[s] ?? 0} ${taskLook(s).label}`);
    return `${n.label} (collapsed family): ${parts.join(', ')}`;
  }
  return `${n.label} ${n.sub}: ${taskLook(n.state).label}${n.task?.stale ? ', was stale' : ''}`;
}

/** The stacked bar of a family: one segment per state, width by count. */
function familyBar(n: VisNode, w: number): string {
  const total = n.size ?? 1;
  let x = -w / 2 + 10;
  const inner = w - 20;
  let out = '';
  for (const s of TASK_STATES) {
    const c = n.counts?.[s] ?? 0;
    if (!c) continue;
    const sw = (inner * c) / total;
    out += `<rect class="seg ${stateClass(s)}" x="${x.toFixed(1)}" y="${FAMILY_H / 2 - 12}" width="${sw.toFixed(1)}" height="6"/>`;
    x += sw;
  }
  return out;
}

function nodeInner(n: VisNode): string {
  const { width: w, height: hh } = sizeOf(n);
  const sym = taskLook(n.state).symbol;
  const skipped = (n.task?.skipped && n.state === 'DONE' ? ' skipped' : '') + (n.task?.stale ? ' stale' : '');
  if (n.kind === 'family') {
    return `<rect class="box" x="${-w / 2}" y="${-hh / 2}" width="${w}" height="${hh}" rx="8"/>` +
      `<rect class="box stack" x="${-w / 2 + 4}" y="${-hh / 2 - 4}" width="${w}" height="${hh}" rx="8"/>` +
      `<text class="sym" x="${-w / 2 + 12}" y="-8">${sym}</text>` +
      `<text class="name" x="${-w / 2 + 30}" y="-8">${esc(n.label)}</text>` +
      `<text class="sub counts" x="${-w / 2 + 12}" y="11">${esc(countsLine(n))}</text>` + familyBar(n, w);
  }
  return `<rect class="box${skipped}" x="${-w / 2}" y="${-hh / 2}" width="${w}" height="${hh}" rx="6"/>` +
    `<text class="sym" x="${-w / 2 + 10}" y="-3">${sym}</text>` +
    (n.task?.stale ? `<text class="stale-mark" x="${w / 2 - 6}" y="${-hh / 2 - 3}" text-anchor="end">stale</text>` : '') +
    `<text class="name" x="${-w / 2 + 28}" y="-3">${esc(n.label.length > 22 ? `${n.label.slice(0, 21)}…` : n.label)}</text>` +
    `<text class="sub" x="${-w / 2 + 28}" y="13">${esc(n.sub)}</text>`;
}

function pathOf(points: Point[]): string {
  if (points.length === 0) return '';
  return `M${points.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join('L')}`;
}

/**
 * The DAG as one SVG, drawn from a string in one go (5,000 nodes paint in well under a second
 * that way), then updated in place: a state change touches one node's class and symbol. Pan
 * by dragging or the arrow keys, zoom with the wheel or +/−, 0 fits the graph.
 */
export class GraphView {
  readonly svg: SVGSVGElement;
  #viewport: SVGGElement;
  #els = new Map<string, SVGGElement>();
  #vis = new Map<string, VisNode>();
  #layout: LayoutResult | null = null;
  #k = 1;
  #tx = 0;
  #ty = 0;
  #selected: string | null = null;

  constructor(
    readonly host: HTMLElement,
    private readonly onSelect: (key: string) => void,
  ) {
    host.innerHTML = '<svg class="graph" role="group" aria-label="Task graph: drag or arrow keys to pan, wheel or + and − to zoom, 0 to fit" tabindex="0" xmlns="http://www.w3.org/2000/svg"><defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" class="arrowhead"/></marker></defs><g class="viewport"></g></svg>';
    this.svg = host.querySelector('svg') as SVGSVGElement;
    this.#viewport = this.svg.querySelector('.viewport') as SVGGElement;
    this.#wire();
  }

  get nodeCount(): number {
    return this.#els.size;
  }

  /** Draw a laid-out graph, keeping the zoom unless `fit`. */
  render(g: VisGraph, l: LayoutResult, fit: boolean): void {
    this.#layout = l;
    this.#vis = new Map(g.nodes.map((n) => [n.key, n]));
    let edges = '';
    for (const e of l.edges) edges += `<path class="edge" data-from="${esc(e.from)}" data-to="${esc(e.to)}" d="${pathOf(e.points)}" marker-end="url(#arrow)"/>`;
    let nodes = '';
    for (const n of g.nodes) {
      const p = l.nodes[n.key];
      if (!p) continue;
      const data = n.kind === 'family' ? `data-family="${esc(n.family ?? '')}"` : `data-id="${esc(n.key)}"`;
      nodes += `<g class="node ${n.kind} ${stateClass(n.state)}${n.key === this.#selected ? ' selected' : ''}" data-key="${esc(n.key)}" ${data} data-state="${n.state}" tabindex="0" role="button" aria-label="${esc(ariaLabel(n))}" transform="translate(${p.x.toFixed(1)},${p.y.toFixed(1)})">${nodeInner(n)}</g>`;
    }
    this.#viewport.innerHTML = `<g class="edges">${edges}</g><g class="nodes">${nodes}</g>`;
    this.#els.clear();
    for (const el of this.#viewport.querySelectorAll<SVGGElement>('g.node')) this.#els.set(el.dataset['key'] as string, el);
    if (fit) this.fit();
    else this.#apply();
  }

  /** Repaint one node after its state (or its family's counts) changed. */
  update(n: VisNode): void {
    const el = this.#els.get(n.key);
    if (!el) return;
    this.#vis.set(n.key, n);
    if (el.dataset['state'] === n.state && n.kind === 'task' && !n.task?.skipped) return;
    el.setAttribute('class', `node ${n.kind} ${stateClass(n.state)}${n.key === this.#selected ? ' selected' : ''}`);
    el.dataset['state'] = n.state;
    el.setAttribute('aria-label', ariaLabel(n));
    el.innerHTML = nodeInner(n);
  }

  select(key: string | null): void {
    if (this.#selected) this.#els.get(this.#selected)?.classList.remove('selected');
    this.#selected = key;
    if (key) this.#els.get(key)?.classList.add('selected');
  }

  /** Mark search hits (and dim the rest while a search is on). */
  highlight(keys: Set<string> | null): void {
    this.svg.classList.toggle('searching', keys !== null);
    for (const [key, el] of this.#els) el.classList.toggle('hit', keys?.has(key) ?? false);
  }

  has(key: string): boolean {
    return this.#els.has(key);
  }

  focusNode(key: string): void {
    this.#els.get(key)?.focus({ preventScroll: true });
  }

  centerOn(key: string, zoom = Math.max(this.#k, 0.8)): void {
    const p = this.#layout?.nodes[key];
    if (!p) return;
    const { width, height } = this.#size();
    this.#k = zoom;
    this.#tx = width / 2 - p.x * zoom;
    this.#ty = height / 2 - p.y * zoom;
    this.#apply();
  }

  fit(): void {
    const l = this.#layout;
    if (!l) return;
    const { width, height } = this.#size();
    // Very wide graphs (a 5,000-task fan) would shrink to nothing: fit the height, keep a readable floor.
    const k = Math.max(0.05, Math.min(1.2, width / Math.max(l.width, 1), height / Math.max(l.height, 1)));
    this.#k = k;
    this.#tx = (width - l.width * k) / 2;
    this.#ty = Math.max(8, (height - l.height * k) / 2);
    this.#apply();
  }

  zoomBy(f: number, cx?: number, cy?: number): void {
    const { width, height } = this.#size();
    const x = cx ?? width / 2;
    const y = cy ?? height / 2;
    const k = Math.min(4, Math.max(0.02, this.#k * f));
    this.#tx = x - ((x - this.#tx) * k) / this.#k;
    this.#ty = y - ((y - this.#ty) * k) / this.#k;
    this.#k = k;
    this.#apply();
  }

  panBy(dx: number, dy: number): void {
    this.#tx += dx;
    this.#ty += dy;
    this.#apply();
  }

  get zoom(): number {
    return this.#k;
  }

  /** A standalone SVG of the whole graph (not just what is in view), its styles inlined. */
  exportSvg(css: string): string {
    const l = this.#layout;
    const clone = this.svg.cloneNode(true) as SVGSVGElement;
    const vp = clone.querySelector('.viewport');
    vp?.removeAttribute('transform');
    clone.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
    clone.setAttribute('width', String(Math.ceil(l?.width ?? 0)));
    clone.setAttribute('height', String(Math.ceil(l?.height ?? 0)));
    clone.setAttribute('viewBox', `0 0 ${Math.ceil(l?.width ?? 0)} ${Math.ceil(l?.height ?? 0)}`);
    clone.removeAttribute('tabindex');
    clone.classList.remove('searching');
    for (const el of clone.querySelectorAll('[tabindex]')) el.removeAttribute('tabindex');
    const style = document.createElementNS('http://www.w3.org/2000/svg', 'style');
    style.textContent = css;
    clone.insertBefore(style, clone.firstChild);
    return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(clone)}\n`;
  }

  #size(): { width: number; height: number } {
    const r = this.svg.getBoundingClientRect();
    return { width: r.width || 800, height: r.height || 600 };
  }

  #apply(): void {
    this.#viewport.setAttribute('transform', `translate(${this.#tx.toFixed(1)},${this.#ty.toFixed(1)}) scale(${this.#k.toFixed(4)})`);
    this.svg.dataset['zoom'] = this.#k.toFixed(3);
  }

  #wire(): void {
    const svg = this.svg;
    svg.addEventListener('click', (e) => {
      const node = (e.target as Element).closest('g.node') as SVGGElement | null;
      if (node && !this.#dragged) this.onSelect(node.dataset['key'] as string);
    });
    svg.addEventListener('keydown', (e) => {
      const node = (e.target as Element).closest('g.node') as SVGGElement | null;
      if (node && (e.key === 'Enter' || e.key === ' ')) {
        e.preventDefault();
        this.onSelect(node.dataset['key'] as string);
        return;
      }
      const step = 60;
      const keys: Record<string, () => void> = {
        ArrowLeft: () => this.panBy(step, 0),
        ArrowRight: () => this.panBy(-step, 0),
        ArrowUp: () => this.panBy(0, step),
        ArrowDown: () => this.panBy(0, -step),
        '+': () => this.zoomBy(1.25),
        '=': () => this.zoomBy(1.25),
        '-': () => this.zoomBy(0.8),
        '0': () => this.fit(),
      };
      const fn = keys[e.key];
      if (fn) {
        e.preventDefault();
        fn();
      }
    });
    svg.addEventListener('wheel', (e) => {
      e.preventDefault();
      const r = svg.getBoundingClientRect();
      this.zoomBy(Math.exp(-e.deltaY * 0.0015), e.clientX - r.left, e.clientY - r.top);
    }, { passive: false });
    let start: { x: number; y: number; tx: number; ty: number } | null = null;
    svg.addEventListener('pointerdown', (e) => {
      if (e.button !== 0) return;
      start = { x: e.clientX, y: e.clientY, tx: this.#tx, ty: this.#ty };
      this.#dragged = false;
    });
    svg.addEventListener('pointermove', (e) => {
      if (!start) return;
      const dx = e.clientX - start.x;
      const dy = e.clientY - start.y;
      if (!this.#dragged && Math.hypot(dx, dy) < 4) return;
      if (!this.#dragged) svg.setPointerCapture(e.pointerId);
      this.#dragged = true;
      svg.classList.add('panning');
      this.#tx = start.tx + dx;
      this.#ty = start.ty + dy;
      this.#apply();
    });
    const end = (): void => {
      start = null;
      svg.classList.remove('panning');
      setTimeout(() => (this.#dragged = false), 0);
    };
    svg.addEventListener('pointerup', end);
    svg.addEventListener('pointercancel', end);
  }

  #dragged = false;
}
