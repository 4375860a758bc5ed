import { randomUUID } from 'node:crypto';
import { NectarError } from '../core/errors';
import type { RunState } from '../core/states';
import type { DiscoveredTask } from '../discovery/registry';
import type { BackfillPart, BackfillRow, PartState } from '../store/types';
import { type BackfillRequest, backfillRow } from './backfill-request';
import type { RunManager } from './runs';
import type { Runtime } from './runtime';

/** Partitions by state. */
export type BackfillProgress = Record<'pending' | 'running' | 'done' | 'failed' | 'cancelled', number>;

/** A backfill with its partitions and their counts. */
export interface BackfillDetail {
  readonly row: BackfillRow;
  readonly parts: readonly BackfillPart[];
  readonly progress: BackfillProgress;
}

interface Driver {
  cancelled: boolean;
  readonly running: Map<string, string>;
  readonly done: Promise<void>;
}

export function progressOf(parts: readonly BackfillPart[]): BackfillProgress {
  const p: BackfillProgress = { pending: 0, running: 0, done: 0, failed: 0, cancelled: 0 };
  for (const part of parts) p[part.state.toLowerCase() as keyof BackfillProgress] += 1;
  return p;
}

/** A partition's state from the state its run ended in. */
const partState = (s: RunState | undefined): PartState => (s === 'SUCCEEDED' || s === 'SKIPPED' ? 'DONE' : s === 'CANCELLED' ? 'CANCELLED' : 'FAILED');

/**
 * Backfills: one root task per partition value, each a run of the run manager (so each shows
 * in the run list, with its trigger), at most `concurrency` in flight so that a backfill
 * never takes every slot. Complete partitions are recorded SKIPPED by the run manager (the
 * idempotent skip). The backfill and each partition's state are kept in the run store: a
 * cancelled or failed backfill resumes with only its failed, cancelled and missing partitions,
 * and one a server was driving when it stopped is carried on when it starts again.
 */
export class Backfills {
  readonly #drivers = new Map<string, Driver>();
  #closed = false;

  constructor(
    private readonly rt: Runtime,
    private readonly runs: RunManager,
  ) {}

