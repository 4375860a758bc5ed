import type { Command } from 'commander';
import { NectarError } from '../core/errors';
import { stdoutCarriesData } from '../runtime/console';
import { RunManager } from '../runtime/runs';
import type { ScheduleView } from '../runtime/schedule-runner';
import { scheduleKeyOf, scheduleRunner } from '../runtime/schedules';
import type { RunStore } from '../runtime/types';
import type { RuntimeFor } from './worker-command';

const when = (ms: number | undefined): string => (ms === undefined ? '-' : new Date(ms).toISOString().replace('.000Z', 'Z'));

/** One schedule as `nectar schedules --json` prints it (the API's fields, times as ISO text). */
async function viewJson(v: ScheduleView, store: RunStore): Promise<Record<string, unknown>> {
  const last = v.state.lastRunId === undefined ? undefined : await store.getRun(v.state.lastRunId);
  return {
    key: v.key, task: v.schedule.ref, name: v.schedule.name, cron: v.schedule.cron, timezone: v.schedule.timezone, catchup: v.schedule.catchup, deadline: v.schedule.deadline ?? null,
    state: v.state.paused ? 'paused' : 'active', next_tick: v.next?.toISOString() ?? null, last_tick: v.state.lastTick === undefined ? null : new Date(v.state.lastTick).toISOString(),
    last_run: last ? { run_id: last.id, state: last.state } : null,
  };
}

/**
 * `nectar schedules`: list the chains' schedules with their state in the run store; `pause`,
 * `resume` (a running `nectar serve` sees the change within its refresh, 30 s) and `trigger`
 * (fire now, here, and wait for the run; it is recorded like a server's).
 */
export function schedulesCommand(program: Command, runtime: RuntimeFor, out: (s: string) => void, setCode: (c: number) => void): void {
  const cmd = program.command('schedules').description('list schedules with their state; pause, resume or trigger one');
  const open = () => {
    const rt = runtime();
    const runs = new RunManager(rt, rt.openRunStore());
    return { rt, runs, schedules: scheduleRunner(rt, runs), close: async () => Promise.all([runs.close(), rt.close()]).then(() => runs.store.close()) };
  };

  cmd.option('--json', 'machine-readable output').action(async (o: { json?: boolean }) => {
    if (o.json) stdoutCarriesData();
    const { runs, schedules, close } = open();
    try {
      const views = await schedules.list();
      if (o.json) return out(`${JSON.stringify({ schedules: await Promise.all(views.map((v) => viewJson(v, runs.store))) }, null, 2)}\n`);
      if (views.length === 0) return out('no task declares a schedule\n');
      for (const v of views) {
        const j = await viewJson(v, runs.store);
        const last = j['last_run'] as { run_id: string; state: string } | null;
        out(`${v.key}  ${v.schedule.cron} (${v.schedule.timezone})  ${String(j['state'])}  next ${when(v.next?.getTime())}  last ${when(v.state.lastTick)}${last ? `  run ${last.run_id} ${last.state}` : ''}\n`);
      }
    } finally {
      await close();
    }
  });

  for (const action of ['pause', 'resume'] as const) {
    cmd
      .command(action)
      .argument('<schedule>', 'type/Task/schedule or type/chain/Task/schedule')
      .description(action === 'pause' ? 'stop firing a schedule until it is resumed' : 'fire a paused schedule again, from now on (ticks missed while paused are not caught up)')
      .action(async (named: string) => {
        const { rt, schedules, close } = open();
        try {
          const key = scheduleKeyOf(rt, named);
          await schedules.stop(); // no looking here: only the state changes
          const s = await schedules.setPaused(key, action === 'pause');
          out(`${key}: ${s.paused ? 'paused' : 'active'}\n`);
        } finally {
          await close();
        }
      });
  }

  cmd
    .command('trigger')
    .argument('<schedule>', 'type/Task/schedule or type/chain/Task/schedule')
    .description('fire a schedule now, in this process, and wait for its run')
    .action(async (named: string) => {
      const { rt, runs, schedules, close } = open();
      try {
        const key = scheduleKeyOf(rt, named);
        await rt.checkTargets();
        const runId = await schedules.trigger(key);
        await runs.settled(runId);
        const run = await runs.store.getRun(runId);
        if (!run) throw new NectarError('INTERNAL', `run ${runId} was not recorded`);
        out(`${key}: run ${runId} ${run.state}${run.state === 'SKIPPED' ? (run.joined ? ` (joined run ${run.joined})` : ' (already complete)') : ''}\n`);
        if (run.state === 'FAILED' || run.state === 'CANCELLED') setCode(1);
      } finally {
        await close();
      }
    });
}
