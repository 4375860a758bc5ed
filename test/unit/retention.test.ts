import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/runtime/config';
import { startRetention } from '../../src/runtime/retention';
import { SqliteRunStore } from '../../src/store/sqlite';
import { runRow } from '../contract/run-store-contract';
import { FakeClock } from '../helpers/clock';
import { rmDir, tempDir } from '../helpers/runtime';

const DAY = 86_400_000;

describe('run retention', () => {
  it('prunes at start and then hourly by the injected clock: only runs older than the retention, never one in flight', async () => {
    const dir = tempDir();
    const store = new SqliteRunStore(join(dir, 'runs.db'));
    const clock = new FakeClock('2026-12-01T00:00:00Z');
    const now = clock.now();
    await store.putRun(runRow('old', now - 40 * DAY, { state: 'SUCCEEDED', endedAt: now - 40 * DAY + 1000 }));
    await store.putRun(runRow('old-in-flight', now - 40 * DAY, { state: 'RUNNING' }));
    await store.putRun(runRow('recent', now - DAY, { state: 'FAILED', endedAt: now - DAY + 1000 }));
    const r = startRetention({ store, maxAgeMs: 30 * DAY, clock, logger: pino({ level: 'silent' }) });
    expect(await r.prune()).toBe(1); // joins the prune begun at start, which removes 'old'
    expect(await r.prune()).toBe(0);
    expect(await store.getRun('old')).toBeUndefined();
    expect((await store.listRuns({})).runs.map((x) => x.id).sort()).toEqual(['old-in-flight', 'recent']);
    expect(clock.nextWake).toBe(now + 3_600_000);
    clock.set(now + 30 * DAY);
    expect(await r.prune()).toBe(1);
    expect((await store.listRuns({})).runs.map((x) => x.id)).toEqual(['old-in-flight']);
    await r.stop();
    expect(clock.pending).toBe(0);
    await store.close();
    rmDir(dir);
  });

  it('NECTAR_RUN_RETENTION takes a duration of an hour or more; unset keeps runs for ever', () => {
    expect(loadConfig({ NECTAR_RUN_RETENTION: '30d' }).runRetention).toBe(30 * DAY);
    expect(loadConfig({}).runRetention).toBe(0);
    expect(() => loadConfig({ NECTAR_RUN_RETENTION: '10m' })).toThrow(/NECTAR_RUN_RETENTION="10m"/);
    expect(() => loadConfig({ NECTAR_RUN_RETENTION: 'a month' })).toThrow(/NECTAR_RUN_RETENTION/);
  });
});
