import type Database from 'better-sqlite3';
import type { DeadlineMiss, ScheduleState } from './types';

/** The schedule tables of the SQLite run store: each schedule's state, and the deadlines missed. */
export const SCHEDULE_SCHEMA = `
CREATE TABLE IF NOT EXISTS schedules (
  key TEXT PRIMARY KEY, paused INTEGER NOT NULL, cursor INTEGER NOT NULL, last_tick INTEGER,
  last_run_id TEXT, updated_at INTEGER NOT NULL, deadline_cursor INTEGER
);
CREATE TABLE IF NOT EXISTS deadline_misses (task_id TEXT PRIMARY KEY, key TEXT NOT NULL, tick INTEGER NOT NULL, deadline INTEGER NOT NULL);
`;

/** Columns added to `schedules` after it first shipped (nullable: older versions leave them alone). */
export function addScheduleColumns(db: Database.Database): void {
  const have = new Set(db.prepare<[], { name: string }>('PRAGMA table_info(schedules)').all().map((c) => c.name));
  if (!have.has('deadline_cursor')) db.exec('ALTER TABLE schedules ADD COLUMN deadline_cursor INTEGER');
}

interface ScheduleRec { key: string; paused: number; cursor: number; last_tick: number | null; last_run_id: string | null; updated_at: number; deadline_cursor: number | null }

function fromRec(r: ScheduleRec): ScheduleState {
  const s: ScheduleState = { key: r.key, paused: r.paused !== 0, cursor: r.cursor, updatedAt: r.updated_at };
  if (r.last_tick !== null) s.lastTick = r.last_tick;
  if (r.last_run_id !== null) s.lastRunId = r.last_run_id;
  if (r.deadline_cursor !== null) s.deadlineCursor = r.deadline_cursor;
  return s;
}

/** Schedule state as compare-and-set updates on one row per schedule (see `RunStore.claimTick`). */
export class SqliteSchedules {
  readonly #s;

  constructor(db: Database.Database) {
    this.#s = {
      list: db.prepare<[], ScheduleRec>('SELECT * FROM schedules ORDER BY key'),
      get: db.prepare<[string], ScheduleRec>('SELECT * FROM schedules WHERE key = ?'),
      init: db.prepare<{ key: string; now: number }>('INSERT INTO schedules (key, paused, cursor, updated_at, deadline_cursor) VALUES (@key, 0, @now, @now, @now) ON CONFLICT(key) DO NOTHING'),
      claimTick: db.prepare<{ key: string; tick: number; now: number; run: string | null }>(
        `UPDATE schedules SET cursor = @tick, updated_at = @now,
           last_tick = CASE WHEN @run IS NULL THEN last_tick ELSE @tick END,
           last_run_id = CASE WHEN @run IS NULL THEN last_run_id ELSE @run END
         WHERE key = @key AND paused = 0 AND cursor < @tick`,
      ),
      setPaused: db.prepare<{ key: string; paused: number; now: number }>(
        `UPDATE schedules SET paused = @paused, updated_at = @now,
           cursor = CASE WHEN @paused = 0 AND cursor < @now THEN @now ELSE cursor END
         WHERE key = @key`,
      ),
      claimDeadline: db.prepare<{ key: string; tick: number }>('UPDATE schedules SET deadline_cursor = @tick WHERE key = @key AND (deadline_cursor IS NULL OR deadline_cursor < @tick)'),
      putMiss: db.prepare<{ task_id: string; key: string; tick: number; deadline: number }>(
        'INSERT INTO deadline_misses (task_id, key, tick, deadline) VALUES (@task_id, @key, @tick, @deadline) ON CONFLICT(task_id) DO UPDATE SET key = excluded.key, tick = excluded.tick, deadline = excluded.deadline',
      ),
      misses: db.prepare<[string], { task_id: string }>('SELECT task_id FROM deadline_misses WHERE task_id IN (SELECT value FROM json_each(?))'),
    };
  }

  list(): ScheduleState[] {
    return this.#s.list.all().map(fromRec);
  }

  init(key: string, now: number): ScheduleState {
    this.#s.init.run({ key, now });
    return fromRec(this.#s.get.get(key) as ScheduleRec);
  }

  /** A schedule with no state is created, its cursors just before the tick. */
  claimTick(key: string, tick: number, now: number, runId: string | undefined): boolean {
    this.#s.init.run({ key, now: tick - 1 });
    return this.#s.claimTick.run({ key, tick, now, run: runId ?? null }).changes === 1;
  }

  setPaused(key: string, paused: boolean, now: number): ScheduleState {
    this.#s.init.run({ key, now });
    this.#s.setPaused.run({ key, paused: paused ? 1 : 0, now });
    return fromRec(this.#s.get.get(key) as ScheduleRec);
  }

  claimDeadline(key: string, tick: number): boolean {
    this.#s.init.run({ key, now: tick - 1 });
    return this.#s.claimDeadline.run({ key, tick }).changes === 1;
  }

  putMiss(m: DeadlineMiss): void {
    this.#s.putMiss.run({ task_id: m.taskId, key: m.key, tick: m.tick, deadline: m.deadline });
  }

  /** One statement for any number of ids (a JSON array of them). */
  misses(taskIds: readonly string[]): Set<string> {
    if (taskIds.length === 0) return new Set();
    return new Set(this.#s.misses.all(JSON.stringify(taskIds)).map((r) => r.task_id));
  }
}
