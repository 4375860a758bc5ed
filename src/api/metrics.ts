import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { EventBus } from '../core/events';
import { isTerminal } from '../core/states';
import type { QueueDepth } from '../runtime/types';

/** Prometheus metrics of one server (its own registry: no global state). */
export class Metrics {
  readonly registry = new Registry();
  readonly http: Histogram<'method' | 'route' | 'status'>;
  readonly #offs: (() => void)[] = [];

  /** `queueDepths`: distributed mode, the depth of each task queue (gauges read on each scrape). */
  constructor(events: EventBus, activeRuns: () => number, queueDepths?: () => Promise<Record<string, QueueDepth>>) {
    collectDefaultMetrics({ register: this.registry, prefix: 'nectar_process_' });
    const runs = new Counter({ name: 'nectar_runs_total', help: 'Runs ended, by final state', labelNames: ['state'], registers: [this.registry] });
    const tasks = new Counter({ name: 'nectar_tasks_total', help: 'Tasks ended, by final state (skipped: DONE because already complete)', labelNames: ['state', 'skipped'], registers: [this.registry] });
    const duration = new Histogram({
      name: 'nectar_task_duration_seconds',
      help: 'Task run time, from RUNNING to its end',
      labelNames: ['task', 'state'],
      buckets: [0.001, 0.01, 0.1, 0.5, 1, 5, 30, 120, 600, 3600],
      registers: [this.registry],
    });
    new Gauge({
      name: 'nectar_runs_active',
      help: 'Runs in flight on this server',
      registers: [this.registry],
      collect() {
        this.set(activeRuns());
      },
    });
    if (queueDepths) {
      new Gauge({
        name: 'nectar_queue_jobs',
        help: 'Distributed mode: jobs per task queue and state (waiting, active, delayed); scale workers on waiting',
        labelNames: ['queue', 'state'],
        registers: [this.registry],
        async collect() {
          const depths = await queueDepths().catch(() => ({}) as Record<string, QueueDepth>);
          this.reset();
          for (const [queue, d] of Object.entries(depths)) {
            for (const state of ['waiting', 'active', 'delayed'] as const) this.set({ queue, state }, d[state]);
          }
        },
      });
    }
    this.http = new Histogram({
      name: 'nectar_http_request_duration_seconds',
      help: 'HTTP request latency',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5],
      registers: [this.registry],
    });
    const started = new Map<string, number>();
    this.#offs.push(
      events.on('run:end', (e) => runs.inc({ state: e.state })),
      events.on('task:state', (e) => {
        const key = `${e.runId}\n${e.taskId}`;
        if (e.state === 'RUNNING') started.set(key, e.at);
        if (!isTerminal(e.state)) return;
        tasks.inc({ state: e.state, skipped: e.skipped ? 'true' : 'false' });
        const t0 = started.get(key);
        if (t0 !== undefined) {
          started.delete(key);
          duration.observe({ task: e.taskId.split('/').slice(0, 3).join('/'), state: e.state }, (e.at - t0) / 1000);
        }
      }),
    );
  }

  close(): void {
    for (const off of this.#offs) off();
  }
}
