import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteRunStore } from '../../src/store/sqlite';
import { listingSql, TASK_ROWS_SQL } from '../../src/store/sqlite-run-list';
import type { RunQuery, RunRow, TaskRow } from '../../src/store/types';
import { runRow, runStoreContract, taskRow } from '../contract/run-store-contract';
import { backfillStateContract } from '../contract/backfill-state-contract';
import { runFilterContract } from '../contract/run-filter-contract';
import { scheduleStateContract } from '../contract/schedule-state-contract';
import { REPO, rmDir, tempDir } from '../helpers/runtime';

const run = runRow;
const task = taskRow;

/** A fresh store in a temp folder, for each contract test. */
const freshStore = async () => {
  const dir = tempDir('nectar-sqlite-contract-');
  const store = new SqliteRunStore(join(dir, 'runs.db'));
  return {
    store,
    cleanup: async () => {
      await store.close();
      rmDir(dir);
    },
  };
};

runStoreContract('SqliteRunStore', freshStore);

scheduleStateContract('SqliteRunStore', freshStore);

backfillStateContract('SqliteRunStore', freshStore);

runFilterContract('SqliteRunStore', freshStore);

describe('SqliteRunStore', () => {
  let dir: string;
  let file: string;
  const open: SqliteRunStore[] = [];
  const openStore = (path = file): SqliteRunStore => {
    const s = new SqliteRunStore(path);
    open.push(s);
    return s;
  };

  beforeEach(() => {
    dir = tempDir('nectar-sqlite-');
    file = join(dir, 'nested', 'deeper', 'runs.db');
  });
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
    rmDir(dir);
  });

  it('creates the parent folder, sets WAL and schema version 1, and works in memory', async () => {
    const store = openStore();
    await store.close();
    expect(existsSync(file)).toBe(true);
    const raw = new Database(file);
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(raw.pragma('user_version', { simple: true })).toBe(1);
    raw.close();
    openStore(); // idempotent schema on reopen
    const mem = openStore(':memory:');
    await mem.putRun(run('m', 1));
    expect((await mem.getRun('m'))?.id).toBe('m');
  });

  it('latestTask returns the most recently written row across runs, also after a reopen', async () => {
    let store = openStore();
    const X = 'testing/a_chain/X/abc';
    await store.putTasks([task('run1', X, { state: 'RUNNING' }), task('run1', 'other')]);
    await store.putTasks([task('run2', X, { state: 'DONE' })]);
    expect(await store.latestTask(X)).toMatchObject({ runId: 'run2', state: 'DONE' });
    await store.putTasks([task('run1', X, { state: 'FAILED', attempts: 3 })]);
    expect(await store.latestTask(X)).toMatchObject({ runId: 'run1', state: 'FAILED', attempts: 3 });
    await store.putTasks([task('run1', 'other', { state: 'DONE' })]); // another task id does not count
    expect((await store.latestTask(X))?.runId).toBe('run1');
    expect(await store.latestTask('missing')).toBeUndefined();

    await store.close();
    store = openStore();
    await store.putTasks([task('run3', X, { state: 'PENDING' })]); // counter continues from MAX
    expect((await store.latestTask(X))?.runId).toBe('run3');

    const raw = new Database(file, { readonly: true });
    const plan = raw
      .prepare<[string], { detail: string }>('EXPLAIN QUERY PLAN SELECT * FROM tasks WHERE task_id = ? ORDER BY updated_seq DESC LIMIT 1')
      .all(X);
    raw.close();
    expect(plan.map((p) => p.detail).join('\n')).toMatch(/USING INDEX tasks_task_updated/);
    expect(plan.map((p) => p.detail).join('\n')).not.toMatch(/TEMP B-TREE/);
  });

  it("serves from/to from the created_at indexes and a task's history from tasks_task_updated, never by a scan", async () => {
    const store = openStore();
    await store.putRun(run('r', 1, { state: 'SUCCEEDED' }));
    await store.putTasks([task('r', 'X')]);
    await store.close();
    const raw = new Database(file, { readonly: true });
    const plan = (sql: string, args: unknown): string =>
      raw.prepare<[unknown], { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`).all(args).map((p) => p.detail).join('\n');
    const listing = (q: RunQuery): { page: string; count: string } => {
      const sql = listingSql(q);
      return { page: plan(sql.page, { ...sql.bind, limit: 50, offset: 0 }), count: plan(sql.count, sql.bind) };
    };
    const ranged = listing({ from: 1, to: 2, task: 'etl/Load', params: [['n', '1']] });
    expect(ranged.page).toMatch(/SEARCH runs USING INDEX runs_created \(created_at>\? AND created_at<\?\)/);
    expect(ranged.count).toMatch(/SEARCH runs USING INDEX runs_created \(created_at>\? AND created_at<\?\)/);
    const stated = listing({ state: 'SUCCEEDED', from: 1, task: 'Load' });
    expect(stated.page).toMatch(/SEARCH runs USING INDEX runs_state_created \(state=\? AND created_at>\?\)/);
    expect(stated.count).toMatch(/SEARCH runs USING INDEX runs_state_created \(state=\? AND created_at>\?\)/);
    const history = raw.prepare<[string, number], { detail: string }>(`EXPLAIN QUERY PLAN ${TASK_ROWS_SQL}`).all('X', 20).map((p) => p.detail).join('\n');
    raw.close();
    expect(history).toMatch(/SEARCH t USING INDEX tasks_task_updated \(task_id=\?\)/);
    expect(history).toMatch(/SEARCH r USING INDEX sqlite_autoindex_runs_1 \(id=\?\)/);
    expect(history).not.toMatch(/\bSCAN\b/);
  });

  it('adds the owner column to a file made before it existed, keeping its rows and schema version', async () => {
    mkdirSync(dirname(file), { recursive: true });
    const old = new Database(file);
    old.exec(`
      CREATE TABLE runs (
        id TEXT PRIMARY KEY, root_task_id TEXT NOT NULL, ref TEXT NOT NULL, params TEXT NOT NULL,
        state TEXT NOT NULL, created_at INTEGER NOT NULL, started_at INTEGER, ended_at INTEGER,
        error TEXT, counts TEXT, interrupted INTEGER
      );
      INSERT INTO runs (id, root_task_id, ref, params, state, created_at) VALUES ('old', 'testing/a_chain/Root/old', 'testing/a_chain/Root', '{"n":1,"tags":["a","b"],"nested":{"x":null}}', 'SUCCEEDED', 5);
      PRAGMA user_version = 1;
    `);
    old.close();

    const store = openStore();
    expect(await store.getRun('old')).toStrictEqual(run('old', 5, { state: 'SUCCEEDED' }));
    await store.putRun(run('new', 6, { state: 'RUNNING', owner: 'server-a' }));
    expect((await store.getRun('new'))?.owner).toBe('server-a');
    await store.close();
    openStore(); // the column is there now: no second ALTER

    const raw = new Database(file, { readonly: true });
    expect(raw.prepare<[], { name: string }>('PRAGMA table_info(runs)').all().map((c) => c.name)).toContain('owner');
    expect(raw.pragma('user_version', { simple: true })).toBe(1);
    raw.close();
  });

  it('keeps everything across close and reopen of the same file', async () => {
    const first = openStore();
    await first.putRun(run('r', 1, { state: 'SUCCEEDED', counts: { DONE: 2 } }));
    await first.putTasks([task('r', 'A', { state: 'DONE' }), task('r', 'B', { state: 'DONE', deps: ['A'] })]);
    await first.close();
    await first.close(); // a second close is harmless

    const again = openStore();
    expect(await again.getRun('r')).toStrictEqual(run('r', 1, { state: 'SUCCEEDED', counts: { DONE: 2 } }));
    expect((await again.getTasks('r')).map((t) => [t.taskId, t.state, t.deps])).toEqual([
      ['A', 'DONE', []],
      ['B', 'DONE', ['A']],
    ]);
    expect((await again.listRuns({})).total).toBe(1);
  });

  it('keeps committed rows when the writing process is killed with SIGKILL', async () => {
    const script = `
      require('./bin/register');
      const { SqliteRunStore } = require('./src/store/sqlite.ts');
      (async () => {
        const store = new SqliteRunStore(process.env.NECTAR_TEST_DB);
        const base = { rootTaskId: 't/c/Root/h', ref: 't/c/Root', params: { k: 1 }, createdAt: 1 };
        await store.putRun({ ...base, id: 'killed', state: 'QUEUED' });
        for (let b = 0; b < 4; b++) {
          const rows = [];
          for (let i = b * 25; i < b * 25 + 25; i++) {
            rows.push({ runId: 'killed', taskId: 't/c/T/' + i, name: 'T', params: { i }, state: 'DONE',
              skipped: false, attempts: 1, startedAt: i, endedAt: i + 1, deps: i > 0 ? ['t/c/T/' + (i - 1)] : [] });
          }
          await store.putTasks(rows);
        }
        await store.putRun({ ...base, id: 'killed', state: 'RUNNING', startedAt: 2 });
        process.stdout.write('written\\n');
        setInterval(() => {}, 1000);
      })().catch((e) => { console.error(e); process.exit(1); });
    `;
    const child = spawn(process.execPath, ['-e', script], {
      cwd: REPO,
      env: { ...process.env, NECTAR_TEST_DB: file },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((res) => child.on('exit', (_code, signal) => res(signal)));
    try {
      await new Promise<void>((res, rej) => {
        let out = '';
        const timer = setTimeout(() => rej(new Error(`child never wrote: ${stderr}`)), 30_000);
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('written')) {
            clearTimeout(timer);
            res();
          }
        });
        child.on('exit', (code) => {
          clearTimeout(timer);
          rej(new Error(`child exited (${String(code)}) before writing: ${stderr}`));
        });
      });
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    expect(existsSync(`${file}-wal`)).toBe(true); // the rows are recovered from the WAL

    const store = openStore();
    expect(await store.getRun('killed')).toMatchObject({ state: 'RUNNING', startedAt: 2 });
    const rows = await store.getTasks('killed');
    expect(rows).toHaveLength(100);
    expect(rows.map((t) => t.taskId)).toEqual(Array.from({ length: 100 }, (_, i) => `t/c/T/${i}`));
    expect(rows[99]).toStrictEqual(
      task('killed', 't/c/T/99', { name: 'T', params: { i: 99 }, state: 'DONE', attempts: 1, startedAt: 99, endedAt: 100, deps: ['t/c/T/98'] }),
    );
  });

  it('treats corrupt JSON columns as absent instead of crashing', async () => {
    const store = openStore();
    await store.putRun(run('bad', 2, { state: 'FAILED', error: { name: 'E', message: 'm' }, counts: { DONE: 1 } }));
    await store.putRun(run('good', 1));
    await store.putTasks([task('bad', 'A', { deps: ['x'], error: { name: 'E', message: 'm' } })]);

    const raw = new Database(file);
    raw.prepare("UPDATE runs SET params = '{oops', error = 'not json', counts = '[1, 2]' WHERE id = 'bad'").run();
    raw.prepare(`UPDATE tasks SET params = '[]', deps = '{"a":1}', error = '{"name": 1}' WHERE task_id = 'A'`).run();
    raw.close();

    const listed = await store.listRuns({});
    expect(listed.runs.map((r) => r.id)).toEqual(['bad', 'good']);
    const bad = listed.runs[0];
    expect(bad).toStrictEqual({ id: 'bad', rootTaskId: 'testing/a_chain/Root/bad', ref: 'testing/a_chain/Root', params: {}, state: 'FAILED', createdAt: 2 });
    expect(await store.getRun('good')).toStrictEqual(run('good', 1));
    const [a] = await store.getTasks('bad');
    expect(a).toStrictEqual(task('bad', 'A', { params: {} }));
    expect(await store.latestTask('A')).toStrictEqual(task('bad', 'A', { params: {} }));
    // A params filter reads the column as JSON: a corrupt one matches nothing, and breaks nothing.
    expect((await store.listRuns({ params: [['n', '1']] })).runs.map((r) => r.id)).toEqual(['good']);
    expect((await store.taskRuns('A', 20)).map((x) => x.task)).toStrictEqual([task('bad', 'A', { params: {} })]);
  });

  it('binds filter values, never splices them in, and refuses a parameter name that is not an identifier', async () => {
    const store = openStore();
    await store.putRun(run('q', 1, { ref: "it's/a_chain/Q", params: { n: "'; DROP TABLE runs; --" } }));
    expect((await store.listRuns({ task: "it's/a_chain/Q", params: [['n', "'; DROP TABLE runs; --"]] })).total).toBe(1);
    await expect(store.listRuns({ params: [['a"b', 'x']] })).rejects.toThrow(/not a parameter name/);
    expect((await store.listRuns({})).total).toBe(1);
  });
});
