/**
 * Types of the layers under the runtime that the API and the CLI name: they import them from
 * here, so they depend on the runtime only, never on the store, discovery, dag or distributed
 * modules themselves.
 */
export type { TaskGraph } from '../dag/render';
export type { DiscoveredTask } from '../discovery/registry';
export type { QueueDepth } from '../distributed/executor';
export type { RunQuery, RunRow, TaskRow } from '../store/types';
