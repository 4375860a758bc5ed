import { NectarError } from '../core/errors';
import { type AnyTask, type TaskClass, construct } from '../core/task';
import { dirname } from 'node:path';
import { discover } from '../discovery/discover';
import { childLoop } from '../executors/child-loop';
import type { FromChild, TaskRef } from '../executors/child-protocol';
import { loadConfig } from './config';
import { routeConsole } from './console';
import { createTargetStore } from './targets';

/**
 * A worker process: loads the chain a task lives in (once per file) for the child loop,
 * which runs the attempts the parent sends.
 */
export function childMain(): void {
  routeConsole();
  const send = (m: FromChild): void => {
    process.send?.(m);
  };
  const config = loadConfig();
  const store = createTargetStore(config);
  const loaded = new Map<string, Map<string, TaskClass>>();

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

  process.on('message', childLoop({ store, instantiate, send, warn: (text) => console.warn(text) }));
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready' });
}
