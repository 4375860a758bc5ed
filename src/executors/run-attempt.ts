import { bindInputs, checkRequirements, deleteOutputs, outputShape, requirementShape, taskFolder } from '../core/binding';
import { NectarError, serializeError } from '../core/errors';
import type { TaskAttempt } from '../core/executor';
import { mapShape } from '../core/shape';
import type { SettingValue } from '../core/settings';
import { type RunContext, isOutputSpec } from '../core/task';
import { GuardedTarget } from './guarded-target';
import { LineageRecord } from './lineage-record';
import { execProgram } from './program';
import { runWithTaskLog } from './task-console';
import { TaskLog, writeTaskLog } from './task-log';

/** What an attempt run in this process gets from the process itself (its registry and configuration). */
export interface AttemptHere {
  /** The settings the task declared, with this process's values: `ctx.settings`. */
  readonly settings: Readonly<Record<string, SettingValue>>;
  /** What a program the task runs inherits of the environment (see `programEnvironment`). */
  readonly programEnv: Readonly<Record<string, string>>;
}

/**
 * Run one attempt of a task in this process: `params.json` and `lineage.json` first, then `run(ctx)` raced
 * against the abort signal, then a check that every declared output exists; the task's log
 * is written beside the outputs whatever happens, and a failed attempt leaves no output.
 */
export async function runAttemptHere(a: TaskAttempt, here: AttemptHere): Promise<void> {
  const { task, store, abort } = a;
  const folder = taskFolder(task.id);
  const log = new TaskLog(task.id, a.attempt, a.onLog);
  const lineage = new LineageRecord(task, store, a.runId);
  await Promise.all([store.target(`${folder}/params.json`).write(`${JSON.stringify(task.params, null, 2)}\n`), lineage.start()]);
  const started = performance.now();
  const guarded: GuardedTarget[] = [];
  try {
    log.write('info', `${task} started`, { params: task.params });
    const output = mapShape(outputShape(task), isOutputSpec, (s) => {
      const g = new GuardedTarget(store.target(`${folder}/${s.name}`), abort);
      guarded.push(g);
      return g;
    });
    const input = bindInputs(requirementShape(task), store);
    const { settings, programEnv } = here;
    const ctx: RunContext = {
      taskId: task.id,
      input: input as never,
      output: output as never,
      get log() {
        return log.logger;
      },
      get signal() {
        return abort.signal;
      },
      attempt: a.attempt,
      exec: (command) => execProgram({ task, store, abort, log, input, output, settings, env: programEnv }, command),
      settings,
      async require(req) {
        const tasks = checkRequirements(req, `${task}: ctx.require()`);
        await Promise.race([a.require(tasks), abort.aborted]);
        await lineage.add(tasks, true);
        return bindInputs(req, store) as never;
      },
    };
    await Promise.race([runWithTaskLog(log, () => task.run(ctx as RunContext<typeof task>)), abort.aborted]);
    // Outputs written through ctx.output are known to exist; anything else is checked.
    const unsure = guarded.filter((g) => !g.written);
    if (unsure.length > 0) {
      const exist = await store.existsMany(unsure.map((g) => g.key));
      const missing = unsure.filter((_, i) => !exist[i]);
      if (missing.length > 0) {
        throw new NectarError('TASK_FAILED', `${task}: run() finished but did not write ${missing.map((g) => g.key.slice(folder.length + 1)).join(', ')}`);
      }
    }
    lineage.finish();
    log.write('info', `${task} done`, { ms: Math.round(performance.now() - started) });
  } catch (err) {
    const e = serializeError(err);
    const ms = Math.round(performance.now() - started);
    // A cancel is someone's decision, not a crash: said as such, without nectar's own stack.
    if (e.code === 'CANCELLED') log.write('warn', `${task} cancelled: ${e.message}`, { ms });
    else log.write('error', `${task} failed: ${e.message}`, { ms, err: { type: e.name, message: e.message, stack: e.stack } });
    await deleteOutputs(task, store);
    throw err;
  } finally {
    await writeTaskLog(store, task.id, a.attempt, log.text());
  }
}
