/**
 * Campaign contributions to the 2012 US presidential candidates, as an ETL chain: the Metis
 * walk-through ("total donated per day, the top day, donations per candidate on a day").
 *
 *   DonationsTask ──> DailyTotalsTask ──> TopDayTask
 *         └────────> CandidateCountsTask (day), and CandidateCountsPyTask (the same in Python)
 *
 * Run it with:
 *   npx nectar run elections/TopDayTask
 *   npx nectar run elections/CandidateCountsTask --param day=2012-10-15
 *   npx nectar run elections/TopDayTask --param count=5000 --param seed=7
 *
 * The data is synthetic but shaped like the FEC file. The generator is seeded: the same
 * `seed` and `count` always give the same bytes, shared by every task downstream.
 */
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { p, program, task, type RunContext, type Target } from 'nectar';

/** The parameters every task here shares: they pick one synthetic data set. */
const dataset = {
  seed: p.int({ default: 2012, description: 'seed of the generator' }),
  count: p.int({ default: 100_000, min: 1, description: 'number of donations to generate' }),
};

/** mulberry32: a tiny, fast, seeded PRNG giving floats in [0, 1). Never Math.random here. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A sampler over `[value, weight]` pairs: maps a uniform draw to a value by bisecting the cumulative weights. */
function weighted<T>(pairs: readonly (readonly [T, number])[]): (r: number) => T {
  let sum = 0;
  const cum = pairs.map(([, w]) => (sum += w));
  return (r) => {
    let lo = 0;
    for (let hi = cum.length - 1, x = r * sum; lo < hi; ) {
      const mid = (lo + hi) >> 1;
      if ((cum[mid] as number) > x) hi = mid;
      else lo = mid + 1;
    }
    return (pairs[lo] as readonly [T, number])[0];
  };
}

/** Candidates, their relative popularity and the last day they took money (primaries end). */
const CANDIDATES: readonly (readonly [string, number, string])[] = [
  ['Obama, Barack', 50, '2012-12-31'], ['Romney, Mitt', 32, '2012-12-31'], ['Paul, Ron', 8, '2012-05-14'],
  ['Santorum, Rick', 5, '2012-04-10'], ['Gingrich, Newt', 4, '2012-05-02'], ['Johnson, Gary Earl', 2, '2012-12-31'],
  ['Stein, Jill', 1, '2012-12-31'], ['Huntsman, Jon', 2, '2012-01-16'], ['Perry, Rick', 2, '2012-01-21'],
  ['Bachmann, Michele', 1, '2012-01-04'],
];
const PLACES = weighted<readonly [string, string]>([
  [['NEW YORK', 'NY'], 14], [['LOS ANGELES', 'CA'], 10], [['CHICAGO', 'IL'], 8], [['HOUSTON', 'TX'], 6],
  [['WASHINGTON', 'DC'], 6], [['SAN FRANCISCO', 'CA'], 6], [['BOSTON', 'MA'], 5], [['SEATTLE', 'WA'], 4],
  [['ATLANTA', 'GA'], 4], [['DALLAS', 'TX'], 4], [['PHOENIX', 'AZ'], 3], [['DENVER', 'CO'], 3],
  [['MIAMI', 'FL'], 3], [['PORTLAND', 'OR'], 3], [['SALT LAKE CITY', 'UT'], 2], [['COLUMBUS', 'OH'], 2],
  [['RICHMOND', 'VA'], 2], [['DES MOINES', 'IA'], 1], [['MANCHESTER', 'NH'], 1], [['LAS VEGAS', 'NV'], 1],
]);
const OCCUPATIONS = weighted<string>([
  ['RETIRED', 25], ['ATTORNEY', 8], ['NOT EMPLOYED', 6], ['PHYSICIAN', 5], ['HOMEMAKER', 5],
  ['TEACHER', 4], ['CONSULTANT', 4], ['ENGINEER', 4], ['PROFESSOR', 3], ['SALES', 3], ['CEO', 2],
  ['STUDENT', 2], ['NURSE', 2], ['WRITER', 2], ['INFORMATION REQUESTED', 5],
]);
/** Most gifts are round sums; the rest are log-normal, capped at the $2,500 legal limit. */
const ROUND_AMOUNTS = weighted<number>([[5, 8], [10, 10], [15, 4], [25, 14], [35, 3], [50, 12], [100, 12], [250, 6], [500, 4], [1000, 2], [2500, 2]]);

