/**
 * The elections example chain (chains/elections/donations_chain.ts), run end to end through a
 * Runtime over the real chains folder. Every answer is checked against a brute-force
 * computation done here, straight from donations.jsonl.
 */
import { join } from 'node:path';
import type { AnyTask } from '../../src/core/task';
import type { Runtime } from '../../src/runtime/runtime';
import { REPO, makeRuntime, rmDir, tempDir } from '../helpers/runtime';

const COUNT = 5000;

interface Donation {
  candidate: string;
  amount: number;
  date: string;
  city: string;
  state: string;
  occupation: string;
}

describe('elections chain', () => {
  const dirs: string[] = [];
  const runtimes: Runtime[] = [];
  let rt: Runtime;

  function newRuntime(): Runtime {
    const dir = tempDir('nectar-elections-');
    dirs.push(dir);
    const r = makeRuntime(join(REPO, 'chains'), dir);
    runtimes.push(r);
    return r;
  }

  /** An output of a task, as text: `<targets>/chains/<task id>/<name>`. */
  function read(r: Runtime, task: AnyTask, name: string): Promise<string> {
    return r.store.target(`chains/${task.id}/${name}`).readText();
  }

  /** Run a task to completion and return its instance. */
  async function runOk(r: Runtime, ref: string, params: Record<string, unknown>): Promise<AnyTask> {
    const task = r.instantiate(ref, params);
    const result = await r.run(task);
    expect(result.failures.map((f) => f.error)).toEqual([]);
    expect(result.state).toBe('SUCCEEDED');
    return task;
  }

  async function donations(r: Runtime, params: Record<string, unknown>): Promise<Donation[]> {
    const text = await read(r, r.instantiate('elections/DonationsTask', params), 'donations.jsonl');
    return text.trimEnd().split('\n').map((line) => JSON.parse(line) as Donation);
  }

  beforeAll(() => {
    rt = newRuntime();
  });

  afterAll(async () => {
    for (const r of runtimes) await r.close();
    for (const d of dirs) rmDir(d);
  });

  it('finds the top day, equal to a brute-force answer, and reruns nothing', async () => {
    const top = await runOk(rt, 'elections/TopDayTask', { count: COUNT });

    const byDay = new Map<string, { cents: number; count: number }>();
    for (const d of await donations(rt, { count: COUNT })) {
      const day = byDay.get(d.date) ?? { cents: 0, count: 0 };
      day.cents += Math.round(d.amount * 100);
      day.count += 1;
      byDay.set(d.date, day);
    }
    let best: { date: string; cents: number; count: number } | undefined;
    for (const [date, v] of [...byDay].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (!best || v.cents > best.cents) best = { date, ...v };
    }
    expect(best).toBeDefined();
    expect(JSON.parse(await read(rt, top, 'top_day.json'))).toEqual({ date: best!.date, total: best!.cents / 100, count: best!.count });

    const totals = JSON.parse(await read(rt, rt.instantiate('elections/DailyTotalsTask', { count: COUNT }), 'totals.json')) as { date: string; total: number; count: number }[];
    expect(totals.map((t) => t.date)).toEqual([...byDay.keys()].sort());
    expect(totals.reduce((n, t) => n + t.count, 0)).toBe(COUNT);
    for (const t of totals) expect(Math.round(t.total * 100)).toBe(byDay.get(t.date)!.cents);

    const again = await rt.run(rt.instantiate('elections/TopDayTask', { count: COUNT }));
    expect(again.state).toBe('SUCCEEDED');
    expect(again.ran).toBe(0);
  });

  it('counts donations per candidate on a day, equal to an independent count', async () => {
    // A busy day near the election, and a quiet one in the primaries.
    for (const day of ['2012-10-17', '2012-02-01']) {
      const task = await runOk(rt, 'elections/CandidateCountsTask', { count: COUNT, day });
      const all = await donations(rt, { count: COUNT });
      const expected: Record<string, number> = {};
      for (const d of all) if (d.date === day) expected[d.candidate] = (expected[d.candidate] ?? 0) + 1;
      const got = JSON.parse(await read(rt, task, 'counts.json')) as { date: string; total: number; counts: Record<string, number> };
      expect(got.date).toBe(day);
      expect(got.counts).toEqual(expected);
      expect(Object.keys(got.counts)).toEqual(Object.keys(got.counts).sort());
      expect(got.total).toBe(Object.values(expected).reduce((a, b) => a + b, 0));
    }
  });

  it('requires a day in 2012 for CandidateCountsTask', () => {
    expect(() => rt.instantiate('elections/CandidateCountsTask', { count: COUNT })).toThrow(expect.objectContaining({ code: 'MISSING_PARAM' }));
    expect(() => rt.instantiate('elections/CandidateCountsTask', { day: '2013-01-01' })).toThrow(expect.objectContaining({ code: 'BAD_PARAM' }));
  });

  it('generates the same bytes for the same seed and different bytes for another', async () => {
    const other = newRuntime();
    const a = await runOk(rt, 'elections/DonationsTask', { count: COUNT, seed: 7 });
    const b = await runOk(other, 'elections/DonationsTask', { count: COUNT, seed: 7 });
    const c = await runOk(other, 'elections/DonationsTask', { count: COUNT, seed: 8 });
    const bytesA = await rt.store.target(`chains/${a.id}/donations.jsonl`).readBytes();
    const bytesB = await other.store.target(`chains/${b.id}/donations.jsonl`).readBytes();
    const bytesC = await other.store.target(`chains/${c.id}/donations.jsonl`).readBytes();
    expect(bytesA.equals(bytesB)).toBe(true);
    expect(bytesA.equals(bytesC)).toBe(false);
  });

  it('writes one well-formed donation per line, all in 2012', async () => {
    await runOk(rt, 'elections/DonationsTask', { count: COUNT });
    const all = await donations(rt, { count: COUNT });
    expect(all).toHaveLength(COUNT);
    const fields = ['amount', 'candidate', 'city', 'date', 'occupation', 'state'].join();
    // Collect the bad lines rather than expect() per field: one clear failure, and fast.
    const bad = all.filter(
      (d) =>
        Object.keys(d).sort().join() !== fields ||
        typeof d.candidate !== 'string' || d.candidate === '' ||
        typeof d.amount !== 'number' || !(d.amount > 0) || Math.round(d.amount * 100) / 100 !== d.amount ||
        !/^2012-\d{2}-\d{2}$/.test(d.date) || new Date(`${d.date}T00:00:00Z`).toISOString().slice(0, 10) !== d.date ||
        !/^[A-Z]{2}$/.test(d.state) || d.city === '' || d.occupation === '',
    );
    expect(bad).toEqual([]);
  });

  it('the Python program task gives the same counts as the TypeScript task, byte for byte', async () => {
    for (const day of ['2012-03-31', '2012-10-15', '2012-11-06']) {
      const params = { count: COUNT, day };
      const ts = await runOk(rt, 'elections/CandidateCountsTask', params);
      const py = await runOk(rt, 'elections/CandidateCountsPyTask', params);
      const [a, b] = await Promise.all([read(rt, ts, 'counts.json'), read(rt, py, 'counts.json')]);
      expect(JSON.parse(b)).toEqual(JSON.parse(a));
      expect(b).toBe(a);
      expect((JSON.parse(a) as { total: number }).total).toBeGreaterThan(0);
    }
  });
});
