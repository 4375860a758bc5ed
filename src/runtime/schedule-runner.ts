import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock, ClockTimer } from '../core/clock';
import { NectarError } from '../core/errors';
import type { CompiledSchedule } from '../discovery/schedules';
import type { RunStore, ScheduleState, ScheduleTrigger } from '../store/types';
import { dueTicks } from './due-ticks';

/** Start (or record) the run of a tick under `runId`: the tick is already claimed. */
export type FireTick = (s: CompiledSchedule, trigger: ScheduleTrigger, runId: string) => Promise<void>;
/** A tick's deadline has passed (its check is already claimed): see whether its partition is DONE, and tell if not. */
export type CheckDeadline = (s: CompiledSchedule, tick: Date, deadline: Date) => Promise<void>;

export interface ScheduleRunnerDeps {
  readonly schedules: readonly CompiledSchedule[];
  readonly store: Pick<RunStore, 'listSchedules' | 'initSchedule' | 'claimTick' | 'setPaused' | 'claimDeadline'>;
  readonly fire: FireTick;
  /** Called once per tick fired whose schedule has a deadline, when the deadline passes. */
  readonly checkDeadline?: CheckDeadline;
  readonly clock: Clock;
  readonly logger: Logger;
  /**
   * The longest sleep between two looks at the stored states, even with no tick due: a pause
   * or resume made by another server (or the CLI) is seen within this. Default 30 s.
   */
  readonly refreshMs?: number;
}

/** A schedule with its stored state, as `GET /api/schedules` shows it. */
export interface ScheduleView {
  readonly schedule: CompiledSchedule;
  readonly key: string;
  readonly state: ScheduleState;
  /** The next tick it will fire; undefined while paused or when it never fires again. */
  readonly next: Date | undefined;
}

/** The key of a schedule's stored state: `<task ref>/<schedule name>`. */
export const scheduleKey = (s: Pick<CompiledSchedule, 'ref' | 'name'>): string => `${s.ref}/${s.name}`;

/**
 * Fires the schedules of the chains: `nectar serve` runs one. It sleeps until the next tick
 * of any schedule (on the injected clock), then, for each schedule due, claims each tick in
 * the run store before firing it, so that of several servers sharing a store exactly one
 * fires each tick; ticks missed while no server ran go by the schedule's catch-up policy.
 * Looks are one at a time; a schedule whose cursor has not moved and whose next tick is in
 * the future costs a comparison, so a thousand schedules cost little between their ticks.
 */