/** Every day of 2012 (a leap year) as `YYYY-MM-DD`. */
const DAYS = Array.from({ length: 366 }, (_, i) => new Date(Date.UTC(2012, 0, 1 + i)).toISOString().slice(0, 10));
const ELECTION_DAY = DAYS.indexOf('2012-11-06');
/** FEC reporting deadlines: campaigns push for money just before each one. */
const DEADLINES = new Set(['2012-03-31', '2012-06-30', '2012-09-30', '2012-10-17']);

/** Day weights: a rise towards election day, spikes at deadlines, a slump after the vote. */
const DAY = weighted(DAYS.map((d, i) => {
  let w = i <= ELECTION_DAY ? 2 + 10 * (i / ELECTION_DAY) ** 2 : 1;
  if (DEADLINES.has(d)) w *= 3;
  else if (i >= ELECTION_DAY - 2 && i <= ELECTION_DAY) w *= 2; // the get-out-the-vote weekend
  return [i, w] as const;
}));
/** Per day, a candidate sampler over those still taking money. */
const CANDIDATE_ON = DAYS.map((d) => weighted(CANDIDATES.filter(([, , last]) => d <= last).map(([n, w]) => [n, w] as const)));

/**
 * The donations as JSON Lines, in chunks of 1,000 lines: streamed to the target, never one
 * huge string, nor 100,000 tiny writes. Checks for cancellation between chunks.
 */
function* donationChunks(seed: number, count: number, signal: AbortSignal): Generator<string> {
  const rand = mulberry32(seed);
  let chunk = '';
  for (let i = 1; i <= count; i++) {
    const day = DAY(rand());
    // Log-normal (Box-Muller) for the odd sums; the cents are kept.
    const raw = rand() < 0.7 ? ROUND_AMOUNTS(rand()) : Math.exp(3.4 + 1.3 * Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand()));
    const amount = Math.min(2500, Math.max(1, Math.round(raw * 100) / 100));
    const [city, state] = PLACES(rand());
    const candidate = (CANDIDATE_ON[day] as (r: number) => string)(rand());
    chunk += `${JSON.stringify({ candidate, amount, date: DAYS[day], city, state, occupation: OCCUPATIONS(rand()) })}\n`;
    if (i % 1000 === 0 || i === count) {
      checkAbort(signal);
      yield chunk;
      chunk = '';
    }
  }
}

/** Stop a long loop once the task is cancelled or times out. */
function checkAbort(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason;
}

/** Parsed donations of a JSON Lines target, read as a stream, one line at a time. */
async function* readDonations(input: Target, signal: AbortSignal): AsyncGenerator<{ candidate: string; amount: number; date: string }> {
  const stream = input.createReadStream();
  let n = 0;
  try {
    for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
      if (++n % 10_000 === 0) checkAbort(signal);
      if (line !== '') yield JSON.parse(line);
    }
  } finally {
    stream.destroy(); // also when the caller stops early or we are aborted
  }
}

/** Generates `count` synthetic donations into `donations.jsonl`. */
export class DonationsTask extends task(dataset) {
  output() {
    return this.target('donations.jsonl');
  }

  async run(ctx: RunContext<DonationsTask>) {
    const { seed, count } = this.params;
    ctx.log.info(`generating ${count} donations (seed ${seed})`);
    await ctx.output.writeFrom(donationChunks(seed, count, ctx.signal));
  }
}

/** One day's money: the total in dollars (to the cent) and the number of donations. */
export type DayTotal = { date: string; total: number; count: number };

/** Sums the donations per day into `totals.json`: `[{date, total, count}]` sorted by date. */
export class DailyTotalsTask extends task(dataset) {
  requires() {
    return new DonationsTask(this.params);
  }

