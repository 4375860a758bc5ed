import { NectarError, serializeError } from '../core/errors';
import { AttemptAbort } from '../core/executor';
import type { AnyTask, TaskClass } from '../core/task';
import { dirname } from 'node:path';
import type { FromChild, TaskRef, ToChild } from '../executors/child-protocol';
import { runAttemptHere } from '../executors/run-attempt';
import type { Registry } from '../discovery/registry';
import { compose } from './compose';
import { routeConsole } from './console';

/**
 * The loop of a worker process: load the chain a task lives in (once per file), run the
 * attempt here, stream its log lines to the parent, ask the parent for dynamic requirements.
 */
export function childMain(): void {
  routeConsole();
  const send = (m: FromChild): void => {
    process.send?.(m);
  };
  // Its parent's configuration, from the environment the parent computed (`childEnvironment`).
  const parts = compose({ defaultLogLevel: 'warn' });
  const store = parts.targets;
  const loaded = new Map<string, { reg: Registry; classes: Map<string, TaskClass> }>();
  const requests = new Map<number, { resolve(): void; reject(e: Error): void }>();
  let nextReq = 1;

  // The chain type of a task is loaded whole, once: its settings may be declared in any of its files.
  const instantiate = (r: TaskRef): { task: AnyTask; reg: Registry } => {
    const root = dirname(dirname(r.file));
    const key = `${root}\0${r.type}`;
    let hit = loaded.get(key);
    if (!hit) {
      const reg = parts.discover(root, { only: r.type });
      if (reg.tasks.length === 0) throw new NectarError('BAD_TASK_DEFINITION', `worker process could not load chain type ${r.type}: ${reg.problems.map((p) => p.reason).join('; ')}`);
      hit = { reg, classes: new Map(reg.tasks.map((t) => [`${t.chain}/${t.name}`, t.cls])) };
      loaded.set(key, hit);
    }
    const cls = hit.classes.get(`${r.chain}/${r.name}`);
    const found = cls && hit.reg.byClass(cls);
    if (!found) throw new NectarError('UNKNOWN_TASK', `worker process: ${r.file} exports no task ${r.name}`);
    return { task: hit.reg.instantiate(found, r.params), reg: hit.reg };
  };

  process.on('message', (m: ToChild) => {
    if (m.type === 'required') {
      const req = requests.get(m.reqId);
      requests.delete(m.reqId);
      if (m.error) req?.reject(new Error(m.error.message));
      else req?.resolve();
      return;
    }
    // The parent stops an attempt by killing this process: nothing here ever aborts.
    const abort = new AttemptAbort();
    Promise.resolve()
      .then(() => {
        const { task, reg } = instantiate(m.task);
        return runAttemptHere({
          runId: m.runId,
          task,
          attempt: m.attempt,
          store,
          abort,
          onLog: (line) => send({ type: 'log', line }),
          require: (tasks) =>
            new Promise<void>((resolve, reject) => {
              const reqId = nextReq++;
              requests.set(reqId, { resolve, reject });
              send({ type: 'require', reqId, tasks: tasks.map((t) => refFromInstance(t, m.task)) });
            }),
        }, { settings: reg.settingsOf(task), programEnv: parts.programEnv });
      })
      .then(
        () => send({ type: 'done' }),
        (err: unknown) => send({ type: 'failed', error: serializeError(err) }),
      );
  });
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready' });
}

/** A TaskRef for a task created inside the child: found through the locations discovery gave its class. */
function refFromInstance(t: AnyTask, parent: TaskRef): TaskRef {
  const [type, chain, name] = t.id.split('/') as [string, string, string];
  // The parent resolves by type/chain/name, so the file is only informative here.
  return { file: parent.file, type, chain, name, params: { ...t.params } };
}
