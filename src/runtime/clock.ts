import type { Clock } from '../core/clock';

/** The wall clock and Node's timers (unref'd: a pending wake-up does not hold a stopping process). */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(fn, ms) {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};