  output() {
    return this.target('totals.json');
  }

  async run(ctx: RunContext<DailyTotalsTask>) {
    // Sum in whole cents: exact, where adding floats would drift.
    const byDay = new Map<string, { cents: number; count: number }>();
    for await (const d of readDonations(ctx.input, ctx.signal)) {
      const day = byDay.get(d.date) ?? { cents: 0, count: 0 };
      day.cents += Math.round(d.amount * 100);
      day.count += 1;
      byDay.set(d.date, day);
    }
    const totals: DayTotal[] = [...byDay]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([date, { cents, count }]) => ({ date, total: cents / 100, count }));
    ctx.log.info(`${totals.length} days with donations`);
    await ctx.output.write(`${JSON.stringify(totals, null, 2)}\n`);
  }
}

/** The day with the highest total (the earliest on a tie), into `top_day.json`. */
export class TopDayTask extends task(dataset) {
  requires() {
    return new DailyTotalsTask(this.params);
  }

  output() {
    return this.target('top_day.json');
  }

  async run(ctx: RunContext<TopDayTask>) {
    const totals = JSON.parse(await ctx.input.readText()) as DayTotal[];
    const top = totals.reduce<DayTotal | undefined>((best, d) => (!best || d.total > best.total ? d : best), undefined);
    if (!top) throw new Error('no donations to rank');
    ctx.log.info(`top day ${top.date}: $${top.total} from ${top.count} donations`);
    await ctx.output.write(`${JSON.stringify(top, null, 2)}\n`);
  }
}

/** A data set and one day of it. */
const dayOfDataset = {
  ...dataset,
  day: p.date({ min: '2012-01-01', max: '2012-12-31', description: 'the day to count (required)' }),
};

/**
 * Donations per candidate on one `day`, into `counts.json`: `{date, total, counts}`.
 * Its schedule replays 2012 (the data set's year): each night at 02:00 New York time it counts
 * the same calendar day of 2012 as the day before, due by 06:00 there.
 *   npx nectar backfill elections/CandidateCountsTask --from 2012-01-01 --to 2012-12-31
 */
export class CandidateCountsTask extends task(dayOfDataset, {
  schedules: [
    { name: 'nightly', cron: '0 2 * * *', timezone: 'America/New_York', params: (tick) => ({ day: `2012-${tick.date(-1).slice(5)}` }), catchup: 'all', maxCatchup: 7, deadline: '06:00' },
  ],
}) {
  requires() {
    return new DonationsTask({ seed: this.params.seed, count: this.params.count });
  }

  output() {
    return this.target('counts.json');
  }

  async run(ctx: RunContext<CandidateCountsTask>) {
    const { day } = this.params;
    const byCandidate = new Map<string, number>();
    for await (const d of readDonations(ctx.input, ctx.signal)) {
      if (d.date === day) byCandidate.set(d.candidate, (byCandidate.get(d.candidate) ?? 0) + 1);
    }
    const counts = Object.fromEntries([...byCandidate.keys()].sort().map((c) => [c, byCandidate.get(c)]));
    const total = [...byCandidate.values()].reduce((a, b) => a + b, 0);
    ctx.log.info(`${total} donations on ${day}`);
    await ctx.output.write(`${JSON.stringify({ date: day, total, counts }, null, 2)}\n`);
  }
}

/**
 * CandidateCountsTask's answer computed by a Python script (`candidate_counts.py`, standard
 * library only): a program task. It gets the donations file and its parameters, writes
 * counts.json, and nectar moves it into place when the script exits 0.
 *   npx nectar run elections/CandidateCountsPyTask --param day=2012-10-15
 */
export class CandidateCountsPyTask extends program(dayOfDataset) {
  requires() {
    return new DonationsTask({ seed: this.params.seed, count: this.params.count });
  }

  output() {
    return this.target('counts.json');
  }

  command() {
    return ['python3', join(__dirname, 'candidate_counts.py')];
  }
}
