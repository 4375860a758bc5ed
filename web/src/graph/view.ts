import { esc } from '../dom';
import { stateClass } from '../states';
import type { LayoutResult } from './layout';
import type { VisGraph, VisNode } from './model';
import { ariaLabel, nodeInner, pathOf } from './node-markup';


/** Below this zoom a node's words are not drawn (12 px text would be under 4 px). */
const FAR_ZOOM = 0.33;

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
  /** Expanded families' drawn members, in order. */
  #members = new Map<string, string[]>();

  constructor(
    readonly host: HTMLElement,
    private readonly onSelect: (key: string) => void,
  ) {
    host.innerHTML = '<svg class="graph" role="group" aria-label="Task graph: drag or arrow keys to pan, wheel or + and − to zoom, 0 to fit" tabindex="0" xmlns="http://www.w3.org/2000/svg"><defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" class="arrowhead"/></marker></defs><g class="viewport"></g></svg>';
    this.svg = host.querySelector('svg') as SVGSVGElement;
    this.#viewport = this.svg.querySelector('.viewport') as SVGGElement;
    this.#wire();
  }

  /** The members drawn of the family of a task node, in order, when it has more than one. */
  #familyOf(key: string): string[] | undefined {
    const f = this.#vis.get(key)?.task?.family;
    const m = f === undefined ? undefined : this.#members.get(f);
    return m && m.length > 1 ? m : undefined;
  }

  /** Arrow keys on a member of an expanded family: focus goes to the next (or previous) member, and the Tab stop with it. */
  #stepInFamily(key: string, by: number): boolean {
    const m = this.#familyOf(key);
    if (!m) return false;
    const next = m[(m.indexOf(key) + by + m.length) % m.length] as string;
    this.#els.get(key)?.setAttribute('tabindex', '-1');
    this.#els.get(next)?.setAttribute('tabindex', '0');
    this.centerOn(next, this.#k);
    this.focusNode(next);
    return true;
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
    // One Tab stop per expanded family (its first member; the arrow keys go from member to member), not one per task.
    this.#members.clear();
    for (const n of g.nodes) {
      const f = n.kind === 'task' ? n.task?.family : undefined;
      if (f === undefined || !l.nodes[n.key]) continue;
      const m = this.#members.get(f);
      if (m) m.push(n.key);
      else this.#members.set(f, [n.key]);
    }
    let nodes = '';
    for (const n of g.nodes) {
      const p = l.nodes[n.key];
      if (!p) continue;
      const data = n.kind === 'family' ? `data-family="${esc(n.family ?? '')}"` : `data-id="${esc(n.key)}"`;
      const members = this.#familyOf(n.key);
      const tab = !members || members[0] === n.key ? '0' : '-1';
      nodes += `<g class="node ${n.kind} ${stateClass(n.state)}${n.key === this.#selected ? ' selected' : ''}" data-key="${esc(n.key)}" ${data} data-state="${n.state}" tabindex="${tab}" role="button" aria-label="${esc(ariaLabel(n))}" transform="translate(${p.x.toFixed(1)},${p.y.toFixed(1)})">${nodeInner(n)}</g>`;
    }
    let frames = '';
    for (const b of l.blocks) frames += `<rect class="block" data-block="${esc(b.key)}" x="${(b.x - 8).toFixed(1)}" y="${(b.y - 8).toFixed(1)}" width="${(b.width + 16).toFixed(1)}" height="${(b.height + 16).toFixed(1)}" rx="10"/>`;
    // Zoom first (measuring the host forces a layout: of the old content, not of thousands of new
    // nodes), so that a graph drawn zoomed far out is inserted without its words to lay out.
    if (fit) this.fit();
    else this.#apply();
    this.#viewport.innerHTML = `<g class="blocks">${frames}</g><g class="edges">${edges}</g><g class="nodes">${nodes}</g>`;
    this.#els.clear();
    for (const el of this.#viewport.querySelectorAll<SVGGElement>('g.node')) this.#els.set(el.dataset['key'] as string, el);
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
    // A record of the run, not of this screen: no selection, no search hits.
    for (const el of clone.querySelectorAll('.selected, .hit')) el.classList.remove('selected', 'hit');
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
    // Zoomed far out, words are a few pixels high: not drawn, so that panning thousands of nodes stays smooth.
    const far = this.#k < FAR_ZOOM;
    if (this.svg.classList.contains('far') !== far) this.svg.classList.toggle('far', far);
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
      if (node && (e.key === 'ArrowRight' || e.key === 'ArrowDown' || e.key === 'ArrowLeft' || e.key === 'ArrowUp')) {
        if (this.#stepInFamily(node.dataset['key'] as string, e.key === 'ArrowRight' || e.key === 'ArrowDown' ? 1 : -1)) {
          e.preventDefault();
          return;
        }
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
