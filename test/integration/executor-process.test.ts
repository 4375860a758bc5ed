/** The executor contract on the process executor: attempts run in worker processes this one forks. */
import { readFileSync } from 'node:fs';
import { executorContract } from '../contract/executor-contract';
import { makeRuntime } from '../helpers/runtime';

/** The parent pid of a process from /proc (the field after the command name), or undefined once it is gone. */
function parentOf(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

executorContract('process', async (chains, targets) => {
  const rt = makeRuntime(chains, targets);
  // Another process, and a child of this one while it lives (the pool retires the extra
  // process it started while a task waited in ctx.require()).
  const runsIn = (pid: number): boolean => pid !== process.pid && (parentOf(pid) ?? process.pid) === process.pid;
  return { rt, executor: 'process', runsIn, close: () => rt.close() };
});
