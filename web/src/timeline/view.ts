import { esc, h } from '../dom';
import { paramsLine } from '../format';
import { stateClass, taskLook } from '../states';
import type { TaskNode } from '../graph/model';
import { rowFacts, shortFigure } from './facts';
import { concurrency, offsetLabel, type Row, tickStep } from './model';

/** What a row does when chosen (click, Enter). */
export interface TimelineHooks {
  toggleFamily(family: string): void;
  /** A row became the active one (its facts are shown under the chart). */
  chosen(row: Row | null): void;
}

const ROW_H = 24;
const OVERSCAN = 12;

/**
 * A run's tasks on a time axis, one row each (a big family one row with its spread), drawn
 * for the rows in sight only: 5,000 rows cost what 40 do. Rows are a listbox: one Tab stop,
 * the arrows move through them, Enter opens a family; hovering a row tells its facts.
 */
export class TimelineView {
  readonly el: HTMLElement;
  readonly #axis = h('div', { class: 'tl-axis', 'aria-hidden': 'true' });
  readonly #axisIn = h('div', { class: 'tl-axis-in' });
  readonly #scroll = h('div', { class: 'tl-scroll', role: 'listbox', tabindex: 0, 'aria-label': 'Tasks on the timeline (arrows move, Enter opens a family)' });
  readonly #canvas = h('div', { class: 'tl-canvas' });
  readonly #tip = h('div', { class: 'tl-tip', role: 'tooltip', hidden: true });
  #rows: Row[] = [];
  #tasks: ReadonlyMap<string, TaskNode> = new Map();
  #t0 = 0;
  #t1 = 1;
  #now = 0;
  #zoom = 1;
  #active = -1;
  #frame = 0;
  #drawnKey = '';

