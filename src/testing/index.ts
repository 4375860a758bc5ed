/**
 * The test kit for chain authors: `import { testKit } from 'nectar/testing'` in a jest test.
 * Runs tasks against a temp target root with fake settings; plans without running.
 */
export { testKit, TestKit } from './kit';
export type { FakeSettings, TestKitOptions, TestRun, TestPlan, TaskOutcome, SeedContent } from './kit';
export type { PlanEntry } from '../runtime/runtime';