export class ScheduleRunner {
  readonly #byKey = new Map<string, CompiledSchedule>();
  /** A schedule's next tick after its cursor (and after its deadline cursor), computed once per cursor. */
  readonly #nextAfter = new Map<string, { cursor: number; next: Date | undefined }>();
  readonly #refreshMs: number;
  #timer: ClockTimer | undefined;
  #looking: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(private readonly d: ScheduleRunnerDeps) {
    for (const s of d.schedules) this.#byKey.set(scheduleKey(s), s);
    this.#refreshMs = d.refreshMs ?? 30_000;
  }

  /** The first look: schedules seen for the first time get their state (they fire from now on, not their past). */
  start(): Promise<void> {
    return this.poll();
  }

  /** Fire what is due now, then sleep until the next tick (or the refresh). One look at a time. */
  poll(): Promise<void> {
    const look = this.#looking.then(() => this.#look());
    this.#looking = look.catch(() => undefined);
    return look;
  }

  async #look(): Promise<void> {
    if (this.#stopped) return;
    this.#timer?.cancel();
    const now = this.d.clock.now();
    let wake = now + this.#refreshMs;
    try {
      const states = new Map((await this.d.store.listSchedules()).map((s) => [s.key, s]));
      for (const [key, s] of this.#byKey) {
        if (this.#stopped) return;
        const state = states.get(key) ?? (await this.d.store.initSchedule(key, now));
        const deadline = await this.#deadlines(key, s, state, now);
        if (deadline !== undefined) wake = Math.min(wake, deadline);
        if (state.paused) continue;
        const next = this.#nextAfterCursor(key, s, state.cursor);
        if (next === undefined) continue;
        if (next.getTime() > now) {
          wake = Math.min(wake, next.getTime());
          continue;
        }
        const { next: after, lastFired } = await this.#fireDue(key, s, state, now);
        if (after !== undefined) wake = Math.min(wake, after.getTime());
        const due = lastFired === undefined ? undefined : s.deadlineAt(lastFired);
        if (due !== undefined) wake = Math.min(wake, due.getTime());
      }
    } catch (err) {
      this.d.logger.error({ err }, 'schedules: looking at the schedule states failed; trying again later');
    } finally {
      if (!this.#stopped) this.#timer = this.d.clock.setTimer(() => void this.poll(), Math.max(0, wake - this.d.clock.now()));
    }
  }

  /** `s.next(cursor)`, cached per cache key while the cursor stays: a look at a schedule not due costs a comparison. */
  #nextAfterCursor(key: string, s: CompiledSchedule, cursor: number): Date | undefined {
    const cached = this.#nextAfter.get(key);
    if (cached?.cursor === cursor) return cached.next;
    const next = s.next(new Date(cursor));
    this.#nextAfter.set(key, { cursor, next });
    return next;
  }

  /**
   * The deadlines of a schedule's fired ticks that have passed: each checked once (claimed
   * in the store), oldest first, at most 100 a look. Returns the next deadline to wake for.
   */
  async #deadlines(key: string, s: CompiledSchedule, state: ScheduleState, now: number): Promise<number | undefined> {
    if (s.deadline === undefined || this.d.checkDeadline === undefined || state.lastTick === undefined) return undefined;
    let t = this.#nextAfterCursor(`deadline ${key}`, s, state.deadlineCursor ?? state.lastTick - 1);
    for (let n = 0; t !== undefined && t.getTime() <= state.lastTick && n < 100; n++, t = s.next(t)) {
      const due = s.deadlineAt(t);
      if (due === undefined) return undefined;
      if (due.getTime() > now) return due.getTime();
      if (!(await this.d.store.claimDeadline(key, t.getTime(), now))) continue; // another server checks it
      try {
        await this.d.checkDeadline(s, t, due);
      } catch (err) {
        this.d.logger.error({ err, schedule: key, tick: t.toISOString() }, 'schedules: checking a deadline failed');
      }
    }
    return undefined;
  }

  /** Claim and fire the ticks due of one schedule; returns its next tick and the last tick it fired. */
  async #fireDue(key: string, s: CompiledSchedule, state: ScheduleState, now: number): Promise<{ next: Date | undefined; lastFired: Date | undefined }> {
    const due = dueTicks(s, new Date(state.cursor), new Date(now));
    let lastFired: Date | undefined;
    for (const tick of due.fire) {
      const runId = randomUUID();
      if (!(await this.d.store.claimTick(key, tick.getTime(), now, runId))) continue; // another server has it
      lastFired = tick;
      await this.#fire(s, { kind: 'schedule', schedule: s.name, tick: tick.getTime() }, runId);
    }
    if (due.last !== undefined) await this.d.store.claimTick(key, due.last.getTime(), now); // past the ticks let go
    if (due.dropped > 0) {
      this.d.logger.warn({ schedule: key, dropped: due.dropped, catchup: s.catchup }, `schedule ${key}: ${due.dropped} missed tick(s) not fired (catch-up '${s.catchup}')`);
    }
    return { next: due.next, lastFired };
  }

  async #fire(s: CompiledSchedule, trigger: ScheduleTrigger, runId: string): Promise<void> {
    try {
      await this.d.fire(s, trigger, runId);
    } catch (err) {
      this.d.logger.error({ err, schedule: scheduleKey(s), tick: new Date(trigger.tick).toISOString(), runId }, 'schedules: firing a tick failed');
    }
  }

  /** Every schedule with its state and next tick, in key order. */
  async list(): Promise<ScheduleView[]> {
    const states = new Map((await this.d.store.listSchedules()).map((s) => [s.key, s]));
    const now = this.d.clock.now();
    const out: ScheduleView[] = [];
    for (const key of [...this.#byKey.keys()].sort()) {
      const schedule = this.#byKey.get(key) as CompiledSchedule;
      const state = states.get(key) ?? (await this.d.store.initSchedule(key, now));
      out.push({ schedule, key, state, next: state.paused ? undefined : schedule.next(new Date(Math.max(now, state.cursor))) });
    }
    return out;
  }

  /** The schedule of a key; UNKNOWN_SCHEDULE naming the known ones otherwise. */
  find(key: string): CompiledSchedule {
    const s = this.#byKey.get(key);
    if (s) return s;
    const known = [...this.#byKey.keys()];
    throw new NectarError('UNKNOWN_SCHEDULE', `no schedule ${key}. ${known.length > 0 ? `Known: ${known.slice(0, 10).join(', ')}${known.length > 10 ? ', ...' : ''}` : 'No task declares a schedule.'}`);
  }

  /** Pause (or resume) a schedule; resuming does not fire the ticks that fell while it was paused. */
  async setPaused(key: string, paused: boolean): Promise<ScheduleState> {
    this.find(key);
    const state = await this.d.store.setPaused(key, paused, this.d.clock.now());
    void this.poll();
    return state;
  }

  /** Fire a schedule now, as if it ticked (its cursor does not move); returns the run's id. */
  async trigger(key: string): Promise<string> {
    const s = this.find(key);
    const runId = randomUUID();
    await this.d.fire(s, { kind: 'schedule', schedule: s.name, tick: this.d.clock.now(), manual: true }, runId);
    return runId;
  }

  /** Stop firing: no new look starts, the one under way finishes. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#timer?.cancel();
    await this.#looking;
  }
}
