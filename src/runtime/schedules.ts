import { checkComplete } from '../core/binding';
import type { Clock } from '../core/clock';
import { NectarError } from '../core/errors';
import { systemClock } from './clock';
import type { RunManager } from './runs';
import type { Runtime } from './runtime';
import { ScheduleRunner, scheduleKey } from './schedule-runner';

/** The schedule runner of a process: the chains' schedules, fired as runs of `runs` (and recorded in its store). */
export function scheduleRunner(rt: Runtime, runs: RunManager, clock: Clock = systemClock): ScheduleRunner {
  return new ScheduleRunner({
    schedules: rt.registry.schedules,
    store: runs.store,
    clock,
    logger: rt.logger,
    fire: async (s, trigger, runId) => void (await runs.fire(s.task, () => s.paramsAt(new Date(trigger.tick)), trigger, runId)),
    checkDeadline: async (s, tick, deadline) => {
      const task = rt.instantiateFrom(s.task, s.paramsAt(tick));
      const [complete] = await checkComplete([task], rt.store);
      if (complete) return;
      const key = scheduleKey(s);
      await runs.store.putDeadlineMiss({ taskId: task.id, key, tick: tick.getTime(), deadline: deadline.getTime() });
      rt.logger.warn({ schedule: key, task_id: task.id, tick: tick.toISOString(), deadline: deadline.toISOString() }, `schedule ${key}: the partition of the tick of ${tick.toISOString()} was not DONE by its deadline`);
      runs.webhooks.deadlineMissed({ schedule: key, ref: s.ref, taskId: task.id, params: task.params, tick: tick.getTime(), deadline: deadline.getTime() });
    },
  });
}

/** The key of the schedule a user names: `type/Task/name` or `type/chain/Task/name` (the task resolved as everywhere). */
export function scheduleKeyOf(rt: Runtime, named: string): string {
  const cut = named.lastIndexOf('/');
  if (cut <= 0) throw new NectarError('USAGE', `${JSON.stringify(named)}: expected <type>/<Task>/<schedule> (or <type>/<chain>/<Task>/<schedule>)`);
  return scheduleKey({ ref: rt.resolve(named.slice(0, cut)).ref, name: named.slice(cut + 1) });
}
