/**
 * Schedules through a real server on an injected clock: ticks start runs recorded with their
 * trigger, a complete tick is recorded SKIPPED, pause/resume/trigger over HTTP, state and
 * catch-up across a restart; and two servers on one real redis-server fire each of 100 ticks
 * exactly once.
 */
import { join } from 'node:path';
import { haveRedis, startRedis, type TestRedis } from '../helpers/redis';
import { FakeClock } from '../helpers/clock';
import { rmDir, tempDir, writeChains } from '../helpers/runtime';
import { call, startTestServer } from '../helpers/server';

const CHAIN = `
import { p, task, type RunContext } from 'nectar';

/** Yesterday's figures, every night at 02:00 UTC. */
export class DayTask extends task({ day: p.date() }, {
  schedules: [{ name: 'nightly', cron: '0 2 * * *', params: (tick) => ({ day: tick.date(-1) }), catchup: 'all', maxCatchup: 5 }],
}) {
  async run(ctx: RunContext<DayTask>) { await ctx.output.write('figures of ' + this.params.day); }
}

/** One run per minute: its parameter is the tick's instant. */
export class MinuteTask extends task({ at: p.string() }, {
  schedules: [{ name: 'often', cron: '* * * * *', params: (tick) => ({ at: tick.at.toISOString() }) }],
}) {
  async run(ctx: RunContext<MinuteTask>) { await ctx.output.write(this.params.at); }
}
`;

interface RunJson {
  run_id: string;
  state: string;
  params: Record<string, unknown>;
  trigger: { kind: string; schedule: string; tick: number; manual: boolean; label: string } | null;
}
interface ScheduleJson {
  key: string;
  state: string;
  next_tick: number | null;
  last_tick: number | null;
  last_run: { run_id: string; state: string } | null;
  actions: { pause: string; resume: string; trigger: string };
}

const KEY = 'timed/day_chain/DayTask/nightly';

