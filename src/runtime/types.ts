/**
 * Types of the layers under the runtime that the API, the CLI and the test kit name: they
 * import them from here, so they depend on the runtime only, never on the store, discovery,
 * dag, scheduler or distributed modules themselves.
 */
export type { TaskGraph } from '../dag/render';
export type { DiscoveredTask, DiscoveryProblem, Registry } from '../discovery/registry';
export type { QueueDepth } from '../distributed/executor';
export type { RunResult, TaskRecord } from '../scheduler/scheduler';
export type { BackfillPart, BackfillRow, BackfillState, PartState, RunQuery, RunRow, RunStore, RunTrigger, ScheduleState, ScheduleTrigger, TaskInRun, TaskRow } from '../store/types';
export type { CompiledSchedule } from '../discovery/schedules';
