import type Database from 'better-sqlite3';
import { backfillFromJson, clampInt, partOf } from './rows';
import type { BackfillPart, BackfillRow } from './types';

/** The backfill tables of the SQLite run store (created at open, beside the runs). */
export const BACKFILL_SCHEMA = `
CREATE TABLE IF NOT EXISTS backfills (id TEXT PRIMARY KEY, created_at INTEGER NOT NULL, json TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS backfills_created ON backfills (created_at);
CREATE TABLE IF NOT EXISTS backfill_parts (
  backfill_id TEXT NOT NULL, value TEXT NOT NULL, state TEXT NOT NULL, run_id TEXT,
  PRIMARY KEY (backfill_id, value)
);
`;

/** Backfill rows as JSON (checked when read back), and their partitions as rows of their own: a partition's change is one small write. */
export class SqliteBackfills {
  readonly #s;
  readonly #writeParts: (parts: readonly BackfillPart[]) => void;

  constructor(private readonly db: Database.Database) {
    this.#s = {
      put: db.prepare<{ id: string; created_at: number; json: string }>('INSERT INTO backfills (id, created_at, json) VALUES (@id, @created_at, @json) ON CONFLICT(id) DO UPDATE SET json = excluded.json'),
      get: db.prepare<[string], { json: string }>('SELECT json FROM backfills WHERE id = ?'),
      list: db.prepare<[number, number], { json: string }>('SELECT json FROM backfills ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?'),
      count: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM backfills'),
      putPart: db.prepare<{ backfill_id: string; value: string; state: string; run_id: string | null }>(
        'INSERT INTO backfill_parts (backfill_id, value, state, run_id) VALUES (@backfill_id, @value, @state, @run_id) ON CONFLICT(backfill_id, value) DO UPDATE SET state = excluded.state, run_id = excluded.run_id',
      ),
      parts: db.prepare<[string], { value: string; state: string; run_id: string | null }>('SELECT value, state, run_id FROM backfill_parts WHERE backfill_id = ?'),
    };
    const s = this.#s;
    this.#writeParts = db.transaction((parts: readonly BackfillPart[]) => {
      for (const p of parts) s.putPart.run({ backfill_id: p.backfillId, value: p.value, state: p.state, run_id: p.runId ?? null });
    });
  }

  put(b: BackfillRow): void {
    this.#s.put.run({ id: b.id, created_at: b.createdAt, json: JSON.stringify(b) });
  }

  get(id: string): BackfillRow | undefined {
    return backfillFromJson(this.#s.get.get(id)?.json);
  }

  list(q: { limit?: number; offset?: number }): { backfills: BackfillRow[]; total: number } {
    const rows = this.#s.list.all(clampInt(q.limit, 50, 1, 500), clampInt(q.offset, 0, 0, Number.MAX_SAFE_INTEGER));
    return { backfills: rows.map((r) => backfillFromJson(r.json)).filter((b): b is BackfillRow => b !== undefined), total: this.#s.count.get()?.n ?? 0 };
  }

  putParts(parts: readonly BackfillPart[]): void {
    if (parts.length > 0) this.#writeParts(parts);
  }

  /** In the order of the backfill's values; a value with no row is PENDING. */
  parts(id: string): BackfillPart[] {
    const b = this.get(id);
    const byValue = new Map(this.#s.parts.all(id).map((r) => [r.value, r]));
    return (b?.values ?? [...byValue.keys()]).map((v) => partOf(id, v, byValue.get(v)?.state, byValue.get(v)?.run_id));
  }
}
