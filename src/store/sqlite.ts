import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { ACTIVE_RUN_STATES, NOT_STARTED_TASK_STATES } from '../core/states';
import { RUN_INTERRUPTED, TASK_INTERRUPTED } from './rows';
import { GroupCommit } from './group-commit';
import { BACKFILL_SCHEMA, SqliteBackfills } from './sqlite-backfills';
import { json, RUN_COLS, type RunRec, runFromRec, TASK_COLS, type TaskRec, taskFromRec, type TaskWrite } from './sqlite-rows';
import { SqliteRunList } from './sqlite-run-list';
import { addScheduleColumns, SCHEDULE_SCHEMA, SqliteSchedules } from './sqlite-schedules';
import type { BackfillPart, BackfillRow, DeadlineMiss, RunQuery, RunRow, RunStore, ScheduleState, TaskInRun, TaskRow } from './types';

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY, root_task_id TEXT NOT NULL, ref TEXT NOT NULL, params TEXT NOT NULL,
  state TEXT NOT NULL, created_at INTEGER NOT NULL, started_at INTEGER, ended_at INTEGER,
  error TEXT, counts TEXT, interrupted INTEGER, owner TEXT
);
CREATE INDEX IF NOT EXISTS runs_state_created ON runs (state, created_at);
CREATE INDEX IF NOT EXISTS runs_created ON runs (created_at);
CREATE TABLE IF NOT EXISTS tasks (
  run_id TEXT NOT NULL, task_id TEXT NOT NULL, name TEXT NOT NULL, params TEXT NOT NULL,
  state TEXT NOT NULL, skipped INTEGER NOT NULL, attempts INTEGER NOT NULL,
  started_at INTEGER, ended_at INTEGER, error TEXT, deps TEXT NOT NULL,
  seq INTEGER NOT NULL, updated_seq INTEGER NOT NULL,
  PRIMARY KEY (run_id, task_id)
);
CREATE INDEX IF NOT EXISTS tasks_task_updated ON tasks (task_id, updated_seq);
`;

/** A constant list of states as SQL literals (`'QUEUED', 'RUNNING'`): the names hold no quote. */
const sqlList = (states: readonly string[]): string => states.map((s) => `'${s}'`).join(', ');
const ACTIVE_RUNS = sqlList(ACTIVE_RUN_STATES);
/** Tasks of an interrupted run that never started (PENDING, QUEUED): unfinished and not RUNNING. */
const NOT_STARTED = sqlList(NOT_STARTED_TASK_STATES);

/**
 * Columns added after schema version 1 shipped, nullable so that the schema version stays 1:
 * an older nectar still reads and writes the file (it names its columns and leaves these alone).
 */
function addMissingColumns(db: Database.Database): void {
  const have = new Set(db.prepare<[], { name: string }>('PRAGMA table_info(runs)').all().map((c) => c.name));
  for (const col of ['owner', 'trigger', 'joined']) if (!have.has(col)) db.exec(`ALTER TABLE runs ADD COLUMN ${col} TEXT`);
  const taskCols = new Set(db.prepare<[], { name: string }>('PRAGMA table_info(tasks)').all().map((c) => c.name));
  if (!taskCols.has('stale')) db.exec('ALTER TABLE tasks ADD COLUMN stale TEXT');
}

/** Every statement the store runs, prepared once at open. */
function prepare(db: Database.Database) {
  const runSet = RUN_COLS.split(', ').slice(1).map((c) => `${c} = excluded.${c}`).join(', ');
  const taskSet = TASK_COLS.split(', ').slice(2).map((c) => `${c} = excluded.${c}`).join(', ');
  return {
    putRun: db.prepare<RunRec>(`INSERT INTO runs (${RUN_COLS}) VALUES (${RUN_COLS.replace(/(\w+)/g, '@$1')}) ON CONFLICT(id) DO UPDATE SET ${runSet}`),
    putTask: db.prepare<TaskWrite>(
      `INSERT INTO tasks (${TASK_COLS}, seq, updated_seq) VALUES (${TASK_COLS.replace(/(\w+)/g, '@$1')}, @seq, @seq)
       ON CONFLICT(run_id, task_id) DO UPDATE SET ${taskSet}, updated_seq = excluded.updated_seq`,
    ),
    getRun: db.prepare<[string], RunRec>(`SELECT ${RUN_COLS} FROM runs WHERE id = ?`),
    getTasks: db.prepare<[string], TaskRec>(`SELECT ${TASK_COLS} FROM tasks WHERE run_id = ? ORDER BY seq`),
    latestTask: db.prepare<[string], TaskRec>(`SELECT ${TASK_COLS} FROM tasks WHERE task_id = ? ORDER BY updated_seq DESC LIMIT 1`),
    // The ids come as one JSON array: one statement for any number of them, each an index seek (tasks_task_updated).
    latestTasks: db.prepare<[string], TaskRec>(
      `SELECT ${TASK_COLS.replace(/(\w+)/g, 't.$1')} FROM json_each(?) AS j
       JOIN tasks AS t ON t.rowid = (SELECT rowid FROM tasks WHERE task_id = j.value ORDER BY updated_seq DESC LIMIT 1)`,
    ),
    failRunning: db.prepare<{ now: number; error: string }>(
      `UPDATE tasks SET state = 'FAILED', ended_at = @now, error = @error
       WHERE state = 'RUNNING' AND run_id IN (SELECT id FROM runs WHERE state IN (${ACTIVE_RUNS}))`,
    ),
    cancelPending: db.prepare<[]>(
      `UPDATE tasks SET state = 'CANCELLED'
       WHERE state IN (${NOT_STARTED}) AND run_id IN (SELECT id FROM runs WHERE state IN (${ACTIVE_RUNS}))`,
    ),
    failRuns: db.prepare<{ now: number; error: string }, { id: string }>(
      `UPDATE runs SET state = 'FAILED', interrupted = 1, ended_at = @now, error = @error
       WHERE state IN (${ACTIVE_RUNS}) RETURNING id`,
    ),
  };
}

/**
 * The default run store: one embedded SQLite file, so run history survives a restart with no
 * server to operate. WAL lets readers (status polling, listings) proceed while the scheduler
 * writes; `synchronous = NORMAL` under WAL skips an fsync per commit yet a committed transaction
 * still survives a killed process (only an OS crash or power loss can lose the last commits).
 */
export class SqliteRunStore implements RunStore {
  private readonly db: Database.Database;
  /** Store-wide write counter: `tasks.updated_seq` (latest write) and first-insert `seq`. */
  private counter: number;
  private readonly stmts: ReturnType<typeof prepare>;
  private readonly writeTasks: (rows: readonly TaskRow[]) => void;
  private readonly pruneTx: (before: number) => number;
  private readonly interrupt: (now: number) => string[];
  private readonly backfills: SqliteBackfills;
  private readonly commits: GroupCommit;
  private readonly schedules: SqliteSchedules;
  private readonly runList: SqliteRunList;

  constructor(path: string) {
    if (path !== ':memory:' && path !== '') mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path);
    this.db = db;
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      db.close();
      throw new Error(`run store ${path} has schema version ${version}, newer than this nectar understands (${SCHEMA_VERSION})`);
    }
    db.exec(SCHEMA);
    db.exec(BACKFILL_SCHEMA);
    db.exec(SCHEDULE_SCHEMA);
    addScheduleColumns(db);
    this.schedules = new SqliteSchedules(db);
    this.backfills = new SqliteBackfills(db);
    this.commits = new GroupCommit(db);
    addMissingColumns(db);
    if (version < SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
    const max = db.prepare<[], { m: number | null }>('SELECT MAX(updated_seq) AS m FROM tasks').get();
    this.counter = max?.m ?? 0;

    this.stmts = prepare(db);
    this.runList = new SqliteRunList(db);
    const s = this.stmts;

    // Retention: finished runs created before a time, their task rows first (one transaction).
    const pruneTasks = db.prepare<[number]>(`DELETE FROM tasks WHERE run_id IN (SELECT id FROM runs WHERE created_at < ? AND state NOT IN (${ACTIVE_RUNS}))`);
    const pruneRuns = db.prepare<[number]>(`DELETE FROM runs WHERE created_at < ? AND state NOT IN (${ACTIVE_RUNS})`);
    this.pruneTx = db.transaction((before: number) => {
      pruneTasks.run(before);
      return pruneRuns.run(before).changes;
    });
    this.writeTasks = db.transaction((rows: readonly TaskRow[]) => {
      for (const t of rows) {
        s.putTask.run({
          run_id: t.runId, task_id: t.taskId, name: t.name, params: JSON.stringify(t.params), state: t.state,
          skipped: t.skipped ? 1 : 0, attempts: t.attempts, started_at: t.startedAt ?? null, ended_at: t.endedAt ?? null,
          error: json(t.error), deps: JSON.stringify(t.deps), stale: json(t.stale), seq: ++this.counter,
        });
      }
    });
    // Task rows are corrected in place without a new `updated_seq`: this is not a newer record
    // of the task, and a later run's row for the same task id must stay the latest.
    this.interrupt = db.transaction((now: number) => {
      s.failRunning.run({ now, error: JSON.stringify(TASK_INTERRUPTED) });
      s.cancelPending.run();
      return s.failRuns.all({ now, error: JSON.stringify(RUN_INTERRUPTED) }).map((r) => r.id).sort();
    });
  }

  async putRun(run: RunRow): Promise<void> {
    const rec = {
      id: run.id, root_task_id: run.rootTaskId, ref: run.ref, params: JSON.stringify(run.params), state: run.state,
      created_at: run.createdAt, started_at: run.startedAt ?? null, ended_at: run.endedAt ?? null,
      error: json(run.error), counts: json(run.counts), interrupted: run.interrupted === undefined ? null : run.interrupted ? 1 : 0,
      owner: run.owner ?? null, trigger: json(run.trigger), joined: run.joined ?? null,
    };
    return this.commits.write(() => this.stmts.putRun.run(rec), `run:${run.id}`);
  }

  async putTasks(rows: readonly TaskRow[]): Promise<void> {
    if (rows.length > 0) return this.commits.write(() => this.writeTasks(rows));
  }

  async getRun(id: string): Promise<RunRow | undefined> {
    this.commits.flush();
    const r = this.stmts.getRun.get(id);
    return r === undefined ? undefined : runFromRec(r);
  }

  async listRuns(q: RunQuery): Promise<{ runs: RunRow[]; total: number }> {
    this.commits.flush();
    return this.runList.list(q);
  }

  async getTasks(runId: string): Promise<TaskRow[]> {
    this.commits.flush();
    return this.stmts.getTasks.all(runId).map(taskFromRec);
  }

  async taskRuns(taskId: string, limit: number): Promise<TaskInRun[]> {
    this.commits.flush();
    return this.runList.taskRuns(taskId, limit);
  }

  async latestTask(taskId: string): Promise<TaskRow | undefined> {
    this.commits.flush();
    const r = this.stmts.latestTask.get(taskId);
    return r === undefined ? undefined : taskFromRec(r);
  }

  async latestTasks(taskIds: readonly string[]): Promise<Map<string, TaskRow>> {
    this.commits.flush();
    const out = new Map<string, TaskRow>();
    if (taskIds.length === 0) return out;
    for (const r of this.stmts.latestTasks.all(JSON.stringify([...new Set(taskIds)]))) out.set(r.task_id, taskFromRec(r));
    return out;
  }

  async markInterrupted(now: number): Promise<string[]> {
    this.commits.flush();
    return this.interrupt(now);
  }

  async listSchedules(): Promise<ScheduleState[]> {
    this.commits.flush();
    return this.schedules.list();
  }

  async initSchedule(key: string, now: number): Promise<ScheduleState> {
    this.commits.flush();
    return this.schedules.init(key, now);
  }

  async claimTick(key: string, tick: number, now: number, runId?: string): Promise<boolean> {
    this.commits.flush();
    return this.schedules.claimTick(key, tick, now, runId);
  }

  async setPaused(key: string, paused: boolean, now: number): Promise<ScheduleState> {
    this.commits.flush();
    return this.schedules.setPaused(key, paused, now);
  }

  async claimDeadline(key: string, tick: number, now: number): Promise<boolean> {
    this.commits.flush();
    return this.schedules.claimDeadline(key, tick);
  }

  async putDeadlineMiss(m: DeadlineMiss): Promise<void> {
    return this.commits.write(() => this.schedules.putMiss(m), `miss:${m.taskId}`);
  }

  async deadlineMisses(taskIds: readonly string[]): Promise<Set<string>> {
    this.commits.flush();
    return this.schedules.misses(taskIds);
  }

  async putBackfill(b: BackfillRow): Promise<void> {
    const copy = { ...b };
    return this.commits.write(() => this.backfills.put(copy), `backfill:${b.id}`);
  }

  async getBackfill(id: string): Promise<BackfillRow | undefined> {
    this.commits.flush();
    return this.backfills.get(id);
  }

  async listBackfills(q: { limit?: number; offset?: number }): Promise<{ backfills: BackfillRow[]; total: number }> {
    this.commits.flush();
    return this.backfills.list(q);
  }

  async putBackfillParts(parts: readonly BackfillPart[]): Promise<void> {
    const copy = parts.map((p) => ({ ...p }));
    return this.commits.write(() => this.backfills.putParts(copy));
  }

  async getBackfillParts(id: string): Promise<BackfillPart[]> {
    this.commits.flush();
    return this.backfills.parts(id);
  }

  async pruneRuns(before: number): Promise<number> {
    this.commits.flush();
    return this.pruneTx(before);
  }

  async close(): Promise<void> {
    this.commits.flush();
    if (this.db.open) this.db.close();
  }
}