describe('schedules on a server', () => {
  let dir: string;
  let chains: string;
  beforeAll(() => {
    dir = tempDir('nectar-api-schedules-');
    chains = writeChains(dir, { 'timed/day_chain.ts': CHAIN });
  });
  afterAll(() => rmDir(dir));

  const runsOf = async (base: string): Promise<RunJson[]> => (await call(`${base}/api/runs?limit=500`)).body.data['runs'] as RunJson[];
  const nightly = async (base: string): Promise<ScheduleJson> => {
    const list = (await call(`${base}/api/schedules`)).body.data['schedules'] as ScheduleJson[];
    return list.find((s) => s.key === KEY) as ScheduleJson;
  };

  it('fires ticks as runs with their trigger, skips complete ones, pauses, resumes, triggers, and catches up after a restart', async () => {
    const clock = new FakeClock('2026-06-01T01:59:50Z');
    let { srv, base } = await startTestServer(chains, dir, {}, { clock });
    let s = await nightly(base);
    expect(s).toMatchObject({ state: 'active', next_tick: Date.parse('2026-06-01T02:00:00Z'), last_tick: null, last_run: null });

    clock.set('2026-06-01T02:00:00Z');
    await srv.schedules.poll();
    let runs = (await runsOf(base)).filter((r) => r.trigger?.schedule === 'nightly');
    expect(runs).toHaveLength(1);
    const first = runs[0] as RunJson;
    expect(first.trigger).toEqual({ kind: 'schedule', schedule: 'nightly', tick: Date.parse('2026-06-01T02:00:00Z'), manual: false, label: 'schedule nightly' });
    expect(first.params).toEqual({ day: '2026-05-31' });
    await srv.runs.settled(first.run_id);
    expect((await call(`${base}/api/runs/${first.run_id}`)).body.data['state']).toBe('SUCCEEDED');
    s = await nightly(base);
    expect(s).toMatchObject({ last_tick: Date.parse('2026-06-01T02:00:00Z'), last_run: { run_id: first.run_id, state: 'SUCCEEDED' }, next_tick: Date.parse('2026-06-02T02:00:00Z') });

    // Trigger now maps to the same day: complete, so recorded as SKIPPED, not run again.
    clock.set('2026-06-01T09:00:00Z');
    const trig = await call(s.actions.trigger, { method: 'POST' });
    expect(trig.status).toBe(202);
    expect(trig.body.data).toMatchObject({ state: 'SKIPPED' });
    const skipped = (await call(`${base}/api/runs/${trig.body.data['run_id'] as string}`)).body.data as unknown as RunJson;
    expect(skipped.state).toBe('SKIPPED');
    expect(skipped.trigger).toMatchObject({ manual: true, label: 'schedule nightly (triggered by hand)' });

    // Pause: the next ticks do not fire; resume: they are not caught up.
    const paused = await call(`${base}/api/schedules/timed/DayTask/nightly/pause`, { method: 'POST' });
    expect([paused.status, paused.body.data['state'], paused.body.data['next_tick']]).toEqual([200, 'paused', null]);
    clock.set('2026-06-02T02:00:00Z');
    await srv.schedules.poll();
    clock.set('2026-06-02T03:00:00Z');
    const resumed = await call(`${base}/api/schedules/timed/day_chain/DayTask/nightly/resume`, { method: 'POST' });
    expect([resumed.status, resumed.body.data['state'], resumed.body.data['next_tick']]).toEqual([200, 'active', Date.parse('2026-06-03T02:00:00Z')]);
    runs = (await runsOf(base)).filter((r) => r.trigger?.schedule === 'nightly');
    expect(runs).toHaveLength(2);

    // Down from 03:00 on the 2nd until noon on the 5th: three ticks missed, caught up oldest first.
    await srv.close();
    clock.set('2026-06-05T12:00:00Z');
    ({ srv, base } = await startTestServer(chains, dir, {}, { clock }));
    runs = (await runsOf(base)).filter((r) => r.trigger?.schedule === 'nightly' && !r.trigger.manual);
    expect(runs.map((r) => r.params['day']).sort()).toEqual(['2026-05-31', '2026-06-02', '2026-06-03', '2026-06-04']);
    await Promise.all(runs.map((r) => srv.runs.settled(r.run_id)));
    for (const r of runs) expect((await call(`${base}/api/runs/${r.run_id}`)).body.data['state']).toMatch(/^(SUCCEEDED|SKIPPED)$/);
    expect((await nightly(base)).last_tick).toBe(Date.parse('2026-06-05T02:00:00Z'));

    // Bad names get their errors.
    expect((await call(`${base}/api/schedules/timed/DayTask/weekly/pause`, { method: 'POST' })).body.error?.code).toBe('UNKNOWN_SCHEDULE');
    expect((await call(`${base}/api/schedules/timed/DayTask/nightly/explode`, { method: 'POST' })).status).toBe(404);
    expect((await call(`${base}/api/schedules/timed/NoTask/nightly/pause`, { method: 'POST' })).body.error?.code).toBe('UNKNOWN_TASK');
    expect((await call(`${base}/api/schedules/timed/DayTask/nightly/pause`)).status).toBe(405);
    await srv.close();
  });

  const maybe = haveRedis() ? describe : describe.skip;
  maybe('two servers on one redis-server', () => {
    let redis: TestRedis;
    beforeAll(async () => {
      redis = await startRedis();
    });
    afterAll(async () => redis?.stop());

    it('fire each of 100 ticks exactly once', async () => {
      const clock = new FakeClock('2026-06-01T00:00:30Z');
      const env = { NECTAR_REDIS_URL: redis.url, NECTAR_EXECUTOR: 'inprocess', NECTAR_QUEUE_PREFIX: 'twosrv' };
      const a = await startTestServer(chains, join(dir, 'a'), env, { clock });
      const b = await startTestServer(chains, join(dir, 'a'), env, { clock });
      const t0 = Date.parse('2026-06-01T00:00:00Z');
      for (let i = 1; i <= 100; i++) {
        clock.set(t0 + i * 60_000);
        await Promise.all([a.srv.schedules.poll(), b.srv.schedules.poll()]);
      }
      const runs = (await runsOf(a.base)).filter((r) => r.trigger?.schedule === 'often');
      expect(runs).toHaveLength(100);
      expect(new Set(runs.map((r) => r.trigger?.tick)).size).toBe(100);
      await Promise.all([a.srv.close(), b.srv.close()]);
    });
  });
});
