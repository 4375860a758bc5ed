import type { ChildProcess } from 'node:child_process';

export interface AutoscaleOptions {
  min: number;
  max: number;
  /** Jobs at once per worker process. */
  concurrency: number;
  /** Starts one worker process. */
  spawn(): ChildProcess;
  /** Jobs waiting plus jobs running, over the queues the workers take. */
  depth(): Promise<number>;
  /** How often the depth is read (ms, default 1000). */
  interval?: number;
  /** How long there must be more processes than needed before one is stopped (ms, default 30 s). */
  scaleDownAfter?: number;
  log(msg: string): void;
}

/**
 * `nectar worker --autoscale MIN..MAX`: keeps between MIN and MAX worker processes on this
 * machine, as many as the queue depth needs (`ceil((waiting + active) / concurrency)`). It
 * scales up at once and down one process at a time, after the surplus has lasted
 * `scaleDownAfter`; a stopped process gets SIGTERM, so it finishes its tasks first. A process
 * that dies is replaced on the next tick. Across machines, scale on the `nectar_queue_jobs`
 * gauge of `/metrics` instead (Kubernetes HPA, KEDA).
 */
export class Autoscaler {
  readonly #procs: ChildProcess[] = [];
  readonly #stopping = new Set<ChildProcess>();
  #timer: NodeJS.Timeout | undefined;
  #surplusSince: number | undefined;
  #closed = false;
  #ticking = false;

  constructor(private readonly o: AutoscaleOptions) {}

  /** Processes running (those asked to stop not counted). */
  get size(): number {
    return this.#procs.length;
  }

  start(): void {
    while (this.#procs.length < this.o.min) this.#add();
    this.#timer = setInterval(() => void this.tick(), this.o.interval ?? 1000);
  }

  /** One look at the queues, and the processes started or stopped that it calls for. */
  async tick(): Promise<void> {
    if (this.#closed || this.#ticking) return;
    this.#ticking = true;
    try {
      let depth: number;
      try {
        depth = await this.o.depth();
      } catch {
        return; // Redis away: keep what runs
      }
      if (this.#closed) return;
      const want = Math.min(this.o.max, Math.max(this.o.min, Math.ceil(depth / this.o.concurrency)));
      const have = this.#procs.length;
      if (want > have) {
        this.#surplusSince = undefined;
        this.o.log(`autoscale: ${have} -> ${want} worker processes (${depth} jobs waiting or running)`);
        while (this.#procs.length < want) this.#add();
      } else if (want < have) {
        const now = Date.now();
        this.#surplusSince ??= now;
        if (now - this.#surplusSince >= (this.o.scaleDownAfter ?? 30_000)) {
          this.#surplusSince = undefined;
          this.o.log(`autoscale: ${have} -> ${have - 1} worker processes (${depth} jobs waiting or running)`);
          this.#retire(this.#procs[this.#procs.length - 1] as ChildProcess);
        }
      } else this.#surplusSince = undefined;
    } finally {
      this.#ticking = false;
    }
  }

  #add(): void {
    const p = this.o.spawn();
    this.#procs.push(p);
    p.once('exit', (code, signal) => {
      const i = this.#procs.indexOf(p);
      if (i >= 0) this.#procs.splice(i, 1);
      if (!this.#stopping.delete(p) && !this.#closed) this.o.log(`autoscale: worker process ${p.pid} exited (${signal ?? `code ${code}`}); replacing it if still needed`);
    });
  }

  #retire(p: ChildProcess): void {
    const i = this.#procs.indexOf(p);
    if (i >= 0) this.#procs.splice(i, 1);
    this.#stopping.add(p);
    p.kill('SIGTERM');
  }

  /**
   * SIGTERM every process (they finish their tasks) and wait for all of them; one still alive
   * `killAfterMs` later is SIGKILLed (its jobs stall and are taken again elsewhere).
   */
  async close(killAfterMs = 60_000): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    const all = [...this.#procs, ...this.#stopping];
    await Promise.all(all.map((p) => new Promise<void>((res) => {
      if (p.exitCode !== null || p.signalCode !== null) return res();
      const kill = setTimeout(() => {
        this.o.log(`autoscale: worker process ${p.pid} did not stop within ${Math.round(killAfterMs / 1000)} s: killing it`);
        p.kill('SIGKILL');
      }, killAfterMs);
      p.once('exit', () => {
        clearTimeout(kill);
        res();
      });
      p.kill('SIGTERM');
    })));
    this.#procs.length = 0;
  }
}
