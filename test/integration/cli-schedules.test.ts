/**
 * `nectar schedules` as a user runs it: the list with state from the run store, pause and
 * resume (kept in the store, which a server reads), trigger (fires here and waits; a second
 * trigger of the same tick's parameters is SKIPPED), and bad names exit 2 saying what is known.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO, rmDir, tempDir, writeChains } from '../helpers/runtime';

const CHAIN = `
import { p, task, type RunContext } from 'nectar';
export class DayTask extends task({ day: p.date() }, {
  schedules: [{ name: 'nightly', cron: '0 2 * * *', timezone: 'Europe/Berlin', params: (tick) => ({ day: tick.date(-1) }) }],
}) {
  async run(ctx: RunContext<DayTask>) { await ctx.output.write('figures of ' + this.params.day); }
}
export class PlainTask extends task({}) { run() {} }
`;

describe('nectar schedules', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(() => {
    dir = tempDir('nectar-cli-schedules-');
    env = { ...process.env, NECTAR_CHAINS: writeChains(dir, { 'timed/day_chain.ts': CHAIN }), NECTAR_TARGETS: join(dir, 'targets'), NECTAR_DB: join(dir, 'nectar.db'), NECTAR_LOG_LEVEL: 'warn' };
  });
  afterAll(() => rmDir(dir));

  const nectar = (...args: string[]) => spawnSync(process.execPath, [join(REPO, 'bin/nectar.js'), 'schedules', ...args], { env, encoding: 'utf8' });

  it('lists, pauses, resumes and triggers, keeping the state in the run store', () => {
    let r = nectar();
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^timed\/day_chain\/DayTask\/nightly {2}0 2 \* \* \* \(Europe\/Berlin\) {2}active {2}next \d{4}-\d\d-\d\dT0[01]:00:00Z {2}last -\n$/);

    expect(nectar('pause', 'timed/DayTask/nightly').stdout).toBe('timed/day_chain/DayTask/nightly: paused\n');
    const listed = JSON.parse(nectar('--json').stdout) as { schedules: Array<{ state: string; next_tick: string | null }> };
    expect(listed.schedules).toEqual([expect.objectContaining({ state: 'paused', next_tick: null, timezone: 'Europe/Berlin' })]);
    expect(nectar('resume', 'timed/day_chain/DayTask/nightly').stdout).toBe('timed/day_chain/DayTask/nightly: active\n');

    r = nectar('trigger', 'timed/DayTask/nightly');
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toMatch(/^timed\/day_chain\/DayTask\/nightly: run [0-9a-f-]{36} SUCCEEDED\n$/);
    r = nectar('trigger', 'timed/DayTask/nightly');
    expect(r.stdout).toMatch(/ SKIPPED \(already complete\)\n$/);
  });

  it('refuses names it does not know, with exit code 2', () => {
    let r = nectar('pause', 'timed/DayTask/weekly');
    expect([r.status, r.stderr]).toEqual([2, 'error: no schedule timed/day_chain/DayTask/weekly. Known: timed/day_chain/DayTask/nightly\n']);
    r = nectar('trigger', 'timed/PlainTask/nightly');
    expect(r.status).toBe(2);
    r = nectar('resume', 'DayTask');
    expect([r.status, r.stderr]).toEqual([2, 'error: "DayTask": expected <type>/<Task>/<schedule> (or <type>/<chain>/<Task>/<schedule>)\n']);
    r = nectar('pause', 'timed/Nope/nightly');
    expect([r.status, r.stderr.startsWith("error: unknown task 'timed/Nope'")]).toEqual([2, true]);
  });
});
