/**
 * Time as the parts that depend on it see it (schedules, deadlines, retention): injected, so
 * that tests move it by hand instead of sleeping. `systemClock` in src/runtime is the real one.
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Call `fn` once, `ms` from now; the timer never keeps the process alive on its own. */
  setTimer(fn: () => void, ms: number): ClockTimer;
}

export interface ClockTimer {
  cancel(): void;
}