  get #store() {
    return this.runs.store;
  }

  /** Check, record and start a backfill; bad requests throw before anything is recorded. */
  async start(r: BackfillRequest): Promise<BackfillRow> {
    const { row, found } = backfillRow(this.rt, r, Date.now());
    await this.#store.putBackfill(row);
    await this.#store.putBackfillParts(row.values.map((value) => ({ backfillId: row.id, value, state: 'PENDING' })));
    this.#drive(row, found, await this.#store.getBackfillParts(row.id));
    return row;
  }

  async get(id: string): Promise<BackfillDetail> {
    const row = await this.#store.getBackfill(id);
    if (!row) throw new NectarError('BACKFILL_NOT_FOUND', `no backfill ${id}`);
    const parts = this.#withRunning(id, await this.#store.getBackfillParts(id));
    return { row, parts, progress: progressOf(parts) };
  }

  /** The partitions in flight here, as RUNNING with their run. */
  #withRunning(id: string, parts: BackfillPart[]): BackfillPart[] {
    const running = this.#drivers.get(id)?.running;
    if (!running || running.size === 0) return parts;
    return parts.map((p) => {
      const runId = running.get(p.value);
      return runId === undefined ? p : { ...p, state: 'RUNNING', runId };
    });
  }

  /** Newest first, each with its progress. */
  async list(q: { limit?: number; offset?: number }): Promise<{ backfills: BackfillDetail[]; total: number }> {
    const page = await this.#store.listBackfills(q);
    const backfills = await Promise.all(
      page.backfills.map(async (row) => {
        const parts = this.#withRunning(row.id, await this.#store.getBackfillParts(row.id));
        return { row, parts, progress: progressOf(parts) };
      }),
    );
    return { backfills, total: page.total };
  }

  isActive(id: string): boolean {
    return this.#drivers.has(id);
  }

  /** Stop a backfill: no partition starts any more, the runs in flight are cancelled, the pending ones recorded CANCELLED. */
  async cancel(id: string): Promise<BackfillDetail> {
    const d = this.#drivers.get(id);
    if (!d) throw new NectarError('RUN_NOT_ACTIVE', `backfill ${id} is not running: nothing to cancel`);
    d.cancelled = true;
    for (const runId of d.running.values()) this.runs.cancel(runId);
    await d.done;
    return this.get(id);
  }

  /** Run a finished backfill's failed, cancelled and missing partitions again (complete ones are skipped). */
  async resume(id: string): Promise<BackfillDetail> {
    if (this.#drivers.has(id)) throw new NectarError('RUN_ACTIVE', `backfill ${id} is still running`);
    const { row, parts } = await this.get(id);
    if (row.state === 'SUCCEEDED') throw new NectarError('RUN_SUCCEEDED', `backfill ${id} succeeded: there is nothing to resume`);
    await this.#carryOn(row, parts);
    return this.get(id);
  }

  /** At start-up: carry on the backfills left RUNNING by a server that stopped (with a shared store, only those whose server is not live). */
  async recover(): Promise<string[]> {
    const live = (await this.#store.liveOwners?.()) ?? new Set<string>();
    const carried: string[] = [];
    for (let offset = 0; ; offset += 500) {
      const page = await this.#store.listBackfills({ limit: 500, offset });
      for (const row of page.backfills) {
        if (row.state !== 'RUNNING' || this.#drivers.has(row.id) || (row.owner !== undefined && row.owner !== this.rt.serverId && live.has(row.owner))) continue;
        try {
          // A shared store: of several servers starting at once, the one whose claim lands carries it on.
          const mine = this.#store.claimBackfill ? await this.#store.claimBackfill(row.id, this.rt.serverId) : row;
          if (!mine) continue;
          await this.#carryOn(mine, await this.#store.getBackfillParts(row.id));
          carried.push(row.id);
        } catch (err) {
          this.rt.logger.error({ err, backfill: row.id }, 'cannot carry on a backfill');
        }
      }
      if (page.backfills.length < 500) break;
    }
    if (carried.length > 0) this.rt.logger.warn({ backfills: carried }, `${carried.length} backfill(s) were running when the server stopped: carrying them on`);
    return carried;
  }

  /** Every partition not DONE goes back to PENDING, and the backfill runs again. */
  async #carryOn(row: BackfillRow, parts: readonly BackfillPart[]): Promise<void> {
    const found = this.rt.resolve(row.ref);
    const again = parts.filter((p) => p.state !== 'DONE').map((p) => ({ ...p, state: 'PENDING' as const }));
    await this.#store.putBackfillParts(again);
    const resumed: BackfillRow = { ...row, state: 'RUNNING', owner: this.rt.serverId };
    delete resumed.endedAt;
    await this.#store.putBackfill(resumed);
    this.#drive(resumed, found, await this.#store.getBackfillParts(row.id));
  }

  /** Resolves when the backfill (if driven here) has ended and been recorded. */
  async settled(id: string): Promise<void> {
    await this.#drivers.get(id)?.done;
  }

  #drive(row: BackfillRow, found: DiscoveredTask, parts: readonly BackfillPart[]): void {
    const queue = parts.filter((p) => p.state === 'PENDING');
    const driver: Driver = { cancelled: false, running: new Map(), done: Promise.resolve() };
    const lane = async (): Promise<void> => {
      for (let p = queue.shift(); p !== undefined && !driver.cancelled && !this.#closed; p = queue.shift()) await this.#runPart(row, found, p, driver);
    };
    const done = Promise.all(Array.from({ length: Math.min(row.concurrency, queue.length) }, lane))
      .then(() => this.#finish(row, driver))
      .catch((err: unknown) => this.rt.logger.error({ err, backfill: row.id }, 'a backfill failed to record its progress'))
      .finally(() => this.#drivers.delete(row.id));
    this.#drivers.set(row.id, Object.assign(driver, { done }));
  }

  async #runPart(row: BackfillRow, found: DiscoveredTask, p: BackfillPart, d: Driver): Promise<void> {
    const runId = randomUUID();
    // RUNNING is not written: `get` shows it from the driver (after a stop, a part left
    // RUNNING or PENDING runs again all the same). One write per partition, when it ends.
    d.running.set(p.value, runId);
    let state: RunState | undefined;
    try {
      const run = await this.runs.fire(found, () => ({ ...row.params, [row.over]: p.value }), { kind: 'backfill', backfill: row.id, partition: p.value }, runId);
      const waitFor = run.joined ?? (this.runs.isActive(runId) ? runId : undefined);
      if (waitFor !== undefined) {
        const live = this.runs.activeRun(waitFor); // the row the run manager finishes in place
        await this.runs.settled(waitFor);
        state = live?.state ?? (await this.#store.getRun(waitFor))?.state;
      } else state = run.state;
    } catch (err) {
      this.rt.logger.error({ err, backfill: row.id, partition: p.value }, 'a backfill partition could not be started');
    } finally {
      d.running.delete(p.value);
    }
    // Not waited for: the lane takes its next partition while this commits (`#finish` reads
    // the parts, which waits for every write issued before it).
    this.#store.putBackfillParts([{ ...p, state: partState(state), runId }]).catch((err: unknown) => this.rt.logger.error({ err, backfill: row.id, partition: p.value }, 'a backfill partition could not be recorded'));
  }

  async #finish(row: BackfillRow, d: Driver): Promise<void> {
    if (this.#closed && !d.cancelled) return; // stopping: left RUNNING, carried on at the next start
    const parts = await this.#store.getBackfillParts(row.id);
    const pending = parts.filter((p) => p.state === 'PENDING' || p.state === 'RUNNING').map((p) => ({ ...p, state: 'CANCELLED' as const }));
    await this.#store.putBackfillParts(pending);
    const failed = parts.some((p) => p.state === 'FAILED');
    const state = d.cancelled ? 'CANCELLED' : failed ? 'FAILED' : 'SUCCEEDED';
    await this.#store.putBackfill({ ...row, state, endedAt: Date.now() });
  }

  /**
   * Stop driving: no partition starts any more and the runs in flight are cancelled; the
   * backfills stay RUNNING in the store, for the next start to carry on.
   */
  async close(): Promise<void> {
    this.#closed = true;
    for (const d of this.#drivers.values()) for (const runId of d.running.values()) this.runs.cancel(runId);
    await Promise.all([...this.#drivers.values()].map((d) => d.done));
  }
}
