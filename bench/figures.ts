/**
 * Figures: what one bench line says, built from the runs of its jobs. A figure holds its
 * value (the median over runs), the floor it is held against, and the targets it is judged by.
 */

export type Unit = 'tasks/s' | 's' | 'x';

export interface Check {
  /** As printed: `>= 0.75 of raw floor`, `< 3 s`. */
  readonly what: string;
  readonly met: boolean;
}

export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: Unit;
  /** The value of each run, in order (the figure is their median). */
  readonly runs: readonly number[];
  /** The floor this figure is held against: the faster of the raw floors for the same files. */
  readonly floor?: { readonly name: string; readonly value: number; readonly unit: Unit };
  /** Rates: value / floor (1.0 = orchestration costs nothing). Times: value / floor (times slower). */
  readonly ratio?: number;
  /** Largest peak RSS of the runs' child processes. */
  readonly peakMB?: number;
  readonly checks?: readonly Check[];
  /** Set instead of a value when a run broke: such a figure is never printed as a number. */
  readonly error?: string;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** A throughput figure from the seconds of each run. */
export function rateFigure(name: string, tasks: number, seconds: readonly number[], peakMB?: number): Figure {
  return { name, value: tasks / median(seconds), unit: 'tasks/s', runs: seconds.map((s) => tasks / s), ...(peakMB === undefined ? {} : { peakMB }) };
}

/** A duration figure from the seconds of each run. */
export function secondsFigure(name: string, seconds: readonly number[], peakMB?: number): Figure {
  return { name, value: median(seconds), unit: 's', runs: [...seconds], ...(peakMB === undefined ? {} : { peakMB }) };
}

/** The figure held against the faster of `floors` (same unit: higher rate or shorter time wins). */
export function against(f: Figure, floors: readonly Figure[]): Figure {
  const usable = floors.filter((x) => x.error === undefined && Number.isFinite(x.value));
  if (usable.length === 0 || f.error !== undefined) return f;
  const best = usable.reduce((a, b) => ((f.unit === 'tasks/s' ? b.value > a.value : b.value < a.value) ? b : a));
  return { ...f, floor: { name: best.name, value: best.value, unit: best.unit }, ratio: f.value / best.value };
}

export function withChecks(f: Figure, checks: readonly Check[]): Figure {
  return f.error === undefined ? { ...f, checks } : f;
}

export function failed(name: string, unit: Unit, err: unknown): Figure {
  return { name, value: Number.NaN, unit, runs: [], error: err instanceof Error ? err.message : String(err) };
}
