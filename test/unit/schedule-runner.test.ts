/**
 * The schedule runner on an injected clock over a real SQLite run store: it sleeps until the
 * next tick, fires each tick once (claimed in the store), catches up after downtime by each
 * schedule's policy, and keeps pause and resume. Fires are recorded, not run.
 */
import { join } from 'node:path';
import pino from 'pino';
import { discover } from '../../src/discovery/discover';
import type { CompiledSchedule } from '../../src/discovery/schedules';
import { ScheduleRunner, scheduleKey } from '../../src/runtime/schedule-runner';
import { SqliteRunStore } from '../../src/store/sqlite';
import type { ScheduleTrigger } from '../../src/store/types';
import { FakeClock } from '../helpers/clock';
import { rmDir, tempDir, writeChains } from '../helpers/runtime';

const CHAIN = `
import { p, task, type RunContext } from 'nectar';

export class DailyTask extends task({ day: p.date() }, {
  schedules: [
    { name: 'berlin', cron: '0 2 * * *', timezone: 'Europe/Berlin', params: (tick) => ({ day: tick.date(-1) }) },
  ],
}) {
  async run(ctx: RunContext<DailyTask>) { await ctx.output.write(this.params.day); }
}

export class HourlyTask extends task({ hour: p.string() }, {
  schedules: [
    { name: 'all3', cron: '0 * * * *', catchup: 'all', maxCatchup: 3, params: (tick) => ({ hour: tick.hour() }) },
    { name: 'latest', cron: '0 * * * *', params: (tick) => ({ hour: tick.hour() }) },
    { name: 'none', cron: '0 * * * *', catchup: 'none', params: (tick) => ({ hour: tick.hour() }) },
  ],
}) {
  async run(ctx: RunContext<HourlyTask>) { await ctx.output.write(this.params.hour); }
}
`;

const quiet = pino({ level: 'silent' });
const iso = (ms: number): string => new Date(ms).toISOString().replace(':00.000Z', 'Z');