  constructor(private readonly hooks: TimelineHooks) {
    this.#axis.append(this.#axisIn);
    this.#scroll.append(this.#canvas);
    this.el = h('div', { class: 'tl' }, this.#axis, this.#scroll, this.#tip);
    this.#scroll.addEventListener('scroll', () => {
      this.#axisIn.style.transform = `translateX(${-this.#scroll.scrollLeft}px)`;
      this.#tip.hidden = true;
      this.#schedule();
    });
    this.#canvas.addEventListener('mousemove', (e) => this.#hover(e));
    this.#canvas.addEventListener('mouseleave', () => (this.#tip.hidden = true));
    this.#canvas.addEventListener('click', (e) => {
      const i = this.#rowAt(e.target);
      if (i === undefined) return;
      this.#choose(i);
      const row = this.#rows[i];
      if (row?.family) this.hooks.toggleFamily(row.key.slice('family:'.length));
    });
    this.#scroll.addEventListener('keydown', (e) => this.#key(e));
    new ResizeObserver(() => this.#schedule(true)).observe(this.#scroll);
  }

  /** New rows or times: drawn on the next frame. `t0`..`t1`: the span the axis covers (epoch ms). */
  set(rows: Row[], tasks: ReadonlyMap<string, TaskNode>, t0: number, t1: number, now: number): void {
    const activeKey = this.#rows[this.#active]?.key;
    this.#rows = rows;
    this.#tasks = tasks;
    this.#t0 = t0;
    this.#t1 = Math.max(t1, t0 + 1);
    this.#now = now;
    this.#active = activeKey === undefined ? -1 : rows.findIndex((r) => r.key === activeKey);
    this.#schedule(true);
  }

  get zoom(): number {
    return this.#zoom;
  }

  /** Widen or narrow the time axis, keeping the time in the middle of the view where it is. */
  zoomBy(f: number): void {
    const label = this.#labelW();
    const mid = this.#scroll.scrollLeft + (this.#scroll.clientWidth - label) / 2;
    const before = this.#chartW();
    this.#zoom = Math.min(1024, Math.max(1, this.#zoom * f));
    const after = this.#chartW();
    this.#draw(true);
    this.#scroll.scrollLeft = Math.max(0, (mid * after) / before - (this.#scroll.clientWidth - label) / 2);
  }

  fit(): void {
    this.#zoom = 1;
    this.#draw(true);
  }

  #labelW(): number {
    return this.#scroll.clientWidth < 600 ? 130 : 240;
  }

  #chartW(): number {
    return Math.max(200, this.#scroll.clientWidth - this.#labelW() - 90) * this.#zoom;
  }

  #x(t: number): number {
    return ((t - this.#t0) / (this.#t1 - this.#t0)) * this.#chartW();
  }

  #schedule(force = false): void {
    if (force) this.#drawnKey = '';
    if (this.#frame) return;
    this.#frame = requestAnimationFrame(() => {
      this.#frame = 0;
      this.#draw(false);
    });
  }

  /** Draw the axis and the rows in sight (again only when what is in sight changed, or `force`). */
  #draw(force: boolean): void {
    const label = this.#labelW();
    const w = this.#chartW();
    const total = label + w + 90;
    const first = Math.max(0, Math.floor(this.#scroll.scrollTop / ROW_H) - OVERSCAN);
    const last = Math.min(this.#rows.length, Math.ceil((this.#scroll.scrollTop + this.#scroll.clientHeight) / ROW_H) + OVERSCAN);
    const key = `${first}:${last}:${total}`;
    if (!force && key === this.#drawnKey) return;
    this.#drawnKey = key;
    this.#canvas.style.width = `${total}px`;
    this.#canvas.style.height = `${this.#rows.length * ROW_H}px`;
    this.#canvas.style.setProperty('--label', `${label}px`);
    this.#axisIn.style.width = `${total}px`;
    this.#axisIn.innerHTML = this.#ticks(label, w);
    let html = '';
    for (let i = first; i < last; i++) html += this.#rowHtml(i, label);
    if (this.#now > this.#t0 && this.#now <= this.#t1 + 1) html += `<div class="tl-now" style="left:${label + this.#x(this.#now)}px"></div>`;
    this.#canvas.innerHTML = html;
    this.#scroll.setAttribute('aria-activedescendant', this.#active >= first && this.#active < last ? `tl-r${this.#active}` : '');
    if (!this.#scroll.getAttribute('aria-activedescendant')) this.#scroll.removeAttribute('aria-activedescendant');
  }

  #ticks(label: number, w: number): string {
    const span = this.#t1 - this.#t0;
    const step = tickStep(span, w);
    let html = `<span class="tl-axis-label" style="width:${label}px">since the run started</span>`;
    for (let ms = 0; ms <= span; ms += step) html += `<span class="tl-tick" style="left:${label + (ms / span) * w}px">${offsetLabel(ms)}</span>`;
    return html;
  }

  #rowHtml(i: number, label: number): string {
    const r = this.#rows[i] as Row;
    const look = taskLook(r.state);
    const cls = `tl-row ${stateClass(r.state)}${r.critical ? ' crit' : ''}${r.member ? ' member' : ''}${r.kind === 'family' ? ' fam' : ''}${i === this.#active ? ' active' : ''}`;
    const tog = r.family ? `<span class="tl-tog" aria-hidden="true">${r.family.expanded ? '▾' : '▸'}</span>` : '';
    const crit = r.critical ? '<span class="tl-crit" aria-hidden="true">◆</span>' : '';
    const facts = rowFacts(r, this.#t0, this.#now).join('; ');
    let bars = '';
    const left = (t: number): number => label + this.#x(t);
    if (r.ready !== null && r.start !== null && r.start > r.ready) bars += `<div class="tl-wait" style="left:${left(r.ready)}px;width:${Math.max(1, this.#x(r.start) - this.#x(r.ready))}px"></div>`;
    const end = r.end ?? (r.start !== null ? this.#now : null);
    if (r.start !== null && end !== null) {
      const bw = Math.max(2, this.#x(end) - this.#x(r.start));
      bars += `<div class="tl-bar ${stateClass(r.state)}" style="left:${left(r.start)}px;width:${bw}px">${r.family ? this.#spark(r, r.start, end, bw) : ''}</div>`;
      bars += `<span class="tl-fig" style="left:${left(r.start) + bw + 4}px">${esc(shortFigure(r, this.#now))}</span>`;
    } else if (r.skipped && r.end !== null) bars += `<span class="tl-skip" style="left:${left(r.end)}px">↷ skipped</span>`;
    return `<div class="${cls}" role="option" id="tl-r${i}" aria-selected="${i === this.#active}" data-i="${i}" style="top:${i * ROW_H}px">`
      + `<div class="tl-label">${tog}${crit}<span class="tl-sym" aria-hidden="true">${look.symbol}</span> ${esc(r.label)}${r.task ? ` <span class="tl-params">${esc(paramsLine(r.task.params))}</span>` : ''}<span class="sr">: ${esc(facts)}</span></div>${bars}</div>`;
  }

  /** A family's bar holds the shape of how many of its tasks ran at once over its span. */
  #spark(r: Row, from: number, to: number, width: number): string {
    const ids = r.family?.ids ?? [];
    const buckets = Math.max(2, Math.min(80, Math.round(width / 4)));
    const members: TaskNode[] = [];
    for (const id of ids) {
      const t = this.#tasks.get(id);
      if (t) members.push(t);
    }
    const c = concurrency(members, from, to, buckets, this.#now);
    const max = Math.max(1, ...c);
    let d = `M0 1`;
    c.forEach((n, i) => (d += ` L${i} ${1 - n / max} L${i + 1} ${1 - n / max}`));
    return `<svg class="tl-spark" viewBox="0 0 ${buckets} 1" preserveAspectRatio="none" aria-hidden="true"><path d="${d} L${buckets} 1 Z"/></svg>`;
  }

  #rowAt(target: EventTarget | null): number | undefined {
    const el = (target as Element | null)?.closest?.('.tl-row');
    const i = el ? Number((el as HTMLElement).dataset['i']) : NaN;
    return Number.isInteger(i) ? i : undefined;
  }

  #hover(e: MouseEvent): void {
    const i = this.#rowAt(e.target);
    const r = i === undefined ? undefined : this.#rows[i];
    if (!r) {
      this.#tip.hidden = true;
      return;
    }
    this.#tip.replaceChildren(h('strong', {}, r.label), r.task ? h('div', { class: 'tl-tip-params' }, paramsLine(r.task.params)) : '', ...rowFacts(r, this.#t0, this.#now).map((f) => h('div', {}, f)));
    this.#tip.hidden = false;
    // Beside the pointer, inside the chart, and above it when below would leave the window.
    const box = this.el.getBoundingClientRect();
    const x = Math.min(e.clientX - box.left + 14, box.width - 280);
    this.#tip.style.left = `${Math.max(0, x)}px`;
    const below = e.clientY + 16 + this.#tip.offsetHeight <= window.innerHeight;
    this.#tip.style.top = `${below ? e.clientY - box.top + 16 : e.clientY - box.top - 12 - this.#tip.offsetHeight}px`;
  }

  #choose(i: number): void {
    this.#active = Math.max(0, Math.min(this.#rows.length - 1, i));
    const top = this.#active * ROW_H;
    if (top < this.#scroll.scrollTop) this.#scroll.scrollTop = top;
    else if (top + ROW_H > this.#scroll.scrollTop + this.#scroll.clientHeight) this.#scroll.scrollTop = top + ROW_H - this.#scroll.clientHeight;
    this.#draw(true);
    this.hooks.chosen(this.#rows[this.#active] ?? null);
  }

  #key(e: KeyboardEvent): void {
    const page = Math.max(1, Math.floor(this.#scroll.clientHeight / ROW_H) - 1);
    const moves: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, PageDown: page, PageUp: -page };
    if (e.key in moves) this.#choose((this.#active < 0 ? -1 : this.#active) + (moves[e.key] as number));
    else if (e.key === 'Home') this.#choose(0);
    else if (e.key === 'End') this.#choose(this.#rows.length - 1);
    else if (e.key === 'Enter' || e.key === ' ') {
      const r = this.#rows[this.#active];
      if (r?.family) this.hooks.toggleFamily(r.key.slice('family:'.length));
    } else if (e.key === '+' || e.key === '=') this.zoomBy(1.5);
    else if (e.key === '-') this.zoomBy(1 / 1.5);
    else return;
    e.preventDefault();
  }
}
