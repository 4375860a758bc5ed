import pino from 'pino';
import { bindInputs, checkRequirements, outputKeys, outputSpecs, taskFolder } from '../core/binding';
import { NectarError } from '../core/errors';
import { type Shape, mapShape } from '../core/shape';
import type { TaskAttempt } from '../core/executor';
import { type RunContext, isOutputSpec, type OutputSpec } from '../core/task';
import { GuardedTarget } from './guarded-target';

/** Rejects when `signal` aborts, with its reason. */
export function abortPromise(signal: AbortSignal): { promise: Promise<never>; dispose(): void } {
  let onAbort: () => void = () => undefined;
  const promise = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new NectarError('CANCELLED', 'task aborted'));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  promise.catch(() => undefined);
  return { promise, dispose: () => signal.removeEventListener('abort', onAbort) };
}

/**
 * Run one attempt of a task in this process: `params.json` first, then `run(ctx)` raced
 * against the abort signal, then a check that every declared output exists; the task's log
 * is written beside the outputs whatever happens, and a failed attempt leaves no output.
 */
export async function runAttemptHere(a: TaskAttempt): Promise<void> {
  const { task, store, signal } = a;
  const folder = taskFolder(task.id);
  const lines: string[] = [];
  const log = pino(
    { base: { task: task.id, attempt: a.attempt }, timestamp: pino.stdTimeFunctions.isoTime },
    {
      write(line: string) {
        lines.push(line);
        a.onLog(line);
      },
    },
  );
  await store.target(`${folder}/params.json`).write(`${JSON.stringify(task.params, null, 2)}\n`);
  const aborted = abortPromise(signal);
  const started = performance.now();
  try {
    log.info({ params: task.params }, `${task} started`);
    const output = mapShape(task.output() as Shape<OutputSpec>, isOutputSpec, (s) => new GuardedTarget(store.target(`${folder}/${s.name}`), signal));
    const ctx: RunContext = {
      taskId: task.id,
      input: bindInputs(task.requires(), store) as never,
      output: output as never,
      log,
      signal,
      attempt: a.attempt,
      async require(req) {
        const tasks = checkRequirements(req, `${task}: ctx.require()`);
        await Promise.race([a.require(tasks), aborted.promise]);
        return bindInputs(req, store) as never;
      },
    };
    await Promise.race([task.run(ctx as RunContext<typeof task>), aborted.promise]);
    const keys = outputKeys(task);
    const exist = await store.existsMany(keys);
    const missing = keys.filter((_, i) => !exist[i]);
    if (missing.length > 0) {
      throw new NectarError('TASK_FAILED', `${task}: run() finished but did not write ${missing.map((k) => k.slice(folder.length + 1)).join(', ')}`);
    }
    log.info({ ms: Math.round(performance.now() - started) }, `${task} done`);
  } catch (err) {
    log.error({ err, ms: Math.round(performance.now() - started) }, `${task} failed: ${(err as Error)?.message ?? String(err)}`);
    await Promise.all(outputSpecs(task).map((s) => store.target(`${folder}/${s.name}`).delete().catch(() => undefined)));
    throw err;
  } finally {
    aborted.dispose();
    await store.target(`${folder}/log`).write(lines.join(''));
  }
}
