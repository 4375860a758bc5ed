/**
 * Where each partition goes in the partitions grid: arithmetic on the values only, no DOM.
 * Days read as a contribution calendar (a band per year, a column per week, Monday on top,
 * month names above); hours as a row per day; weeks and months as a row per year. Values of
 * no known shape (a list) go in rows of 31, in order.
 */

export type GridStep = 'day' | 'hour' | 'week' | 'month' | 'list';

/** One row of the grid: per column, the index of its partition, or null for a gap. */
export interface GridRow {
  label: string;
  cells: Array<number | null>;
}

/** Rows under one set of column labels (a year of days, or the whole grid for the other steps). */
export interface GridBand {
  label: string | null;
  /** Per column, a label shown above it (a month, an hour), or null. */
  head: Array<string | null>;
  rows: GridRow[];
}

export interface GridLayout {
  step: GridStep;
  bands: GridBand[];
  /** Per partition, its row (counted over all the bands) and its column in that row. */
  at: Array<{ row: number; col: number }>;
  /** Every row of every band, in order, for moving up and down. */
  rows: GridRow[];
}

const DAY_MS = 86_400_000;
export const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** Monday first (ISO weeks). */
export const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const HOUR = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})$/;

/** The number written by v's ASCII digits from `from` to `to`, or -1 if one is not a digit. */
function digits(v: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = v.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** `YYYY-MM-DD` to UTC epoch ms, or NaN. By character codes: no match or strings made per cell, for 3,650 of them. */
export function dayMs(v: string): number {
  if (v.length !== 10 || v.charCodeAt(4) !== 45 || v.charCodeAt(7) !== 45) return NaN;
  const y = digits(v, 0, 4);
  const m = digits(v, 5, 7);
  const d = digits(v, 8, 10);
  return y < 0 || m < 0 || d < 0 ? NaN : Date.UTC(y, m - 1, d);
}

/** Monday = 0 ... Sunday = 6 (1 January 1970 was a Thursday); arithmetic, no Date, for 3,650 cells. */
export const weekday = (t: number): number => (((Math.floor(t / DAY_MS) + 3) % 7) + 7) % 7;

/** The step of an answer's range label (`2012-01-01..2012-12-31 by day`), `list` otherwise or when a value does not fit it. */
export function stepOf(range: string, values: readonly string[]): GridStep {
  const m = / by (day|hour|week|month)$/.exec(range);
  const step = (m?.[1] ?? 'list') as GridStep;
  const shape = step === 'hour' ? HOUR : DATE;
  return step !== 'list' && values.every((v) => shape.test(v)) ? step : 'list';
}

function days(values: readonly string[]): { bands: GridBand[]; at: Array<{ row: number; col: number }> } {
  const bands: GridBand[] = [];
  const at: Array<{ row: number; col: number }> = [];
  let year = NaN;
  let start = 0;
  let jan1 = 0;
  let lead = 0;
  const close = (end: number): void => {
    if (end <= start) return;
    const first = at[start] as { col: number };
    const cols = (at[end - 1] as { col: number }).col - first.col + 1;
    const rows: GridRow[] = WEEKDAYS.map((d) => ({ label: d, cells: new Array<number | null>(cols).fill(null) }));
    const base = first.col;
    for (let i = start; i < end; i++) {
      const p = at[i] as { row: number; col: number };
      p.col -= base;
      (rows[p.row] as GridRow).cells[p.col] = i;
      // Rows are counted over all the bands: this year's weekdays come after the earlier years'.
      p.row += 7 * bands.length;
    }
    // A month's name over the week of its 1st (when that day is shown); the band's first week named when no month starts near it.
    const head = new Array<string | null>(cols).fill(null);
    const [lo, hi] = [dayMs(values[start] as string), dayMs(values[end - 1] as string)];
    for (let m = 0; m < 12; m++) {
      if (Date.UTC(year, m, 1) < lo || Date.UTC(year, m, 1) > hi) continue;
      const c = Math.floor((Math.round((Date.UTC(year, m, 1) - jan1) / DAY_MS) + lead) / 7) - base;
      if (c >= 0 && c < cols) head[c] = MONTHS[m] as string;
    }
    if (!head.slice(0, 3).some(Boolean)) head[0] = MONTHS[new Date(dayMs(values[start] as string)).getUTCMonth()] as string;
    bands.push({ label: String(year), head, rows });
  };
  let next = -Infinity; // the next band's first instant (1 January of the year after)
  let before = Infinity; // this band's
  for (let i = 0; i < values.length; i++) {
    const t = dayMs(values[i] as string);
    if (t >= next || t < before) {
      const y = new Date(t).getUTCFullYear();
      close(i);
      year = y;
      start = i;
      jan1 = before = Date.UTC(y, 0, 1);
      next = Date.UTC(y + 1, 0, 1);
      lead = weekday(jan1);
    }
    at.push({ row: weekday(t), col: Math.floor((Math.round((t - jan1) / DAY_MS) + lead) / 7) });
  }
  close(values.length);
  return { bands, at };
}

/** One band of rows keyed by `key`, a column each by `col`, `cols` wide. */
function keyed(values: readonly string[], cols: number, head: Array<string | null>, key: (v: string, i: number) => string, col: (v: string, i: number) => number): { bands: GridBand[]; at: Array<{ row: number; col: number }> } {
  const rows: GridRow[] = [];
  const at: Array<{ row: number; col: number }> = [];
  let last: string | undefined;
  values.forEach((v, i) => {
    const k = key(v, i);
    if (k !== last) {
      rows.push({ label: k, cells: new Array<number | null>(cols).fill(null) });
      last = k;
    }
    const c = col(v, i);
    (rows[rows.length - 1] as GridRow).cells[c] = i;
    at.push({ row: rows.length - 1, col: c });
  });
  return { bands: [{ label: null, head, rows }], at };
}

/** The grid's layout for partition values in order, by step. */
export function layout(values: readonly string[], step: GridStep): GridLayout {
  let out: { bands: GridBand[]; at: Array<{ row: number; col: number }> };
  switch (step) {
    case 'day':
      out = days(values);
      break;
    case 'hour':
      out = keyed(values, 24, Array.from({ length: 24 }, (_, h) => (h % 6 === 0 ? String(h).padStart(2, '0') : null)), (v) => v.slice(0, 10), (v) => Number(v.slice(11, 13)));
      break;
    case 'week': {
      // Week n of a year is its days 7n..7n+6; a month is named over the first week that starts in it (in a common year).
      const head = Array.from({ length: 53 }, (_, c) => {
        const m = new Date(Date.UTC(2001, 0, 1 + 7 * c)).getUTCMonth();
        return c === 0 || new Date(Date.UTC(2001, 0, 1 + 7 * (c - 1))).getUTCMonth() !== m ? (MONTHS[m] as string) : null;
      });
      out = keyed(values, 53, head, (v) => v.slice(0, 4), (v) => Math.min(52, Math.floor(Math.round((dayMs(v) - Date.UTC(Number(v.slice(0, 4)), 0, 1)) / DAY_MS) / 7)));
      break;
    }
    case 'month':
      out = keyed(values, 12, [...MONTHS], (v) => v.slice(0, 4), (v) => Number(v.slice(5, 7)) - 1);
      break;
    case 'list':
      out = keyed(values, 31, new Array<string | null>(31).fill(null), (_v, i) => String(Math.floor(i / 31) * 31 + 1), (_v, i) => i % 31);
      break;
    default: {
      const never: never = step;
      throw new Error(`unknown step ${String(never)}`);
    }
  }
  return { step, ...out, rows: out.bands.flatMap((b) => b.rows) };
}

/** The nearest partition to column `col` in row `row`, or null when there is no such row. */
function nearest(l: GridLayout, row: number, col: number): number | null {
  const cells = l.rows[row]?.cells;
  if (!cells) return null;
  for (let d = 0; d < cells.length; d++) {
    const a = cells[col - d];
    if (a !== undefined && a !== null) return a;
    const b = cells[col + d];
    if (b !== undefined && b !== null) return b;
  }
  return null;
}

/**
 * Where a key moves the focus from partition i, or null for a key the grid does not handle.
 * Days: up and down are the day before and after, left and right a week, Page Up / Down a
 * year (52 weeks). Other steps: left and right the previous and next value, up and down the
 * same column a row away, Page Up / Down ten rows. Home and End: the first and last partition.
 */
export function move(l: GridLayout, i: number, key: string): number | null {
  const n = l.at.length;
  const clamp = (j: number): number => Math.max(0, Math.min(n - 1, j));
  if (key === 'Home') return 0;
  if (key === 'End') return n - 1;
  if (l.step === 'day') {
    const by: Record<string, number> = { ArrowUp: -1, ArrowDown: 1, ArrowLeft: -7, ArrowRight: 7, PageUp: -364, PageDown: 364 };
    const d = by[key];
    return d === undefined ? null : clamp(i + d);
  }
  if (key === 'ArrowLeft') return clamp(i - 1);
  if (key === 'ArrowRight') return clamp(i + 1);
  const rows: Record<string, number> = { ArrowUp: -1, ArrowDown: 1, PageUp: -10, PageDown: 10 };
  const d = rows[key];
  if (d === undefined) return null;
  const p = l.at[i];
  if (!p) return null;
  const row = Math.max(0, Math.min(l.rows.length - 1, p.row + d));
  return nearest(l, row, p.col) ?? i;
}
