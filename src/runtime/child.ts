import { NectarError } from '../core/errors';
import type { AnyTask, TaskClass } from '../core/task';
import { dirname } from 'node:path';
import type { Registry } from '../discovery/registry';
import { childLoop } from '../executors/child-loop';
import type { FromChild, TaskRef } from '../executors/child-protocol';
import type { AttemptHere } from '../executors/run-attempt';
import { compose } from './compose';
import { routeConsole } from './console';

/**
 * A worker process: loads the chain a task lives in (once per file) for the child loop,
 * which runs the attempts the parent sends.
 */
export function childMain(): void {
  routeConsole();
  const send = (m: FromChild): void => {
    process.send?.(m);
  };
  // Its parent's configuration, from the environment the parent computed (`childEnvironment`).
  const parts = compose({ defaultLogLevel: 'warn' });
  const loaded = new Map<string, { reg: Registry; classes: Map<string, TaskClass> }>();

  // The chain type of a task is loaded whole, once: its settings may be declared in any of its files.
  const instantiate = (r: TaskRef): { task: AnyTask; here: AttemptHere } => {
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
    const task = hit.reg.instantiate(found, r.params);
    return { task, here: { settings: hit.reg.settingsOf(task), programEnv: parts.programEnv } };
  };

  process.on('message', childLoop({ store: parts.targets, instantiate, send, warn: (text) => console.warn(text) }));
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready' });
}
