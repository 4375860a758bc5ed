import type { LayoutInput, LayoutResult } from './layout';

let worker: Worker | null = null;
let seq = 0;
const waiting = new Map<number, { resolve: (r: LayoutResult) => void; reject: (e: Error) => void }>();

/** Lay a graph out in the layout worker. */
export function layoutAsync(input: LayoutInput): Promise<LayoutResult> {
  if (!worker) {
    worker = new Worker(new URL('./layout-worker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (e: MessageEvent<{ id: number; result?: LayoutResult; error?: string }>) => {
      const w = waiting.get(e.data.id);
      if (!w) return;
      waiting.delete(e.data.id);
      if (e.data.result) w.resolve(e.data.result);
      else w.reject(new Error(e.data.error ?? 'layout failed'));
    };
  }
  const id = ++seq;
  return new Promise((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    (worker as Worker).postMessage({ id, input });
  });
}
