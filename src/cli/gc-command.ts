import type { Command } from 'commander';
import { NectarError } from '../core/errors';
import { stdoutCarriesData } from '../runtime/console';
import { durationVar } from '../runtime/config-vars';
import { collect, planGc } from '../runtime/gc';
import { inFlight } from './invalidate-command';
import type { RuntimeFor } from './worker-command';

/**
 * `nectar gc [--older-than 30d] [--yes]`: list (and with `--yes` remove) the task folders
 * nothing current can produce: of a task class no longer discovered, of an outdated version.
 * A dry run unless `--yes`; never a folder a run in flight (as the run store knows) uses.
 */
export function gcCommand(program: Command, runtime: RuntimeFor, out: (s: string) => void): void {
  program
    .command('gc')
    .description('list (and with --yes remove) task folders nothing current can produce: classes gone, outdated versions')
    .option('--older-than <age>', 'only folders built longer ago than this (30d, 12h, ...)')
    .option('--yes', 'remove them (without it, only list what would go)')
    .option('--json', 'machine-readable output')
    .action(async (o: { olderThan?: string; yes?: boolean; json?: boolean }) => {
      if (o.json) stdoutCarriesData();
      let olderThanMs: number | undefined;
      if (o.olderThan !== undefined) {
        try {
          olderThanMs = durationVar({ age: o.olderThan }, 'age', 0, 0, 100 * 365 * 86_400_000);
        } catch {
          throw new NectarError('USAGE', `--older-than ${JSON.stringify(o.olderThan)}: expected a duration such as 30d, 12h, 90m or seconds`);
        }
      }
      const rt = runtime();
      const store = rt.openRunStore();
      try {
        await rt.checkTargets();
        const keep = new Set((await inFlight(store)).keys());
        const resolve = (ref: string) => {
          try {
            return rt.registry.resolve(ref);
          } catch {
            return undefined;
          }
        };
        const plan = await planGc({ store: rt.store, resolve, instantiate: (f, p) => rt.instantiateFrom(f, p) }, { now: Date.now(), keep, ...(olderThanMs !== undefined ? { olderThanMs } : {}) });
        const removed = o.yes ? await collect(rt.store, plan) : 0;
        const files = plan.reduce((n, c) => n + c.keys.length, 0);
        if (o.json) return out(`${JSON.stringify({ dry_run: !o.yes, removed, folders: plan.map((c) => ({ task_id: c.id, why: c.why, keys: c.keys })) }, null, 2)}\n`);
        for (const c of plan) out(`${c.id}\n  ${c.why} (${c.keys.length} files)\n`);
        out(o.yes ? `\nremoved ${removed} files of ${plan.length} folders\n` : `\nwould remove ${files} files of ${plan.length} folders (a dry run: add --yes to remove them)\n`);
      } finally {
        await store.close();
        await rt.close();
      }
    });
}
