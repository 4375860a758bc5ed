/// <reference lib="webworker" />
import { layout, type LayoutInput } from './layout';

/** Lays graphs out off the main thread, so a big graph never freezes the page. */
self.onmessage = (e: MessageEvent<{ id: number; input: LayoutInput }>) => {
  const { id, input } = e.data;
  try {
    self.postMessage({ id, result: layout(input) });
  } catch (err) {
    self.postMessage({ id, error: (err as Error).message });
  }
};