describe('the schedule runner', () => {
  let dir: string;
  let all: readonly CompiledSchedule[];
  let store: SqliteRunStore;
  beforeAll(() => {
    dir = tempDir('nectar-schedule-runner-');
    all = discover(writeChains(dir, { 'sales/daily_chain.ts': CHAIN })).schedules;
  });
  afterAll(() => rmDir(dir));
  let n = 0;
  beforeEach(() => {
    store = new SqliteRunStore(join(dir, `runs-${++n}.db`));
  });
  afterEach(() => store.close());

  /** A runner over some of the schedules; `fired` collects `<schedule> <tick>` per fire. */
  function runner(clock: FakeClock, names: string[], fired: string[]): ScheduleRunner {
    return new ScheduleRunner({
      schedules: all.filter((s) => names.includes(s.name)),
      store,
      clock,
      logger: quiet,
      fire: async (s, t: ScheduleTrigger) => void fired.push(`${s.name} ${iso(t.tick)}`),
    });
  }

  /** Move the clock from wake-up to wake-up until `until`, looking at each. */
  async function follow(r: ScheduleRunner, clock: FakeClock, until: string): Promise<number[]> {
    const wakes: number[] = [];
    for (;;) {
      const at = clock.nextWake;
      if (at === undefined || at > Date.parse(until)) return wakes;
      clock.set(at);
      wakes.push(at);
      await r.poll();
    }
  }

  it('fires at 02:00 Berlin time across both daylight-saving changes, waking only at ticks or refreshes', async () => {
    const fired: string[] = [];
    const clock = new FakeClock('2026-03-27T12:00:00Z');
    const r = runner(clock, ['berlin'], fired);
    await r.start();
    await follow(r, clock, '2026-03-31T12:00:00Z');
    // 28 March 02:00 CET = 01:00Z; on the 29th 02:00 does not exist (clocks go 02:00 -> 03:00
    // CEST): croner fires at 03:00 CEST = 01:00Z; from the 30th 02:00 CEST = 00:00Z.
    expect(fired).toEqual(['berlin 2026-03-28T01:00Z', 'berlin 2026-03-29T01:00Z', 'berlin 2026-03-30T00:00Z', 'berlin 2026-03-31T00:00Z']);
    fired.length = 0;
    clock.set('2026-10-23T12:00:00Z');
    await r.poll(); // a long gap: 'latest' catch-up fires the one most recent missed tick
    expect(fired).toEqual(['berlin 2026-10-23T00:00Z']);
    fired.length = 0;
    await follow(r, clock, '2026-10-27T12:00:00Z');
    // 25 October: 02:00 CEST = 00:00Z comes first (the hour repeats at 03:00 -> 02:00 CET); it fires once.
    expect(fired).toEqual(['berlin 2026-10-24T00:00Z', 'berlin 2026-10-25T00:00Z', 'berlin 2026-10-26T01:00Z', 'berlin 2026-10-27T01:00Z']);
    await r.stop();
    expect(clock.pending).toBe(0);
  });

  it('sleeps until the next tick, or at most the refresh interval', async () => {
    const clock = new FakeClock('2026-06-01T10:59:45Z');
    const r = runner(clock, ['latest'], []);
    await r.start();
    expect(iso(clock.nextWake as number)).toBe('2026-06-01T11:00Z');
    clock.set('2026-06-01T11:00:00Z');
    await r.poll();
    expect(clock.nextWake).toBe(Date.parse('2026-06-01T11:00:30Z')); // the 30 s refresh comes before 12:00
    expect(clock.pending).toBe(1);
    await r.stop();
  });

  it('a new schedule does not fire its past, and a restart catches up by each policy', async () => {
    const fired: string[] = [];
    const clock = new FakeClock('2026-06-01T10:00:30Z');
    const first = runner(clock, ['all3', 'latest', 'none'], fired);
    await first.start();
    expect(fired).toEqual([]); // 10:00 fell before they were first seen: a new schedule starts at now
    clock.set('2026-06-01T11:00:00Z');
    await first.poll();
    expect(fired.sort()).toEqual(['all3 2026-06-01T11:00Z', 'latest 2026-06-01T11:00Z', 'none 2026-06-01T11:00Z']);
    await first.stop();
    fired.length = 0;

    // Down from 11:00 to 16:30: 12:00 .. 16:00 were missed.
    clock.set('2026-06-01T16:30:00Z');
    const second = runner(clock, ['all3', 'latest', 'none'], fired);
    await second.start();
    expect(fired).toEqual(['all3 2026-06-01T14:00Z', 'all3 2026-06-01T15:00Z', 'all3 2026-06-01T16:00Z', 'latest 2026-06-01T16:00Z']);
    fired.length = 0;
    await second.poll();
    expect(fired).toEqual([]); // dealt with: a second look fires nothing again
    clock.set('2026-06-01T17:00:00Z');
    await second.poll();
    expect(fired.sort()).toEqual(['all3 2026-06-01T17:00Z', 'latest 2026-06-01T17:00Z', 'none 2026-06-01T17:00Z']);
    const states = await store.listSchedules();
    expect(states.map((s) => [s.key.split('/').pop(), iso(s.lastTick as number)])).toEqual([
      ['all3', '2026-06-01T17:00Z'],
      ['latest', '2026-06-01T17:00Z'],
      ['none', '2026-06-01T17:00Z'],
    ]);
    await second.stop();
  });

  it('pause stops firing; resume fires from then on, not the ticks that fell while paused; trigger fires now', async () => {
    const fired: string[] = [];
    const clock = new FakeClock('2026-06-01T10:30:00Z');
    const r = runner(clock, ['all3'], fired);
    await r.start();
    const key = scheduleKey(all.find((s) => s.name === 'all3') as CompiledSchedule);
    expect((await r.setPaused(key, true)).paused).toBe(true);
    for (const at of ['11:00', '12:00', '13:00']) {
      clock.set(`2026-06-01T${at}:00Z`);
      await r.poll();
    }
    expect(fired).toEqual([]);
    expect((await r.list())[0]?.next).toBeUndefined();
    clock.set('2026-06-01T13:20:00Z');
    const resumed = await r.setPaused(key, false);
    expect([resumed.paused, iso(resumed.cursor)]).toEqual([false, '2026-06-01T13:20Z']);
    expect(iso((await r.list())[0]?.next?.getTime() as number)).toBe('2026-06-01T14:00Z');
    clock.set('2026-06-01T14:00:00Z');
    await r.poll();
    expect(fired).toEqual(['all3 2026-06-01T14:00Z']);
    clock.set('2026-06-01T14:10:00Z');
    await r.trigger(key);
    expect(fired).toEqual(['all3 2026-06-01T14:00Z', 'all3 2026-06-01T14:10Z']);
    expect((await store.listSchedules())[0]?.lastTick).toBe(Date.parse('2026-06-01T14:00:00Z')); // a trigger is not a tick
    expect(() => r.find('sales/daily_chain/HourlyTask/nope')).toThrow(/no schedule sales\/daily_chain\/HourlyTask\/nope\. Known: /);
    await r.stop();
  });

  it('two runners on one store fire each tick once', async () => {
    const fired: string[] = [];
    const clock = new FakeClock('2026-06-01T00:00:30Z');
    const other = new SqliteRunStore(join(dir, `runs-${n}.db`));
    const a = runner(clock, ['latest'], fired);
    const b = new ScheduleRunner({ schedules: all.filter((s) => s.name === 'latest'), store: other, clock, logger: quiet, fire: async (s, t) => void fired.push(`${s.name} ${iso(t.tick)}`) });
    await Promise.all([a.start(), b.start()]);
    for (let h = 1; h <= 24; h++) {
      clock.set(Date.parse('2026-06-01T00:00:00Z') + h * 3_600_000);
      await Promise.all([a.poll(), b.poll()]);
    }
    expect(fired).toHaveLength(24);
    expect(new Set(fired).size).toBe(24);
    await Promise.all([a.stop(), b.stop()]);
    await other.close();
  });
});
