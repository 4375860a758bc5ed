import { Option } from 'commander';
import { STALE_POLICIES } from '../core/options';
import type { PlanEntry } from '../runtime/runtime';

/** `--stale rebuild|keep|fail` of `run` and `plan`. */
export function staleOption(): Option {
  return new Option('--stale <policy>', 'what to do with stale tasks whose class does not choose').choices([...STALE_POLICIES]).default('rebuild');
}

const ACTION = { run: 'run     ', complete: 'complete', stale: 'stale   ' } as const;
const FATE = { rebuild: 'would be rebuilt', keep: 'would be kept', fail: 'would fail the run' } as const;

/** `nectar plan` for people: each task with what a run would do, stale ones with why. */
export function planText(plan: readonly PlanEntry[]): string {
  const lines: string[] = [];
  const count = { run: 0, complete: 0, stale: 0 };
  for (const e of plan) {
    count[e.action]++;
    lines.push(`${ACTION[e.action]}  ${e.task}  ${e.id}`);
    if (e.action !== 'stale') continue;
    const paren = e.task.indexOf('(');
    const name = paren > 0 ? e.task.slice(0, paren) : e.task;
    for (const r of e.reasons ?? []) lines.push(`          ${name}: ${r}`);
    if (e.policy) lines.push(`          (${FATE[e.policy]})`);
  }
  const stale = count.stale > 0 ? `, ${count.stale} stale` : '';
  lines.push('', `${count.run} to run${stale}, ${count.complete} complete (fresh by their lineage; what they need is not planned)`);
  return `${lines.join('\n')}\n`;
}
