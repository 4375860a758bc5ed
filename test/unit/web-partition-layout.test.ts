import { layout, move, stepOf } from '../../web/src/views/partition-layout';

const DAY = 86_400_000;
const days = (from: string, n: number): string[] => Array.from({ length: n }, (_, i) => new Date(Date.parse(from) + i * DAY).toISOString().slice(0, 10));

describe('the partitions grid layout', () => {
  it('reads the step from the range label, and falls back to a list when a value does not fit it', () => {
    expect(stepOf('2012-01-01..2012-12-31 by day', ['2012-01-01'])).toBe('day');
    expect(stepOf('2012-01-01..2012-01-02 by hour', ['2012-01-01T00'])).toBe('hour');
    expect(stepOf('2012-01-01..2012-12-31 by month', ['2012-01-01'])).toBe('month');
    expect(stepOf('list', ['eu', 'us'])).toBe('list');
    expect(stepOf('2012-01-01..2012-01-02 by day', ['2012-01-01T00'])).toBe('list');
  });

  it('days: a band per year, weeks as columns, Monday first, a month named over the week of its 1st', () => {
    const values = days('2024-12-30', 10); // Mon 30 Dec 2024 .. Wed 8 Jan 2025
    const l = layout(values, 'day');
    expect(l.bands.map((b) => b.label)).toEqual(['2024', '2025']);
    const [y24, y25] = l.bands;
    expect(y24?.rows.map((r) => r.cells)).toEqual([[0], [1], [null], [null], [null], [null], [null]]);
    expect(y24?.head).toEqual(['Dec']);
    // 1 January 2025 is a Wednesday: the first week's Monday and Tuesday are gaps.
    expect(y25?.rows.map((r) => r.cells)).toEqual([[null, 7], [null, 8], [2, 9], [3, null], [4, null], [5, null], [6, null]]);
    expect(y25?.head).toEqual(['Jan', null]);
    expect(l.at[0]).toEqual({ row: 0, col: 0 });
    expect(l.at[2]).toEqual({ row: 9, col: 0 });
    expect(l.rows).toHaveLength(14);
  });

  it('ten years of days: 3,650 cells, every one placed once', () => {
    const values = days('2016-01-04', 3650);
    const l = layout(values, 'day');
    expect(l.bands.map((b) => b.label)).toEqual(['2016', '2017', '2018', '2019', '2020', '2021', '2022', '2023', '2024', '2025']);
    const placed = l.rows.flatMap((r) => r.cells).filter((c): c is number => c !== null);
    expect(placed.sort((a, b) => a - b)).toEqual(values.map((_, i) => i));
    expect(l.bands[1]?.head.filter(Boolean)).toEqual(['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']);
    l.at.forEach((p, i) => expect(l.rows[p.row]?.cells[p.col]).toBe(i));
  });

  it('hours: a row per day, a column per hour; months and weeks: a row per year', () => {
    const hours = Array.from({ length: 28 }, (_, i) => new Date(Date.parse('2012-01-01T20:00Z') + i * 3_600_000).toISOString().slice(0, 13));
    const h = layout(hours, 'hour');
    expect(h.rows.map((r) => r.label)).toEqual(['2012-01-01', '2012-01-02']);
    expect(h.rows[0]?.cells.slice(19)).toEqual([null, 0, 1, 2, 3]);
    expect(h.bands[0]?.head.filter(Boolean)).toEqual(['00', '06', '12', '18']);
    const months = layout(['2012-11-01', '2012-12-01', '2013-01-01'], 'month');
    expect(months.rows.map((r) => [r.label, r.cells.filter((c) => c !== null)])).toEqual([['2012', [0, 1]], ['2013', [2]]]);
    expect(months.at[2]).toEqual({ row: 1, col: 0 });
    const weeks = layout(['2012-12-24', '2012-12-31', '2013-01-07'], 'week');
    expect(weeks.at).toEqual([{ row: 0, col: 51 }, { row: 0, col: 52 }, { row: 1, col: 0 }]);
    const list = layout(Array.from({ length: 40 }, (_, i) => `v${i}`), 'list');
    expect(list.rows.map((r) => r.cells.length)).toEqual([31, 31]);
    expect(list.at[35]).toEqual({ row: 1, col: 4 });
  });

  it('moves the focus: days by a day up and down, a week left and right, a year by page; other steps by row and column', () => {
    const d = layout(days('2016-01-04', 3650), 'day');
    expect(move(d, 0, 'ArrowDown')).toBe(1);
    expect(move(d, 0, 'ArrowUp')).toBe(0);
    expect(move(d, 0, 'ArrowRight')).toBe(7);
    expect(move(d, 10, 'ArrowLeft')).toBe(3);
    expect(move(d, 0, 'PageDown')).toBe(364);
    expect(move(d, 3649, 'PageDown')).toBe(3649);
    expect(move(d, 5, 'Home')).toBe(0);
    expect(move(d, 5, 'End')).toBe(3649);
    expect(move(d, 5, 'a')).toBeNull();
    const m = layout(['2012-11-01', '2012-12-01', '2013-01-01', '2013-02-01'], 'month');
    expect(move(m, 0, 'ArrowRight')).toBe(1);
    expect(move(m, 1, 'ArrowRight')).toBe(2);
    // Down from December 2012: no December 2013, so the nearest month shown in 2013.
    expect(move(m, 1, 'ArrowDown')).toBe(3);
    expect(move(m, 2, 'ArrowUp')).toBe(0);
    expect(move(m, 0, 'ArrowUp')).toBe(0);
  });
});
