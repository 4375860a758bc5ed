/**
 * The types of the runtime's services that the API and the CLI see: they import these from
 * here, never from the layers below the runtime.
 */
export type { RunRow, RunStore, TaskRow } from '../store/types';
export type { DiscoveredTask, DiscoveryProblem, Registry } from '../discovery/registry';
export type { RunResult, TaskRecord } from '../scheduler/scheduler';
