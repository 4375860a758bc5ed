/**
 * The elections chain's own tests, written with nectar's test kit (`nectar/testing`): each
 * runs tasks against a temp target root and checks the answers against a brute-force
 * computation done here, straight from donations.jsonl; one runs the counting tasks on five
 * hand-written donations seeded in place of the generator.
 */
import { testKit } from 'nectar/testing';
import { CandidateCountsPyTask, CandidateCountsTask, DailyTotalsTask, DonationsTask, TopDayTask, type DayTotal } from './donations_chain';

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
  const kit = testKit();
  afterAll(() => kit.close());

  async function donations(params: { count: number; seed?: number }): Promise<Donation[]> {
    const text = await kit.output(new DonationsTask(params)).readText();
    return text.trimEnd().split('\n').map((line) => JSON.parse(line) as Donation);
  }

  it('plans the whole chain first, then only what is missing', async () => {
    const top = new TopDayTask({ count: COUNT, seed: 11 });
    expect((await kit.plan(top)).run).toEqual(['DonationsTask(count=5000, seed=11)', 'DailyTotalsTask(count=5000, seed=11)', 'TopDayTask(count=5000, seed=11)']);
    await kit.runOk(new DailyTotalsTask({ count: COUNT, seed: 11 }));
    const plan = await kit.plan(top);
    expect(plan.run).toEqual(['TopDayTask(count=5000, seed=11)']);
    expect(plan.complete).toEqual(['DailyTotalsTask(count=5000, seed=11)']);
  });

  it('finds the top day, equal to a brute-force answer, and reruns nothing', async () => {
    const run = await kit.runOk(new TopDayTask({ count: COUNT }));
    expect(run.ran).toEqual(['DonationsTask(count=5000, seed=2012)', 'DailyTotalsTask(count=5000, seed=2012)', 'TopDayTask(count=5000, seed=2012)']);

    const byDay = new Map<string, { cents: number; count: number }>();
    for (const d of await donations({ count: COUNT })) {
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
    expect(JSON.parse(await run.output.readText())).toEqual({ date: best!.date, total: best!.cents / 100, count: best!.count });

    const totals = JSON.parse(await kit.output(new DailyTotalsTask({ count: COUNT })).readText()) as DayTotal[];
    expect(totals.map((t) => t.date)).toEqual([...byDay.keys()].sort());
    expect(totals.reduce((n, t) => n + t.count, 0)).toBe(COUNT);
    for (const t of totals) expect(Math.round(t.total * 100)).toBe(byDay.get(t.date)!.cents);

    const again = await kit.runOk(new TopDayTask({ count: COUNT }));
    expect(again.ran).toEqual([]);
    expect(again.skipped).toEqual(['TopDayTask(count=5000, seed=2012)']);
  });

  it('counts donations per candidate on a day, equal to an independent count', async () => {
    // A busy day near the election, and a quiet one in the primaries.
    for (const day of ['2012-10-17', '2012-02-01']) {
      const run = await kit.runOk(new CandidateCountsTask({ count: COUNT, day }));
      const expected: Record<string, number> = {};
      for (const d of await donations({ count: COUNT })) if (d.date === day) expected[d.candidate] = (expected[d.candidate] ?? 0) + 1;
      const got = JSON.parse(await run.output.readText()) as { date: string; total: number; counts: Record<string, number> };
      expect(got.date).toBe(day);
      expect(got.counts).toEqual(expected);
      expect(Object.keys(got.counts)).toEqual(Object.keys(got.counts).sort());
      expect(got.total).toBe(Object.values(expected).reduce((a, b) => a + b, 0));
    }
  });

  it('requires a day in 2012 for CandidateCountsTask', () => {
    expect(() => kit.task('elections/CandidateCountsTask', { count: COUNT })).toThrow(expect.objectContaining({ code: 'MISSING_PARAM' }));
    expect(() => new CandidateCountsTask({ day: '2013-01-01' })).toThrow(expect.objectContaining({ code: 'BAD_PARAM' }));
  });

  it('generates the same bytes for the same seed and different bytes for another', async () => {
    const other = testKit();
    try {
      const a = await kit.runOk(new DonationsTask({ count: COUNT, seed: 7 }));
      const b = await other.runOk(new DonationsTask({ count: COUNT, seed: 7 }));
      const c = await other.runOk(new DonationsTask({ count: COUNT, seed: 8 }));
      const [bytesA, bytesB, bytesC] = await Promise.all([a.output.readBytes(), b.output.readBytes(), c.output.readBytes()]);
      expect(bytesA.equals(bytesB)).toBe(true);
      expect(bytesA.equals(bytesC)).toBe(false);
    } finally {
      await other.close();
    }
  });

  it('writes one well-formed donation per line, all in 2012', async () => {
    await kit.runOk(new DonationsTask({ count: COUNT }));
    const all = await donations({ count: COUNT });
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
      const ts = await kit.runOk(new CandidateCountsTask({ count: COUNT, day }));
      const py = await kit.runOk(new CandidateCountsPyTask({ count: COUNT, day }));
      const [a, b] = await Promise.all([ts.output.readText(), py.output.readText()]);
      expect(JSON.parse(b)).toEqual(JSON.parse(a));
      expect(b).toBe(a);
      expect((JSON.parse(a) as { total: number }).total).toBeGreaterThan(0);
    }
  });

  it('counts five hand-written donations seeded in place of the generator, in TypeScript and in Python', async () => {
    const upstream = new DonationsTask({ count: 5, seed: 1 });
    const lines = [
      { candidate: 'Romney, Mitt', amount: 50, date: '2012-10-15', city: 'BOSTON', state: 'MA', occupation: 'CEO' },
      { candidate: 'Obama, Barack', amount: 25, date: '2012-10-15', city: 'CHICAGO', state: 'IL', occupation: 'TEACHER' },
      { candidate: 'Obama, Barack', amount: 10.5, date: '2012-10-15', city: 'SEATTLE', state: 'WA', occupation: 'NURSE' },
      { candidate: 'Stein, Jill', amount: 5, date: '2012-10-14', city: 'PORTLAND', state: 'OR', occupation: 'WRITER' },
      { candidate: 'Paul, Ron', amount: 100, date: '2012-03-01', city: 'DALLAS', state: 'TX', occupation: 'RETIRED' },
    ];
    await kit.seed(upstream, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');

    const ts = new CandidateCountsTask({ count: 5, seed: 1, day: '2012-10-15' });
    const plan = await kit.plan(ts);
    expect(plan.run).toEqual(['CandidateCountsTask(count=5, day=2012-10-15, seed=1)']);
    expect(plan.complete).toEqual(['DonationsTask(count=5, seed=1)']);

    const expected = { date: '2012-10-15', total: 3, counts: { 'Obama, Barack': 2, 'Romney, Mitt': 1 } };
    const a = await kit.runOk(ts);
    expect(a.ran).toEqual(['CandidateCountsTask(count=5, day=2012-10-15, seed=1)']);
    expect(JSON.parse(await a.output.readText())).toEqual(expected);
    const b = await kit.runOk(new CandidateCountsPyTask({ count: 5, seed: 1, day: '2012-10-15' }));
    expect(JSON.parse(await b.output.readText())).toEqual(expected);
    expect(await kit.log(b.task)).toContain('3 donations on 2012-10-15');
  });
});
