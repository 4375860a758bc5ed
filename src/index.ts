/**
 * The public surface for chain authors: `import { task, p } from 'nectar'`.
 * Named exports only; internals are not reachable from chain files.
 */
export { Task, task, program, defineChain, OutputSpec } from './core/task';
export type { RunContext, CompleteContext, Requirements, OutputShape, InputsOf, OutputsOf, AnyTask, TaskClass } from './core/task';
export { p } from './core/params';
export { setting, defineSettings } from './core/settings';
export type { SettingValue, SettingSpec, SettingsSchema } from './core/settings';
export type { Param, ParamSchema, ParamsOf, ParamsInput, JsonSchema } from './core/params';
export type { TaskOptions, ExecutorKind } from './core/options';
export type { ScheduleSpec, Tick, CatchUp } from './core/schedule';
export type { Target, TargetStore, AtomicWriter, WriteSource } from './core/target';
export { NectarError, NonRetryableError } from './core/errors';
export type { ErrorCode } from './core/errors';
export type { TaskState, RunState } from './core/states';
export type { Json } from './core/identity';
