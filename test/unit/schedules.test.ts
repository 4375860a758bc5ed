/**
 * Schedules declared in chain code: discovery compiles good ones (cron in an IANA zone, the
 * tick mapped to parameters) and reports bad ones as load problems naming the task and the
 * schedule, while the rest still loads. Instants are given, never read from the clock.
 */
import { join } from 'node:path';
import { catalogue } from '../../src/api/catalogue';
import { tickAt } from '../../src/core/schedule';
import { discover } from '../../src/discovery/discover';
import type { CompiledSchedule } from '../../src/discovery/schedules';
import { makeRuntime, rmDir, tempDir, writeChains } from '../helpers/runtime';

const CHAIN = `
import { p, task, type RunContext } from 'nectar';

/** Yesterday's totals every night at 02:00 Berlin time; an hourly one with a fixed region. */
export class DailyTask extends task({ day: p.date(), region: p.string({ default: 'all' }) }, {
  schedules: [
    { name: 'nightly', cron: '0 2 * * *', timezone: 'Europe/Berlin', params: (tick) => ({ day: tick.date(-1) }), catchup: 'all', maxCatchup: 30 },
    { name: 'eu', cron: '0 30 6 * * 1-5', timezone: 'Europe/Berlin', params: (tick) => ({ day: tick.date(), region: 'eu' }) },
  ],
}) {
  async run(ctx: RunContext<DailyTask>) { await ctx.output.write(this.params.day); }
}

/** Every schedule here is wrong in its own way; the task itself is fine. */
export class BadTask extends task({ day: p.date() }, {
  schedules: [
    { name: 'toolate', cron: '0 25 * * *', params: (tick) => ({ day: tick.date() }) },
    { name: 'sevenfields', cron: '0 0 2 * * * 2030', params: (tick) => ({ day: tick.date() }) },
    { name: 'mars', cron: '0 2 * * *', timezone: 'Mars/Olympus_Mons', params: (tick) => ({ day: tick.date() }) },
    { name: 'stranger', cron: '0 2 * * *', params: (tick) => ({ day: tick.date(), city: 'Oslo' }) },
    { name: 'notadate', cron: '0 2 * * *', params: { day: 'yesterday' } },
    { name: 'missing', cron: '0 2 * * *' },
    { name: 'feb30', cron: '0 0 30 2 *', params: (tick) => ({ day: tick.date() }) },
    { name: 'lazy', cron: '0 2 * * *', catchup: 'sometimes' as 'all', params: (tick) => ({ day: tick.date() }) },
    { name: 'bad name!', cron: '0 2 * * *', params: (tick) => ({ day: tick.date() }) },
    { name: 'twice', cron: '0 3 * * *', params: (tick) => ({ day: tick.date() }) },
    { name: 'twice', cron: '0 4 * * *', params: (tick) => ({ day: tick.date() }) },
  ],
}) {
  async run(ctx: RunContext<BadTask>) { await ctx.output.write('fine'); }
}

export class PlainTask extends task({ n: p.int({ default: 1 }) }) {
  async run(ctx: RunContext<PlainTask>) { await ctx.output.write('plain'); }
}
`;

