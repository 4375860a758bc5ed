/**
 * One pass of the bench over one target root (tmpfs for the headline, disk for information):
 * every shape, each run in a fresh child process, nectar's runs interleaved with the raw
 * floors' so that a noisy machine slows both alike. Folders are removed after each job.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Figure, against, failed, median, rateFigure, secondsFigure, withChecks } from './figures';
import type { Job, JobResult } from './jobs';
import { runJob } from './spawn-job';
import { RootTask } from './tasks';

export interface Sizes {
  /** Leaves of the small fan-in (1,000). */
  readonly small: number;
  /** Leaves of the large fan-in (10,000). */
  readonly big: number;
  /** Depth of the chain (1,000). */
  readonly chain: number;
  /** Complete leaves under the resume/noop root (100,000). */
  readonly resume: number;
}

export interface PassOptions {
  readonly where: 'tmpfs' | 'disk';
  /** A fresh folder for this pass's targets. */
  readonly base: string;
  /** An empty folder: NECTAR_CHAINS, so discovery finds nothing. */
  readonly chains: string;
  readonly reps: number;
  readonly workers: number;
  /** fs.promises floor: tasks in flight. */
  readonly inflight: number;
  readonly sizes: Sizes;
  readonly timeoutMs: number;
  /** Judge figures against BENCH.md's targets (the headline pass). */
  readonly judge: boolean;
  readonly onFigure: (f: Figure) => void;
}

/** `1000` -> `1k`, `100000` -> `100k`, `300` -> `300`. */
export function label(n: number): string {
  return n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n);
}

function rm(path: string): void {
  rmSync(path, { recursive: true, force: true });
}

/** Runs of one series of jobs; the first failure ends the series and is kept. */
class Series {
  readonly seconds: number[] = [];
  peakMB = 0;
  error: unknown;

  async run(job: Job, timeoutMs: number, cleanup: boolean): Promise<JobResult | undefined> {
    if (this.error !== undefined) return undefined;
    try {
      const r = await runJob(job, timeoutMs);
      this.seconds.push(r.seconds);
      this.peakMB = Math.max(this.peakMB, r.peakMB);
      return r;
    } catch (err) {
      this.error = err;
      return undefined;
    } finally {
      if (cleanup) rm(job.root);
    }
  }

  rate(name: string, tasks: number): Figure {
    return this.error !== undefined ? failed(name, 'tasks/s', this.error) : rateFigure(name, tasks, this.seconds, this.peakMB);
  }

  time(name: string): Figure {
    return this.error !== undefined ? failed(name, 's', this.error) : secondsFigure(name, this.seconds, this.peakMB);
  }
}

interface Throughput {
  readonly figure: Figure;
  readonly seconds: number;
}

/** Fan-in or chain beside its two write floors (same number of tasks, same files). */
async function throughput(o: PassOptions, kind: 'fanin' | 'chain', n: number, judge: (f: Figure) => Figure): Promise<Throughput> {
  const name = `${kind}-${label(n)}`;
  const tasks = kind === 'fanin' ? n + 1 : n;
  const folder = kind === 'fanin' ? 'LeafTask' : 'LinkTask';
  const sync = new Series();
  const promises = new Series();
  const own = new Series();
  for (let rep = 0; rep < o.reps; rep++) {
    const dir = (what: string): string => join(o.base, `${name}-${what}-r${rep}`);
    await sync.run({ kind: 'floor-sync', root: dir('floor-sync'), n: tasks, folder }, o.timeoutMs, true);
    await promises.run({ kind: 'floor-async', root: dir('floor-async'), n: tasks, folder, inflight: o.inflight }, o.timeoutMs, true);
    await own.run({ kind, root: dir('nectar'), chains: o.chains, n, workers: o.workers }, o.timeoutMs, true);
  }
  const floors = [sync.rate(`raw-floor-sync/${name}`, tasks), promises.rate(`raw-floor-promises${o.inflight}/${name}`, tasks)];
  for (const f of floors) o.onFigure(f);
  const figure = judge(against(own.rate(name, tasks), floors));
  o.onFigure(figure);
  return { figure, seconds: median(own.seconds) };
}

