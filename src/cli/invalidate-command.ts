import type { Command } from 'commander';
import { ACTIVE_RUN_STATES } from '../core/states';
import { stdoutCarriesData } from '../runtime/console';
import { type Invalidated, invalidate, planInvalidation, refuseInFlight } from '../runtime/invalidate';
import type { RunStore } from '../runtime/types';
import { parseParamFlags } from './args';
import type { RuntimeFor } from './worker-command';

/** Every task of the runs the run store has in flight, with its run (a server's runs; `nectar run` records none). */
export async function inFlight(store: RunStore): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const state of ACTIVE_RUN_STATES) {
    for (let offset = 0; ; offset += 500) {
      const page = await store.listRuns({ state, limit: 500, offset });
      for (const run of page.runs) {
        out.set(run.rootTaskId, run.id);
        for (const t of await store.getTasks(run.id)) out.set(t.taskId, run.id);
      }
      if (page.runs.length < 500) break;
    }
  }
  return out;
}

function planText(plan: readonly Invalidated[], done: boolean): string {
  const lines: string[] = [];
  let files = 0;
  for (const t of plan) {
    files += t.keys.length;
    lines.push(`${t.id}${t.because ? `  (built from ${t.because})` : ''}`);
    for (const k of t.keys) lines.push(`  ${k}`);
    if (t.keys.length === 0) lines.push('  (no outputs: nothing to remove)');
  }
  const tasks = plan.filter((t) => t.keys.length > 0).length;
  lines.push('', done ? `removed ${files} files of ${tasks} tasks` : `would remove ${files} files of ${tasks} tasks (a dry run: add --yes to remove them)`);
  return `${lines.join('\n')}\n`;
}

/**
 * `nectar invalidate <task> [--param ...] [--downstream] [--yes]`: remove a task's outputs
 * (and, downstream, those of every task recorded as built from them); without `--yes` it only
 * lists what it would remove. Refused while a run in flight (as the run store knows) uses one
 * of them.
 */
export function invalidateCommand(program: Command, runtime: RuntimeFor, out: (s: string) => void): void {
  program
    .command('invalidate')
    .description("remove a task's outputs (and, --downstream, those of every task built from them); lists them unless --yes")
    .argument('<task>', 'type/Task or type/chain/Task')
    .option('-p, --param <name=value>', 'a parameter (repeatable)', (v: string, prev: string[]) => [...prev, v], [])
    .option('--downstream', 'also every task recorded (in its lineage) as built from them, however far down')
    .option('--yes', 'remove them (without it, only list what would go)')
    .option('--json', 'machine-readable output')
    .action(async (ref: string, o: { param: string[]; downstream?: boolean; yes?: boolean; json?: boolean }) => {
      if (o.json) stdoutCarriesData();
      const rt = runtime();
      const store = rt.openRunStore();
      try {
        const task = rt.instantiate(ref, parseParamFlags(o.param));
        await rt.checkTargets();
        const plan = await planInvalidation(rt.store, [task.id], o.downstream === true);
        if (o.yes) refuseInFlight(plan, await inFlight(store));
        const removed = o.yes ? await invalidate(rt.store, plan) : 0;
        if (o.json) out(`${JSON.stringify({ dry_run: !o.yes, removed, tasks: plan.map((t) => ({ task_id: t.id, because: t.because, keys: t.keys })) }, null, 2)}\n`);
        else out(planText(plan, o.yes === true));
      } finally {
        await store.close();
        await rt.close();
      }
    });
}