describe('schedules declared in chain code', () => {
  let dir: string;
  let chains: string;
  beforeAll(() => {
    dir = tempDir('nectar-schedules-');
    chains = writeChains(dir, { 'sales/daily_chain.ts': CHAIN });
  });
  afterAll(() => rmDir(dir));

  const schedule = (ref: string, name: string): CompiledSchedule => {
    const s = discover(chains).schedules.find((x) => x.ref === ref && x.name === name);
    if (!s) throw new Error(`no schedule ${ref} ${name}`);
    return s;
  };

  it('compiles good schedules with their zone, catch-up and mapping', () => {
    const reg = discover(chains);
    expect(reg.schedules.map((s) => `${s.ref} ${s.name}`).sort()).toEqual(['sales/daily_chain/DailyTask eu', 'sales/daily_chain/DailyTask nightly', 'sales/daily_chain/BadTask twice'].sort());
    const nightly = schedule('sales/daily_chain/DailyTask', 'nightly');
    expect(nightly).toMatchObject({ cron: '0 2 * * *', timezone: 'Europe/Berlin', catchup: 'all', maxCatchup: 30 });
    expect(schedule('sales/daily_chain/DailyTask', 'eu')).toMatchObject({ catchup: 'latest', maxCatchup: 100 });
    // Every task still loads, the one with bad schedules too.
    expect(reg.tasks.map((t) => t.name).sort()).toEqual(['BadTask', 'DailyTask', 'PlainTask']);
  });

  it('fires at 02:00 Berlin time across the daylight-saving changes (UTC+1 in winter, UTC+2 in summer)', () => {
    const nightly = schedule('sales/daily_chain/DailyTask', 'nightly');
    const ticks: string[] = [];
    let at = new Date('2026-03-27T12:00:00Z');
    for (let i = 0; i < 4; i++) {
      at = nightly.next(at) as Date;
      ticks.push(at.toISOString());
    }
    // 29 March: 02:00 does not exist (clocks jump to 03:00); the tick comes at 03:00 CEST.
    expect(ticks).toEqual(['2026-03-28T01:00:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-30T00:00:00.000Z', '2026-03-31T00:00:00.000Z']);
    // Back to winter time on 25 October: 02:00 comes twice (CEST, then CET); it fires once, at the first.
    const autumn = nightly.next(new Date('2026-10-24T12:00:00Z')) as Date;
    expect(autumn.toISOString()).toBe('2026-10-25T00:00:00.000Z');
    expect((nightly.next(autumn) as Date).toISOString()).toBe('2026-10-26T01:00:00.000Z');
  });

  it('maps a tick to parameters in the schedule zone: the day before, by the local date', () => {
    const nightly = schedule('sales/daily_chain/DailyTask', 'nightly');
    // 2026-03-29T01:00Z is 03:00 on the 29th in Berlin: yesterday is the 28th there.
    expect(nightly.paramsAt(new Date('2026-03-29T01:00:00Z'))).toEqual({ day: '2026-03-28' });
    // 23:30Z on 31 December is already 1 January in Berlin.
    expect(nightly.paramsAt(new Date('2026-12-31T23:30:00Z'))).toEqual({ day: '2026-12-31' });
    expect(schedule('sales/daily_chain/DailyTask', 'eu').paramsAt(new Date('2026-06-01T04:30:00Z'))).toEqual({ day: '2026-06-01', region: 'eu' });
    const t = tickAt(new Date('2026-03-01T00:30:00Z'), 'America/New_York');
    expect([t.date(), t.date(-1), t.hour(), t.hour(-20)]).toEqual(['2026-02-28', '2026-02-27', '2026-02-28T19', '2026-02-27T23']);
  });

  it('reports each bad schedule as a load problem naming the task, the schedule and what is wrong', () => {
    const reasons = discover(chains).problems.map((p) => p.reason).filter((r) => r.includes('BadTask'));
    const of = (name: string): string => reasons.find((r) => r.startsWith(`sales/daily_chain/BadTask: schedule '${name}': `)) ?? `(no problem for ${name})`;
    expect(of('toolate')).toMatch(/cron "0 25 \* \* \*": .*hour/);
    expect(of('sevenfields')).toMatch(/expected 5 fields .* or 6/);
    expect(of('mars')).toMatch(/timezone "Mars\/Olympus_Mons" is not a known IANA time zone/);
    expect(of('stranger')).toMatch(/maps to 'city', which BadTask does not have \(parameters: day\)/);
    expect(of('notadate')).toMatch(/parameters for the tick of .* are not valid: .*day/);
    expect(of('missing')).toMatch(/parameters for the tick of .* are not valid: .*day/);
    expect(of('feb30')).toMatch(/never fires/);
    expect(of('lazy')).toMatch(/catchup "sometimes": expected all, latest, none/);
    expect(of('bad name!')).toMatch(/the name must match/);
    expect(of('twice')).toMatch(/declared twice/);
    expect(reasons).toHaveLength(10);
    for (const p of discover(chains).problems.filter((x) => x.reason.includes('BadTask'))) expect(p.path).toMatch(/sales\/daily_chain\.ts$/);
  });
});

describe('schedules in the catalogue (GET /api/chains, nectar list --json)', () => {
  it('lists each task with the schedules it declares', async () => {
    const dir = tempDir('nectar-schedules-cat-');
    const chains = writeChains(dir, { 'sales/daily_chain.ts': CHAIN });
    const rt = makeRuntime(chains, join(dir, 'targets'));
    try {
      const byTask = new Map(catalogue(rt).map((e) => [e.task, e.schedules]));
      expect(byTask.get('DailyTask')).toEqual([
        { name: 'nightly', cron: '0 2 * * *', timezone: 'Europe/Berlin', catchup: 'all', max_catchup: 30, deadline: null },
        { name: 'eu', cron: '0 30 6 * * 1-5', timezone: 'Europe/Berlin', catchup: 'latest', max_catchup: 100, deadline: null },
      ]);
      expect(byTask.get('BadTask')).toEqual([{ name: 'twice', cron: '0 3 * * *', timezone: 'UTC', catchup: 'latest', max_catchup: 100, deadline: null }]);
      expect(byTask.get('PlainTask')).toEqual([]);
    } finally {
      await rt.close();
      rmDir(dir);
    }
  });
});
