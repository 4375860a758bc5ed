import { NectarError } from './errors';
import { LINEAGE_FILE } from './lineage';
import { type Shape, flattenShape, isShapeOf, mapShape } from './shape';
import type { TargetStore } from './target';
import { type AnyTask, type OutputSpec, type Requirements, Task, isOutputSpec, isTask } from './task';

/** The folder of a task under the target root. */
export function taskFolder(taskId: string): string {
  return `chains/${taskId}`;
}

/**
 * What a task instance declares (`output()`, `requires()`), asked once: tasks are immutable,
 * so the DAG, the completeness check and the run share one answer.
 */
function declaredOnce<V>(cache: WeakMap<AnyTask, V>, task: AnyTask, method: 'output' | 'requires', make: (shape: unknown) => V): V {
  let v = cache.get(task);
  if (v !== undefined) return v;
  let shape: unknown;
  try {
    shape = task[method]();
  } catch (err) {
    throw new NectarError('BAD_TASK_DEFINITION', `${task}: ${method}() threw: ${(err as Error).message}`);
  }
  v = make(shape);
  cache.set(task, v);
  return v;
}

interface Outputs {
  shape: Shape<OutputSpec>;
  specs: OutputSpec[];
}
const declaredOutputs = new WeakMap<AnyTask, Outputs>();

function outputsOf(task: AnyTask): Outputs {
  return declaredOnce(declaredOutputs, task, 'output', (shape) => {
    if (!isShapeOf(shape, isOutputSpec)) {
      throw new NectarError('BAD_TASK_DEFINITION', `${task}: output() must return this.target(name), a list or a record of them`);
    }
    return { shape: shape as Shape<OutputSpec>, specs: flattenShape(shape as Shape<OutputSpec>, isOutputSpec) };
  });
}

/** The declared outputs of a task, checked. */
export function outputSpecs(task: AnyTask): OutputSpec[] {
  return outputsOf(task).specs;
}

/** The declared output shape of a task, checked. */
export function outputShape(task: AnyTask): Shape<OutputSpec> {
  return outputsOf(task).shape;
}

/** Keys of a task's outputs under the target root. */
export function outputKeys(task: AnyTask): string[] {
  const folder = taskFolder(task.id);
  return outputSpecs(task).map((s) => `${folder}/${s.name}`);
}

/** Remove whatever a failed or stopped attempt may have left at the task's outputs, and the lineage that named them. */
export async function deleteOutputs(task: AnyTask, store: TargetStore): Promise<void> {
  const folder = taskFolder(task.id);
  const names = [...outputSpecs(task).map((s) => s.name), LINEAGE_FILE];
  await Promise.all(names.map((name) => store.target(`${folder}/${name}`).delete().catch(() => undefined)));
}

/** The task's outputs as Targets, in the shape `output()` returned. */
export function bindOutputs(task: AnyTask, store: TargetStore): unknown {
  const folder = taskFolder(task.id);
  return mapShape(outputShape(task), isOutputSpec, (s) => store.target(`${folder}/${s.name}`));
}

interface Required {
  shape: Requirements;
  tasks: AnyTask[];
}
const declaredRequirements = new WeakMap<AnyTask, Required>();

function requirementsOf(task: AnyTask): Required {
  return declaredOnce(declaredRequirements, task, 'requires', (shape) => ({ shape: shape as Requirements, tasks: checkRequirements(shape, `${task}: requires()`) }));
}

/** The tasks `requires()` returned, checked and flattened. */
export function requiredTasks(task: AnyTask): AnyTask[] {
  return requirementsOf(task).tasks;
}

/** What `requires()` returned, in its shape. */
export function requirementShape(task: AnyTask): Requirements {
  return requirementsOf(task).shape;
}

export function checkRequirements(shape: unknown, what: string): AnyTask[] {
  if (!isShapeOf(shape, isTask)) {
    throw new NectarError('BAD_TASK_DEFINITION', `${what} must return a task, a list or a record of tasks`);
  }
  return flattenShape(shape as Shape<AnyTask>, isTask);
}

/** A requirements shape with each task replaced by its bound outputs (what `ctx.input` is). */
export function bindInputs(shape: unknown, store: TargetStore): unknown {
  return mapShape(shape as Shape<AnyTask>, isTask, (t) => bindOutputs(t, store));
}

/** Whether a class keeps the default `complete()` (then checks can be batched). */
function hasCustomComplete(task: AnyTask): boolean {
  return task.complete !== Task.prototype.complete;
}

/**
 * Completeness of many tasks: default `complete()` (all outputs exist) batched into one
 * `existsMany`; overridden ones called one by one.
 */
export async function checkComplete(tasks: readonly AnyTask[], store: TargetStore): Promise<boolean[]> {
  const result = new Array<boolean>(tasks.length).fill(false);
  const keys: string[] = [];
  const owner: number[] = [];
  const custom: number[] = [];
  tasks.forEach((t, i) => {
    if (hasCustomComplete(t)) {
      custom.push(i);
      return;
    }
    const ks = outputKeys(t);
    if (ks.length === 0) return; // no outputs: never complete, like Luigi
    result[i] = true;
    for (const k of ks) {
      keys.push(k);
      owner.push(i);
    }
  });
  if (keys.length > 0) {
    const exists = await store.existsMany(keys);
    exists.forEach((e, j) => {
      if (!e) result[owner[j] as number] = false;
    });
  }
  for (const i of custom) {
    const t = tasks[i] as AnyTask;
    result[i] = await t.complete({ output: bindOutputs(t, store) as never, store });
  }
  return result;
}
