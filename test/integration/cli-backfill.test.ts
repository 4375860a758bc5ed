/**
 * `nectar backfill` as a user runs it: a range driven in the foreground and recorded in the
 * run store; a failed partition exits 1 and says how to resume; `--resume` after the fix runs
 * only what failed; bad ranges exit 2 naming what is wrong.
 */
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, rmDir, tempDir, writeChains } from '../helpers/runtime';

const CHAIN = `
import { existsSync } from 'node:fs';
import { p, task, type RunContext } from 'nectar';
export class DayTask extends task({ day: p.date(), marker: p.string() }) {
  async run(ctx: RunContext<DayTask>) {
    if (existsSync(this.params.marker + '.' + this.params.day)) throw new Error('broken ' + this.params.day);
    await ctx.output.write(this.params.day);
  }
}
`;

describe('nectar backfill', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(() => {
    dir = tempDir('nectar-cli-backfill-');
    env = { ...process.env, NECTAR_CHAINS: writeChains(dir, { 'sales/day_chain.ts': CHAIN }), NECTAR_TARGETS: join(dir, 'targets'), NECTAR_DB: join(dir, 'nectar.db'), NECTAR_LOG_LEVEL: 'silent', NECTAR_BACKFILL_MAX: '100' };
  });
  afterAll(() => rmDir(dir));
  const nectar = (...args: string[]) => spawnSync(process.execPath, [join(REPO, 'bin/nectar.js'), 'backfill', ...args], { env, encoding: 'utf8' });

  it('runs a range, fails on a broken day, and resumes only that day after the fix', () => {
    const marker = join(dir, 'broken');
    writeFileSync(`${marker}.2012-01-03`, '');
    let r = nectar('sales/DayTask', '--from', '2012-01-01', '--to', '2012-01-07', '--param', `marker=${marker}`, '--concurrency', '2');
    expect(r.status).toBe(1);
    const id = /backfill ([0-9a-f-]{36}) /.exec(r.stdout)?.[1] as string;
    expect(r.stdout).toContain('2012-01-01..2012-01-07 by day (7 partitions): FAILED · done 6 · failed 1 · cancelled 0');
    expect(r.stdout).toContain('  failed day=2012-01-03  run ');
    expect(r.stdout).toContain(`resume with: nectar backfill --resume ${id}`);
    rmSync(`${marker}.2012-01-03`);
    r = nectar('--resume', id);
    expect([r.status, r.stdout]).toEqual([0, `backfill ${id} sales/day_chain/DayTask 2012-01-01..2012-01-07 by day (7 partitions): SUCCEEDED · done 7 · failed 0 · cancelled 0\n`]);
    expect(nectar('--resume', id).stderr).toBe(`error: backfill ${id} succeeded: there is nothing to resume\n`);
  });

  it('exits 2 on a bad range, naming it', () => {
    const cases: Array<[string[], string]> = [
      [['sales/DayTask', '--from', '2012-02-01', '--to', '2012-01-01', '--param', 'marker=x'], "error: the range is inverted: 'from' 2012-02-01 is after 'to' 2012-01-01\n"],
      [['sales/DayTask', '--from', '2012-01-01', '--to', '2012-12-31', '--param', 'marker=x'], 'error: 2012-01-01..2012-12-31 by day is 366 partitions, over the cap of 100 (NECTAR_BACKFILL_MAX)\n'],
      [['sales/DayTask', '--from', '2012-01-01', '--to', '2012-01-02', '--step', 'year', '--param', 'marker=x'], 'error: \'step\' "year": expected day, hour, week, month\n'],
      [[], 'error: name a task to backfill, or --resume <backfill id>\n'],
      [['--resume', 'nope'], 'error: no backfill nope\n'],
    ];
    for (const [args, stderr] of cases) {
      const r = nectar(...args);
      expect([r.status, r.stderr]).toEqual([2, stderr]);
    }
  });
});
