import type { AttemptAbort } from '../core/executor';
import { ResourcePool } from './resources';

/**
 * A run's worker slots (`--workers`) and resource units: how many attempts hold a slot, the
 * attempts waiting to resume after `ctx.require()`, and those paused in it that gave their
 * slot back (they keep their resource units). An attempt takes its slot and its units
 * together and gives them back together; one that ends while paused (a timeout, a cancel)
 * has its slot freed once, not twice.
 */
export class Slots {
  #held = 0;
  readonly #resume: (() => void)[] = [];
  /** Paused attempts, with how many `ctx.require()` calls each waits in. */
  readonly #parked = new Map<AttemptAbort, number>();
  readonly #resources: ResourcePool;

  constructor(
    private readonly limit: number,
    resources: Readonly<Record<string, number>>,
  ) {
    this.#resources = new ResourcePool(resources);
  }

  /** True while a slot is free. */
  get free(): boolean {
    return this.#held < this.limit;
  }

  /** Whether an attempt wanting these resource units could start now (a slot aside). */
  fits(resources: Readonly<Record<string, number>>): boolean {
    return this.#resources.fits(resources);
  }

  /** A new attempt takes a slot and its resource units. */
  take(resources: Readonly<Record<string, number>>): void {
    this.#held++;
    this.#resources.acquire(resources);
  }

  /** The free slot goes to the oldest attempt waiting to resume, if any (resumed ones come before new ones). */
  resumeNext(): boolean {
    const resume = this.#resume.shift();
    if (!resume) return false;
    this.#held++;
    resume();
    return true;
  }

  /** The attempt ended: its resource units are free, and its slot unless it gave it back while paused. */
  release(ctl: AttemptAbort, resources: Readonly<Record<string, number>>): void {
    this.#resources.release(resources);
    if (!this.#parked.delete(ctl)) this.#held--;
  }

  /** The attempt pauses in `ctx.require()`: its slot is free while it waits. `holds`: it is still the task's running attempt. */
  park(ctl: AttemptAbort, holds: boolean): void {
    const calls = this.#parked.get(ctl) ?? 0;
    if (calls === 0 && !holds) return;
    if (calls === 0) this.#held--;
    this.#parked.set(ctl, calls + 1);
  }

  /**
   * One wait of the attempt is over: resolves true once it holds a slot again (`pump` hands
   * slots out), false at once if the attempt ended meanwhile (nothing to resume). If it ends
   * while waiting for a slot, the slot it is then given goes straight back.
   */
  async unpark(ctl: AttemptAbort, pump: () => void): Promise<boolean> {
    const calls = this.#parked.get(ctl);
    if (calls === undefined) return false;
    if (calls > 1) {
      this.#parked.set(ctl, calls - 1);
      return true;
    }
    await new Promise<void>((res) => {
      this.#resume.push(() => {
        if (this.#parked.delete(ctl)) res();
        else this.#held--;
      });
      pump();
    });
    return true;
  }
}
