/** The executor contract on the in-process executor: attempts run on this process's event loop. */
import { executorContract } from '../contract/executor-contract';
import { makeRuntime } from '../helpers/runtime';

executorContract('in-process', async (chains, targets) => {
  const rt = makeRuntime(chains, targets);
  return { rt, executor: 'inprocess', runsIn: (pid) => pid === process.pid, close: () => rt.close() };
});
