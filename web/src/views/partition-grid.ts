import { esc } from '../dom';
import type { PartitionsAnswer } from '../../../src/api/wire';
import { partitionLook, stateClass } from '../states';
import { dayMs, type GridLayout, layout, move, stepOf, weekday, WEEKDAYS } from './partition-layout';

export type Partition = PartitionsAnswer['partitions'][number];

/** What a cell says in its title and to a screen reader: `Tue 2012-01-03: done, deadline missed`. `day`: its weekday's name, when shown. */
function labelOf(p: Partition, day: string | null): string {
  return `${day === null ? '' : `${day} `}${p.value}: ${partitionLook(p.state).label}${p.deadline_missed ? ', deadline missed' : ''}`;
}

/** {@link labelOf}, the weekday worked out from the value. */
export function cellLabel(p: Partition, withWeekday: boolean): string {
  return labelOf(p, withWeekday ? (WEEKDAYS[weekday(dayMs(p.value))] as string) : null);
}

/** Per state, the start of its cells' tag (class, state) and their symbol: worked out once, not per cell. */
function stateParts(): (s: Partition['state']) => { open: string; symbol: string } {
  const cache = new Map<string, { open: string; symbol: string }>();
  return (s) => {
    let c = cache.get(s);
    if (!c) cache.set(s, (c = { open: `<span role="gridcell" class="pc ${stateClass(s)}" data-state="${esc(s)}"`, symbol: partitionLook(s).symbol }));
    return c;
  };
}

/**
 * The markup of every band, row and cell, in one string (3,650 cells parse in one go). A cell:
 * its state's class and symbol; its label as its title and its accessible name (else the name
 * would be the symbol); the active one is the grid's Tab stop. A day's weekday is its row's.
 */
function markup(l: GridLayout, parts: readonly Partition[], active: number): string {
  const withWeekday = l.step === 'day';
  const look = stateParts();
  let out = '';
  for (const band of l.bands) {
    out += `<div class="pband" role="rowgroup"${band.label ? ` aria-label="${esc(band.label)}"` : ''}>`;
    if (band.label || band.head.some(Boolean)) {
      out += `<div class="phead" aria-hidden="true"><span class="plabel pyear">${esc(band.label ?? '')}</span>`;
      // One span per label, as wide as the columns up to the next label.
      band.head.forEach((c, col) => {
        if (c === null && col > 0) return;
        let n = 1;
        while (col + n < band.head.length && band.head[col + n] === null) n++;
        out += `<span class="pcol" style="--n:${n}">${esc(c ?? '')}</span>`;
      });
      out += '</div>';
    }
    for (const row of band.rows) {
      const shown = l.step === 'day' ? (['Mon', 'Wed', 'Fri'].includes(row.label) ? row.label : '') : row.label;
      const day = withWeekday ? row.label : null;
      out += `<div class="prow" role="row"><span class="plabel" aria-hidden="true">${esc(shown)}</span>`;
      for (const i of row.cells) {
        if (i === null) {
          out += '<span class="pc pad" aria-hidden="true"></span>';
          continue;
        }
        const p = parts[i] as Partition;
        const c = look(p.state);
        const label = esc(labelOf(p, day));
        out += `${c.open} data-i="${i}"${i === active ? ' tabindex="0"' : ''}${p.deadline_missed ? ' data-deadline=""' : ''} title="${label}" aria-label="${label}">${c.symbol}</span>`;
      }
      out += '</div>';
    }
    out += '</div>';
  }
  return out;
}

export interface GridHooks {
  /** The focused cell changed (by keyboard, click or a rebuild). */
  focus(i: number): void;
  /** Enter, Space or a click on a cell. */
  activate(i: number): void;
}

/**
 * The partitions grid: `role="grid"`, one Tab stop (a roving tabindex on the active cell),
 * arrow keys, Page Up / Down, Home and End move it (partition-layout's `move`), Enter or
 * Space activates. Built as one string; a refresh of the same partitions changes only the
 * cells whose state moved, so the focus stays where it is.
 */
