import type Database from 'better-sqlite3';
import { clampInt } from './rows';
import { paramName, taskFilter } from './run-filter';
import { RUN_COLS, type RunRec, runFromRec, TASK_COLS, type TaskRec, taskFromRec } from './sqlite-rows';
import { type RunQuery, type RunRow, TASK_RUNS_KEPT, type TaskInRun } from './types';

type Bind = Record<string, string | number>;

/** A query's WHERE clause with every value bound (none in the text), and its shape: the key of its statements. */
interface Where {
  readonly shape: string;
  readonly sql: string;
  readonly bind: Bind;
}

/**
 * The filters of a RunQuery as SQL; what they mean is run-filter.ts's `runFilter`, said here so
 * that SQLite does the filtering (and the created_at indexes the bounds). Task names hold no
 * `/`, so `type/Task` is: the ref starts with `type/`, ends with `/Task`, has two slashes, and
 * the two do not overlap. A parameter matches when its JSON text (`->` keeps the text written,
 * JSON.stringify's) is the value's JSON or the value itself; `json_valid` first, in a CASE
 * (SQLite promises that order), because `->` throws on a corrupt column.
 */
function where(q: RunQuery): Where {
  const conds: string[] = [];
  const bind: Bind = {};
  const shape: string[] = [];
  if (q.state !== undefined) {
    conds.push('state = @state');
    bind['state'] = q.state;
  }
  if (q.from !== undefined) {
    conds.push('created_at >= @from');
    bind['from'] = q.from;
  }
  if (q.to !== undefined) {
    conds.push('created_at < @to');
    bind['to'] = q.to;
  }
  shape.push(Object.keys(bind).join(','));
  if (q.task !== undefined) {
    const f = taskFilter(q.task);
    shape.push(f.kind);
    if (f.kind === 'ref') {
      conds.push('ref = @ref');
      bind['ref'] = f.ref;
    } else {
      conds.push("substr(ref, -length(@name) - 1) = '/' || @name");
      bind['name'] = f.name;
    }
    if (f.kind === 'type-name') {
      conds.push("substr(ref, 1, length(@type) + 1) = @type || '/'");
      conds.push("length(ref) - length(replace(ref, '/', '')) = 2 AND length(ref) >= length(@type) + length(@name) + 2");
      bind['type'] = f.type;
    }
  }
  (q.params ?? []).forEach(([name, value], i) => {
    conds.push(`(CASE WHEN json_valid(params) THEN params -> @path${i} END) IN (@json${i}, @text${i})`);
    bind[`path${i}`] = `$."${paramName(name)}"`;
    bind[`json${i}`] = JSON.stringify(value);
    bind[`text${i}`] = value;
  });
  shape.push(String(q.params?.length ?? 0));
  return { shape: shape.join('|'), sql: conds.length === 0 ? '' : `WHERE ${conds.join(' AND ')}`, bind };
}

/** The statements of a listing of `q` (a page, a count) and its bindings but paging: what `SqliteRunList` prepares per shape. */
export function listingSql(q: RunQuery): { shape: string; page: string; count: string; bind: Bind } {
  const w = where(q);
  return {
    shape: w.shape,
    page: `SELECT ${RUN_COLS} FROM runs ${w.sql} ORDER BY created_at DESC, id DESC LIMIT @limit OFFSET @offset`,
    count: `SELECT COUNT(*) AS n FROM runs ${w.sql}`,
    bind: w.bind,
  };
}

/**
 * A task's rows, newest run first. Seeks them by tasks_task_updated, then each run by its key:
 * a task's history is as long as retention lets it be, so sorting it (a temp b-tree) is cheap;
 * no table is scanned.
 */
export const TASK_ROWS_SQL = `SELECT ${TASK_COLS.replace(/(\w+)/g, 't.$1')} FROM tasks AS t JOIN runs AS r ON r.id = t.run_id
  WHERE t.task_id = ? ORDER BY r.created_at DESC, r.id DESC LIMIT ?`;

/** Statements kept per filter shape; past this many the oldest shape is dropped (a shape is cheap to prepare again). */
const MAX_SHAPES = 64;

interface Listing {
  readonly page: Database.Statement<[Bind], RunRec>;
  readonly count: Database.Statement<[Bind], { n: number }>;
}

/** Run listings and task histories of the SQLite store. Reads only: the store flushes its pending writes before each call. */
export class SqliteRunList {
  readonly #db: Database.Database;
  readonly #shapes = new Map<string, Listing>();
  readonly #taskRows: Database.Statement<[string, number], TaskRec>;
  readonly #runsOf: Database.Statement<[string], RunRec>;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#taskRows = db.prepare(TASK_ROWS_SQL);
    this.#runsOf = db.prepare(`SELECT ${RUN_COLS} FROM runs WHERE id IN (SELECT value FROM json_each(?))`);
  }

  /** A page of the runs matching `q`, newest first, and how many match in all. */
  list(q: RunQuery): { runs: RunRow[]; total: number } {
    const limit = clampInt(q.limit, 50, 1, 500);
    const offset = clampInt(q.offset, 0, 0, Number.MAX_SAFE_INTEGER);
    const sql = listingSql(q);
    const s = this.#listing(sql);
    const recs = s.page.all({ ...sql.bind, limit, offset });
    return { runs: recs.map(runFromRec), total: s.count.get(sql.bind)?.n ?? 0 };
  }

  /** See `RunStore.taskRuns`. */
  taskRuns(taskId: string, limit: number): TaskInRun[] {
    const n = clampInt(limit, 20, 1, TASK_RUNS_KEPT);
    const tasks = this.#taskRows.all(taskId, n);
    if (tasks.length === 0) return [];
    const runs = new Map(this.#runsOf.all(JSON.stringify(tasks.map((t) => t.run_id))).map((r) => [r.id, runFromRec(r)]));
    return tasks.flatMap((t) => {
      const run = runs.get(t.run_id);
      return run ? [{ run, task: taskFromRec(t) }] : [];
    });
  }

  #listing(sql: ReturnType<typeof listingSql>): Listing {
    let s = this.#shapes.get(sql.shape);
    if (!s) {
      s = { page: this.#db.prepare(sql.page), count: this.#db.prepare(sql.count) };
      if (this.#shapes.size >= MAX_SHAPES) this.#shapes.delete(this.#shapes.keys().next().value ?? '');
      this.#shapes.set(sql.shape, s);
    }
    return s;
  }
}
