import { serializeError } from '../core/errors';
import { AttemptAbort } from '../core/executor';
import type { TargetStore } from '../core/target';
import type { AnyTask } from '../core/task';
import { type FromChild, type TaskRef, toChildSchema } from './child-protocol';
import { Requests } from './requests';
import { type AttemptHere, runAttemptHere } from './run-attempt';
import { checked, type Warn } from './wire';

/** What the loop of a worker process is given by the process that composes it. */
export interface ChildLoopDeps {
  readonly store: TargetStore;
  /** A task from its reference (loading its chain as needed), with what it gets from this process; throws if it cannot. */
  instantiate(ref: TaskRef): { task: AnyTask; here: AttemptHere };
  /** To the parent. */
  send(m: FromChild): void;
  /** Where a malformed message from the parent is reported (it is dropped). */
  warn: Warn;
}

/**
 * The loop of a worker process: run each attempt the parent sends here, stream its log lines
 * to the parent, ask the parent for dynamic requirements. Returns what to do with each
 * message from the parent.
 */
export function childLoop(deps: ChildLoopDeps): (raw: unknown) => void {
  const { store, send } = deps;
  const requests = new Requests();
  return (raw) => {
    const m = checked(toChildSchema, raw, 'message from the parent process', deps.warn);
    if (!m) return;
    if (m.type === 'required') {
      requests.settle(m);
      return;
    }
    // The parent stops an attempt by killing this process: nothing here ever aborts.
    const abort = new AttemptAbort();
    Promise.resolve()
      .then(() => {
        const { task, here } = deps.instantiate(m.task);
        return runAttemptHere({
          runId: m.runId,
          task,
          attempt: m.attempt,
          store,
          abort,
          onLog: (line) => send({ type: 'log', line }),
          require: (tasks) => requests.ask((reqId) => send({ type: 'require', reqId, tasks: tasks.map((t) => refFromInstance(t, m.task)) })),
        }, here);
      })
      .then(
        () => send({ type: 'done' }),
        (err: unknown) => send({ type: 'failed', error: serializeError(err) }),
      );
  };
}

/** A TaskRef for a task created inside the child: found through the locations discovery gave its class. */
function refFromInstance(t: AnyTask, parent: TaskRef): TaskRef {
  const [type, chain, name] = t.id.split('/') as [string, string, string];
  // The parent resolves by type/chain/name, so the file is only informative here.
  return { file: parent.file, type, chain, name, params: { ...t.params } };
}