export class PartitionGrid {
  readonly el: HTMLElement;
  #layout: GridLayout;
  #parts: Partition[];
  /** The cells by index, looked up when first needed (not while the first paint waits). */
  #byIndex: HTMLElement[] | null = null;
  #active = 0;

  constructor(answer: PartitionsAnswer, private readonly hooks: GridHooks, active = 0) {
    this.#parts = answer.partitions;
    const values = this.#parts.map((p) => p.value);
    this.#layout = layout(values, stepOf(answer.range, values));
    const n = this.#parts.length;
    this.el = document.createElement('div');
    this.el.className = `pgrid step-${this.#layout.step} size-${n <= 120 ? 'l' : n <= 800 ? 'm' : 's'}`;
    this.el.setAttribute('role', 'grid');
    this.el.setAttribute('aria-readonly', 'true');
    this.el.setAttribute('aria-label', `Partitions of ${answer.task} over ${answer.over}, ${answer.range}: arrow keys move, Enter opens`);
    this.#active = Math.max(0, Math.min(n - 1, active));
    this.el.innerHTML = markup(this.#layout, this.#parts, this.#active);
    this.el.addEventListener('keydown', (e) => this.#key(e));
    this.el.addEventListener('click', (e) => {
      const cell = (e.target as Element).closest<HTMLElement>('.pc[data-i]');
      if (!cell) return;
      this.focusCell(Number(cell.dataset['i']));
      this.hooks.activate(this.#active);
    });
    this.el.addEventListener('focusin', (e) => {
      const cell = (e.target as Element).closest<HTMLElement>('.pc[data-i]');
      if (cell) this.hooks.focus(Number(cell.dataset['i']));
    });
  }

  get active(): number {
    return this.#active;
  }

  get partitions(): readonly Partition[] {
    return this.#parts;
  }

  /** What cell i says (its title). */
  label(i: number): string {
    const p = this.#parts[i];
    return p ? cellLabel(p, this.#layout.step === 'day') : '';
  }

  get #cells(): HTMLElement[] {
    if (!this.#byIndex) {
      const cells: HTMLElement[] = [];
      for (const c of this.el.querySelectorAll<HTMLElement>('.pc[data-i]')) cells[Number(c.dataset['i'])] = c;
      this.#byIndex = cells;
    }
    return this.#byIndex;
  }

  /** Move the roving focus to cell i (and focus it). */
  focusCell(i: number): void {
    const next = this.#cells[i];
    if (!next) return;
    if (i !== this.#active) {
      this.#cells[this.#active]?.removeAttribute('tabindex');
      next.setAttribute('tabindex', '0');
      this.#active = i;
    }
    next.focus();
  }

  /** Take a newer answer in place when it has the same partitions; false when it has others (build a new grid). */
  update(answer: PartitionsAnswer): boolean {
    const next = answer.partitions;
    if (next.length !== this.#parts.length || next.some((p, i) => p.value !== this.#parts[i]?.value)) return false;
    const withWeekday = this.#layout.step === 'day';
    next.forEach((p, i) => {
      const was = this.#parts[i] as Partition;
      if (was.state === p.state && was.deadline_missed === p.deadline_missed) return;
      const el = this.#cells[i] as HTMLElement;
      el.className = `pc ${stateClass(p.state)}`;
      el.dataset['state'] = p.state;
      if (p.deadline_missed) el.dataset['deadline'] = '';
      else delete el.dataset['deadline'];
      const label = cellLabel(p, withWeekday);
      el.title = label;
      el.setAttribute('aria-label', label);
      el.textContent = partitionLook(p.state).symbol;
    });
    this.#parts = next;
    return true;
  }

  #key(e: KeyboardEvent): void {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      this.hooks.activate(this.#active);
      return;
    }
    const to = move(this.#layout, this.#active, e.key);
    if (to === null) return;
    e.preventDefault();
    this.focusCell(to);
  }
}
