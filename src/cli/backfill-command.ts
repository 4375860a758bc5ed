import type { Command } from 'commander';
import { NectarError } from '../core/errors';
import type { BackfillRequest } from '../runtime/backfill-request';
import { type BackfillDetail, Backfills } from '../runtime/backfills';
import { RunManager } from '../runtime/runs';
import { parseParamFlags } from './args';
import { wholeNumber, type RuntimeFor } from './worker-command';

const collect = (v: string, prev: string[]): string[] => [...prev, v];

interface Flags {
  from?: string;
  to?: string;
  step?: string;
  param: string[];
  over?: string;
  values?: string;
  concurrency?: string;
  resume?: string;
}

const line = (d: BackfillDetail): string => {
  const p = d.progress;
  return `backfill ${d.row.id} ${d.row.ref} ${d.row.range} (${d.row.values.length} partitions): ${d.row.state} · done ${p.done} · failed ${p.failed} · cancelled ${p.cancelled}${p.running + p.pending > 0 ? ` · running ${p.running} · pending ${p.pending}` : ''}`;
};

/**
 * `nectar backfill <task> --from --to`: one root task per partition, at most --concurrency in
 * flight, driven in this process and recorded in the run store (so `GET /api/backfills` of a
 * server on the same store shows it, and `--resume <id>` runs its failed and missing
 * partitions again). Ctrl-C cancels it. Exit 0 when every partition is done, 1 otherwise.
 */
export function backfillCommand(program: Command, runtime: RuntimeFor, out: (s: string) => void, setCode: (c: number) => void): void {
  program
    .command('backfill')
    .description('run a task once per partition of a date range (or list), at most N at a time')
    .argument('[task]', 'type/Task or type/chain/Task')
    .option('--from <date>', 'first partition, YYYY-MM-DD (YYYY-MM-DDTHH by hour)')
    .option('--to <date>', 'last partition, included')
    .option('--step <step>', 'day, hour, week or month', 'day')
    .option('-p, --param <name=value>', 'a fixed parameter (repeatable)', collect, [])
    .option('--over <param>', 'the parameter each partition sets (default: the one date parameter)')
    .option('--values <a,b,c>', 'partition values instead of a range')
    .option('--concurrency <n>', 'partitions in flight at most', '4')
    .option('--resume <id>', 'run the failed, cancelled and missing partitions of a backfill again')
    .action(async (task: string | undefined, o: Flags) => {
      if ((task === undefined) === (o.resume === undefined)) throw new NectarError('USAGE', 'name a task to backfill, or --resume <backfill id>');
      const rt = runtime();
      const runs = new RunManager(rt, rt.openRunStore());
      const backfills = new Backfills(rt, runs);
      const ctl = { stopping: false };
      let id: string | undefined;
      const onSignal = (): void => {
        if (ctl.stopping) process.exit(1);
        ctl.stopping = true;
        process.stderr.write('cancelling the backfill (again to exit now)\n');
        if (id !== undefined) void backfills.cancel(id).catch(() => undefined);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        await rt.checkTargets();
        if (o.resume !== undefined) {
          id = o.resume;
          await backfills.resume(id);
        } else {
          const r: { -readonly [K in keyof BackfillRequest]: BackfillRequest[K] } = { task: task as string, step: o.step, params: parseParamFlags(o.param), concurrency: wholeNumber('--concurrency', o.concurrency ?? '4', 1, 1000) };
          if (o.from !== undefined) r.from = o.from;
          if (o.to !== undefined) r.to = o.to;
          if (o.over !== undefined) r.over = o.over;
          if (o.values !== undefined) r.values = o.values.split(',').map((v) => v.trim()).filter(Boolean);
          id = (await backfills.start(r)).id;
        }
        const tick = process.stderr.isTTY ? setInterval(() => void backfills.get(id as string).then((d) => process.stderr.write(`\r\x1b[2K${line(d)}`)), 500) : undefined;
        await backfills.settled(id);
        clearInterval(tick);
        if (tick) process.stderr.write('\n');
        const d = await backfills.get(id);
        out(`${line(d)}\n`);
        for (const p of d.parts.filter((x) => x.state === 'FAILED').slice(0, 20)) out(`  failed ${d.row.over}=${p.value}  run ${p.runId ?? '-'}\n`);
        if (d.row.state !== 'SUCCEEDED') {
          out(`resume with: nectar backfill --resume ${d.row.id}\n`);
          setCode(1);
        }
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await backfills.close();
        await runs.close();
        await rt.close();
        await runs.store.close();
      }
    });
}