/** resume-N, noop-N and stale-N (a full staleness check) over one set of N complete leaves, beside the existence-check floor. */
async function resume(o: PassOptions): Promise<void> {
  const n = o.sizes.resume;
  const root = join(o.base, `resume-${label(n)}`);
  const floor = new Series();
  const res = new Series();
  const noop = new Series();
  const stale = new Series();
  const rootDirs = [join(root, 'chains', new RootTask({ n }).id), join(root, 'chains', 'bench', 'noop_chain', 'FloorRoot')];
  try {
    const setup = new Series();
    await setup.run({ kind: 'setup-leaves', root, n }, o.timeoutMs, false);
    if (setup.error !== undefined) {
      floor.error = res.error = noop.error = stale.error = new Error(`set-up of ${n} complete leaves failed: ${String(setup.error)}`);
    }
    for (let rep = 0; rep < o.reps; rep++) {
      for (const d of rootDirs) rm(d);
      await floor.run({ kind: 'floor-exists', root, n }, o.timeoutMs, false);
      const r = await res.run({ kind: 'resume', root, chains: o.chains, n, workers: o.workers, expect: 'resume' }, o.timeoutMs, false);
      if (r === undefined && noop.error === undefined) noop.error = new Error('skipped: resume failed first');
      await noop.run({ kind: 'resume', root, chains: o.chains, n, workers: o.workers, expect: 'noop' }, o.timeoutMs, false);
      await stale.run({ kind: 'stale', root, chains: o.chains, n }, o.timeoutMs, false);
    }
  } finally {
    rm(root);
  }
  const floorFig = floor.time(`raw-floor-exists/resume-${label(n)}`);
  o.onFigure(floorFig);
  let resFig = against(res.time(`resume-${label(n)}`), [floorFig]);
  let noopFig = noop.time(`noop-${label(n)}`);
  let staleFig = stale.time(`stale-${label(n)}`);
  if (o.judge) {
    resFig = withChecks(resFig, [
      { what: '< 3 s', met: resFig.value < 3 },
      { what: '< 400 MB', met: (resFig.peakMB ?? Infinity) < 400 },
    ]);
    noopFig = withChecks(noopFig, [{ what: '< 0.5 s', met: noopFig.value < 0.5 }]);
    staleFig = withChecks(staleFig, [
      { what: '< 3 s', met: staleFig.value < 3 },
      { what: '< 400 MB', met: (staleFig.peakMB ?? Infinity) < 400 },
    ]);
  }
  o.onFigure(resFig);
  o.onFigure(noopFig);
  o.onFigure(staleFig);
}

/** Every shape, in BENCH.md's order. */
export async function runPass(o: PassOptions): Promise<void> {
  const { small, big, chain } = o.sizes;
  const none = (f: Figure): Figure => f;
  const judge = (checks: (f: Figure) => { what: string; met: boolean }[]) => (f: Figure) => (o.judge ? withChecks(f, checks(f)) : f);
  const s = await throughput(o, 'fanin', small, none);
  const b = await throughput(
    o,
    'fanin',
    big,
    judge((f) => [
      { what: '>= 0.75 of raw floor', met: (f.ratio ?? 0) >= 0.75 },
      { what: '>= 5000 tasks/s', met: f.value >= 5000 },
    ]),
  );
  const ratioName = `fanin ${label(big)}/${label(small)} time ratio`;
  let ratio: Figure =
    s.figure.error ?? b.figure.error
      ? failed(ratioName, 'x', s.figure.error ?? b.figure.error)
      : { name: ratioName, value: b.seconds / s.seconds, unit: 'x', runs: [] };
  if (o.judge) ratio = withChecks(ratio, [{ what: `<= ${(1.1 * big) / small}`, met: ratio.value <= (1.1 * big) / small }]);
  o.onFigure(ratio);
  await throughput(o, 'chain', chain, judge((f) => [{ what: '>= 0.5 of raw floor', met: (f.ratio ?? 0) >= 0.5 }]));
  await resume(o);
}
