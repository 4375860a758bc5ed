/**
 * Deadlines on an injected clock through a real server: a tick's partition not DONE by its
 * schedule's deadline sends one `deadline:missed` webhook to a real HTTP receiver and is
 * flagged in the partitions API; a partition DONE in time sends nothing. Bad deadlines are
 * load problems naming the task and the schedule.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { discover } from '../../src/discovery/discover';
import { FakeClock } from '../helpers/clock';
import { rmDir, tempDir, writeChains } from '../helpers/runtime';
import { call, startTestServer } from '../helpers/server';

const chain = (broken: string): string => `
import { existsSync } from 'node:fs';
import { p, task, type RunContext } from 'nectar';

/** Yesterday's figures at 02:00 Berlin time, due by 06:00 there; fails while a marker for its day exists. */
export class DayTask extends task({ day: p.date() }, {
  schedules: [{ name: 'nightly', cron: '0 2 * * *', timezone: 'Europe/Berlin', deadline: '06:00', params: (tick) => ({ day: tick.date(-1) }) }],
}) {
  async run(ctx: RunContext<DayTask>) {
    if (existsSync(${JSON.stringify(broken)} + '/' + this.params.day)) throw new Error('broken ' + this.params.day);
    await ctx.output.write('figures of ' + this.params.day);
  }
}

export class BadDeadlineTask extends task({ day: p.date() }, {
  schedules: [
    { name: 'late', cron: '0 2 * * *', deadline: '25:00', params: (tick) => ({ day: tick.date() }) },
    { name: 'never', cron: '0 2 * * *', deadline: '0h', params: (tick) => ({ day: tick.date() }) },
    { name: 'fine', cron: '0 2 * * *', deadline: '90m', params: (tick) => ({ day: tick.date() }) },
  ],
}) {
  async run(ctx: RunContext<BadDeadlineTask>) { await ctx.output.write('x'); }
}
`;

describe('schedule deadlines', () => {
  let dir: string;
  let chains: string;
  let broken: string;
  let hook: Server;
  let hookUrl: string;
  const got: Array<{ event: string; body: Record<string, unknown> }> = [];
  beforeAll(async () => {
    dir = tempDir('nectar-deadlines-');
    broken = join(dir, 'broken');
    mkdirSync(broken);
    chains = writeChains(dir, { 'sales/day_chain.ts': chain(broken) });
    hook = createServer((req, res) => {
      let text = '';
      req.on('data', (d: Buffer) => (text += d.toString()));
      req.on('end', () => {
        got.push({ event: String(req.headers['x-nectar-event']), body: JSON.parse(text) as Record<string, unknown> });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
  });
  afterAll(async () => {
    await new Promise((r) => hook.close(r));
    rmDir(dir);
  });

  it('reports bad deadlines as load problems; the others load', () => {
    const r = discover(chains);
    const reasons = r.problems.map((p) => p.reason);
    expect(reasons).toContain("sales/day_chain/BadDeadlineTask: schedule 'late': deadline \"25:00\": expected a time of day HH:MM (e.g. '06:00') or a duration after the tick (e.g. '90m', '4h', '1d')");
    expect(reasons.some((x) => x.startsWith("sales/day_chain/BadDeadlineTask: schedule 'never': deadline \"0h\""))).toBe(true);
    const fine = r.schedules.find((s) => s.name === 'fine');
    expect(fine?.deadlineAt(new Date('2026-06-01T02:00:00Z'))?.toISOString()).toBe('2026-06-01T03:30:00.000Z');
    const nightly = r.schedules.find((s) => s.name === 'nightly');
    // 06:00 in Berlin: 04:00Z in summer, 05:00Z in winter; the first at or after the tick.
    expect(nightly?.deadlineAt(new Date('2026-06-01T00:00:00Z'))?.toISOString()).toBe('2026-06-01T04:00:00.000Z');
    expect(nightly?.deadlineAt(new Date('2026-12-01T01:00:00Z'))?.toISOString()).toBe('2026-12-01T05:00:00.000Z');
  });

  it('sends deadline:missed once for a partition not DONE by then, flags it in the grid, and nothing for one DONE in time', async () => {
    const clock = new FakeClock('2026-06-01T23:59:00Z'); // 01:59 in Berlin
    const { srv, base } = await startTestServer(chains, dir, { NECTAR_WEBHOOK_URL: hookUrl, NECTAR_WEBHOOK_EVENTS: 'deadline.missed,run:failed' }, { clock });
    writeFileSync(join(broken, '2026-06-01'), '');
    clock.set('2026-06-02T00:00:00Z'); // 02:00 Berlin: the tick for 2026-06-01
    await srv.schedules.poll();
    const runs = (await call(`${base}/api/runs`)).body.data['runs'] as Array<{ run_id: string }>;
    await Promise.all(runs.map((r) => srv.runs.settled(r.run_id)));
    clock.set('2026-06-02T04:00:00Z');
    await srv.schedules.poll();
    await srv.schedules.poll(); // a second look sends nothing more
    for (let i = 0; i < 100 && got.filter((g) => g.event === 'deadline:missed').length < 1; i++) await new Promise((r) => setTimeout(r, 20));
    const missed = got.filter((g) => g.event === 'deadline:missed');
    expect(missed).toHaveLength(1);
    expect(missed[0]?.body['deadline']).toMatchObject({ schedule: 'sales/day_chain/DayTask/nightly', task: 'sales/day_chain/DayTask', params: { day: '2026-06-01' }, tick: Date.parse('2026-06-02T00:00:00Z'), deadline: Date.parse('2026-06-02T04:00:00Z') });

    // The next night it works: DONE by 06:00, no deadline event.
    rmSync(join(broken, '2026-06-01'));
    clock.set('2026-06-03T00:00:00Z');
    await srv.schedules.poll();
    const all = (await call(`${base}/api/runs`)).body.data['runs'] as Array<{ run_id: string }>;
    await Promise.all(all.map((r) => srv.runs.settled(r.run_id)));
    clock.set('2026-06-03T04:00:00Z');
    await srv.schedules.poll();
    await new Promise((r) => setTimeout(r, 100));
    expect(got.filter((g) => g.event === 'deadline:missed')).toHaveLength(1);

    const grid = (await call(`${base}/api/partitions/sales/DayTask?from=2026-05-31&to=2026-06-02`)).body.data as { partitions: Array<{ value: string; state: string; deadline_missed: boolean }> };
    expect(grid.partitions.map((p) => [p.value, p.state, p.deadline_missed])).toEqual([
      ['2026-05-31', 'MISSING', false],
      ['2026-06-01', 'FAILED', true],
      ['2026-06-02', 'DONE', false],
    ]);
    await srv.close();
  });
});
