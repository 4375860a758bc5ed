import { EventBus } from '../../src/core/events';
import { LiveLogs } from '../../src/runtime/live-logs';

describe('LiveLogs', () => {
  const line = (runId: string, taskId: string, text: string) => ({ runId, taskId, line: `${text}\n` });

  it('keeps the last lines of a running task, counts the dropped ones, forgets it at a terminal state', () => {
    const events = new EventBus();
    const logs = new LiveLogs(events, 3);
    for (let i = 1; i <= 5; i++) events.emit('task:log', line('r1', 't', `l${i}`));
    expect(logs.get('t')).toEqual({ lines: ['l3\n', 'l4\n', 'l5\n'], dropped: 2 });
    events.emit('task:state', { runId: 'r1', taskId: 't', state: 'PENDING', previous: 'RUNNING', at: 0, attempt: 1 });
    expect(logs.get('t')?.lines).toHaveLength(3); // a retry keeps its buffer
    events.emit('task:state', { runId: 'r1', taskId: 't', state: 'FAILED', previous: 'RUNNING', at: 0, attempt: 2 });
    expect(logs.get('t')).toBeUndefined();
    expect(logs.size).toBe(0);
  });

  it('keeps tasks and runs apart, and drops what is left when a run ends', () => {
    const events = new EventBus();
    const logs = new LiveLogs(events);
    events.emit('task:log', line('r1', 'a', 'a1'));
    events.emit('task:log', line('r2', 'b', 'b1'));
    events.emit('task:state', { runId: 'r2', taskId: 'a', state: 'DONE', previous: 'RUNNING', at: 0, attempt: 1 });
    expect(logs.get('a')?.lines).toEqual(['a1\n']); // another run's state change does not touch it
    events.emit('run:end', { runId: 'r1', state: 'CANCELLED', at: 0, counts: { PENDING: 0, QUEUED: 0, RUNNING: 0, DONE: 0, FAILED: 0, UPSTREAM_FAILED: 0, CANCELLED: 1 } });
    expect(logs.get('a')).toBeUndefined();
    expect(logs.get('b')?.lines).toEqual(['b1\n']);
    logs.close();
    events.emit('task:log', line('r2', 'c', 'c1'));
    expect(logs.get('c')).toBeUndefined();
  });
});
