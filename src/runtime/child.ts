import { NectarError, serializeError } from '../core/errors';
import { AttemptAbort } from '../core/executor';
import { type AnyTask, type TaskClass, construct } from '../core/task';
import { dirname } from 'node:path';
import { discover } from '../discovery/discover';
import type { FromChild, TaskRef, ToChild } from '../executors/child-protocol';
import { runAttemptHere } from '../executors/run-attempt';
import { loadConfig } from './config';
import { routeConsole } from './console';
import { createTargetStore } from './targets';

/**
 * The loop of a worker process: load the chain a task lives in (once per file), run the
 * attempt here, stream its log lines to the parent, ask the parent for dynamic requirements.
 */
export function childMain(): void {
  routeConsole();
  const send = (m: FromChild): void => {
    process.send?.(m);
  };
  const config = loadConfig();
  const store = createTargetStore(config);
  const loaded = new Map<string, Map<string, TaskClass>>();
  const requests = new Map<number, { resolve(): void; reject(e: Error): void }>();
  let nextReq = 1;

  // The chain type of a task is loaded whole, once: its settings may be declared in any of its files.
  const instantiate = (r: TaskRef): AnyTask => {
    const root = dirname(dirname(r.file));
    const key = `${root}\0${r.type}`;
    let classes = loaded.get(key);
    if (!classes) {
      const reg = discover(root, require, { only: r.type, settingsDir: config.settingsDir });
      if (reg.tasks.length === 0) throw new NectarError('BAD_TASK_DEFINITION', `worker process could not load chain type ${r.type}: ${reg.problems.map((p) => p.reason).join('; ')}`);
      classes = new Map(reg.tasks.map((t) => [`${t.chain}/${t.name}`, t.cls]));
      loaded.set(key, classes);
    }
    const cls = classes.get(`${r.chain}/${r.name}`);
    if (!cls) throw new NectarError('UNKNOWN_TASK', `worker process: ${r.file} exports no task ${r.name}`);
    return construct(cls, r.params);
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
        const task = instantiate(m.task);
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
        });
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
