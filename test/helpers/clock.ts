import type { Clock, ClockTimer } from '../../src/core/clock';

/**
 * A clock moved by hand: `now` is what the test set, and timers are only recorded (the test
 * reads `nextWake` and moves time there itself). Nothing sleeps.
 */
export class FakeClock implements Clock {
  #t: number;
  readonly #timers = new Set<{ at: number; fn: () => void }>();

  constructor(start: string | number) {
    this.#t = typeof start === 'number' ? start : Date.parse(start);
  }

  now(): number {
    return this.#t;
  }

  setTimer(fn: () => void, ms: number): ClockTimer {
    const t = { at: this.#t + ms, fn };
    this.#timers.add(t);
    return { cancel: () => void this.#timers.delete(t) };
  }

  /** Move to an instant (ISO or epoch ms); timers do not fire by themselves. */
  set(at: string | number): void {
    this.#t = typeof at === 'number' ? at : Date.parse(at);
  }

  /** The earliest pending timer, epoch ms; undefined with none. */
  get nextWake(): number | undefined {
    let min: number | undefined;
    for (const t of this.#timers) if (min === undefined || t.at < min) min = t.at;
    return min;
  }

  /** How many timers are pending. */
  get pending(): number {
    return this.#timers.size;
  }
}
