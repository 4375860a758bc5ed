import type { SerializedError } from '../core/errors';
import type { TaskClass } from '../core/task';

/** A task found in a chain file. */
export interface DiscoveredTask {
  readonly type: string;
  /** The chain file's base name, e.g. `hello_chain`. */
  readonly chain: string;
  readonly name: string;
  readonly cls: TaskClass;
  readonly file: string;
  /** `<type>/<chain>/<name>`: unique. */
  readonly ref: string;
}

/** Something discovery skipped, and why. */
export interface DiscoveryProblem {
  readonly path: string;
  readonly reason: string;
  readonly error?: SerializedError;
}
