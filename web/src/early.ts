/**
 * Requests index.html's inline script sent before the bundle ran (for a link to a Partitions
 * grid: its answer and the catalogue), so that the first view does not wait for the bundle to
 * load and run before asking. Each is taken once, by the first view only: `dropEarly` after it.
 */
export interface EarlyRequest {
  /** When it was sent (performance.now()). */
  at: number;
  res: Promise<Response>;
}

declare global {
  interface Window {
    /** What index.html asked; null once the first view is up (then index.html asks nothing more). */
    nectarEarly?: Record<string, EarlyRequest | undefined> | null;
  }
}

/** The request for exactly this path sent early, if any (then no more). */
export function takeEarly(path: string): EarlyRequest | undefined {
  const all = window.nectarEarly;
  const e = all?.[path];
  if (all) delete all[path];
  return e;
}

/** The first view has taken what it wanted: the rest would be stale for later views. */
export function dropEarly(): void {
  window.nectarEarly = null;
}
