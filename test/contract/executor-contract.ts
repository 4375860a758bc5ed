import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { taskFolder } from '../../src/core/binding';
import type { ExecutorKind } from '../../src/core/options';
import type { AnyTask } from '../../src/core/task';
import type { RunOptions, Runtime } from '../../src/runtime/runtime';
import type { RunResult } from '../../src/scheduler/scheduler';
import { rmDir, tempDir, writeChains } from '../helpers/runtime';
import { EXECUTOR_CHAIN, EXECUTOR_CHAIN_FILE } from './executor-chain';

/** One executor as users get it: a runtime and the run option that picks the executor. */
export interface ExecutorUnderTest {
  readonly rt: Runtime;
  readonly executor: ExecutorKind;
  /** True when the process with this pid is one this executor runs attempts in. */
  runsIn(pid: number): boolean;
  close(): Promise<void>;
}

/**
 * Over a chains folder and a target root, a runtime and its executor. The suite runs with
 * `workers: 1` (so one worker process in the pool); anything else that runs attempts must have
 * one slot too (`nectar worker --concurrency 1`): where `ctx.require()` could deadlock, and
 * where an attempt that kept its slot after a cancel would hold up the next task.
 */
export type MakeExecutor = (chains: string, targets: string) => Promise<ExecutorUnderTest>;

interface LogLine {
  attempt: number;
  msg: string;
}

const ref = (name: string): string => `contract/${name}`;

async function until(what: string, ok: () => boolean, ms = 20_000): Promise<void> {
  for (const end = Date.now() + ms; !ok() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 25));
  if (!ok()) throw new Error(`timed out waiting for ${what}`);
}

const sleepUntil = (at: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));

/** When the task that drops this marker started (the marker holds the time). */
async function startedAt(marker: string): Promise<number> {
  const at = (): number => (existsSync(marker) ? Number(readFileSync(marker, 'utf8')) : 0);
  await until(`the task to drop ${marker}`, () => at() > 0);
  return at();
}

/**
 * The contract every executor meets (in-process, worker processes, BullMQ workers), judged
 * through a runtime's `run` as users see it: one shared suite, run by each executor's test
 * file with a factory for it. `describeFn` lets a caller skip it (no redis-server).
 */
export function executorContract(name: string, make: MakeExecutor, describeFn: jest.Describe = describe): void {
  describeFn(`${name} executor contract`, () => {
    let dir: string;
    let targets: string;
    let h: ExecutorUnderTest;
    beforeAll(async () => {
      dir = tempDir('nectar-exec-');
      targets = join(dir, 'targets');
      h = await make(writeChains(dir, { [EXECUTOR_CHAIN_FILE]: EXECUTOR_CHAIN }), targets);
    });
    afterAll(async () => {
      await h?.close();
      rmDir(dir);
    });

    const task = (n: string, params: Record<string, unknown>): AnyTask => h.rt.instantiate(ref(n), params);
    const run = (t: AnyTask, o: RunOptions = {}): Promise<RunResult> => h.rt.run(t, { executor: h.executor, workers: 1, ...o });
    const read = (t: AnyTask, file: string): string => readFileSync(join(targets, taskFolder(t.id), file), 'utf8');
    const files = (t: AnyTask): string[] => readdirSync(join(targets, taskFolder(t.id))).sort();
    const logLines = (text: string): LogLine[] =>
      text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as LogLine);

    it('success: every output written, params.json beside them, in the executor', async () => {
      const t = task('SuccessTask', { tag: 's' });
      const r = await run(t);
      expect(r.failures).toEqual([]);
      expect(r.state).toBe('SUCCEEDED');
      expect(read(t, 'data.txt')).toBe('hello s');
      expect(h.runsIn(Number(read(t, 'pid.txt')))).toBe(true);
      expect(read(t, 'params.json')).toBe(`${JSON.stringify(t.params, null, 2)}\n`);
      expect(files(t)).toEqual(['data.txt', 'lineage.json', 'log', 'params.json', 'pid.txt']);
    });

    it('failure: a NectarError keeps its code; a plain Error is TASK_FAILED, with its message and stack', async () => {
      const coded = await run(task('CodedFailTask', { tag: 'c' }));
      expect(coded.state).toBe('FAILED');
      expect(coded.failures[0]?.error).toMatchObject({ name: 'NectarError', code: 'BAD_PARAM', message: 'coded failure c' });
      const plain = await run(task('PlainFailTask', { tag: 'p' }));
      expect(plain.state).toBe('FAILED');
      expect(plain.failures[0]?.error).toMatchObject({ code: 'TASK_FAILED', message: 'plain failure p' });
      expect(plain.failures[0]?.error?.stack).toContain('exec_chain.ts');
    });

    it('a NonRetryableError is not retried even with retries set; a plain error is, each attempt in the log', async () => {
      const nr = task('NonRetryableTask', { tag: 'n' });
      const failed = await run(nr);
      expect(failed.state).toBe('FAILED');
      expect(failed.failures[0]).toMatchObject({ attempts: 1, error: { code: 'NON_RETRYABLE', message: 'give up n' } });
      expect(logLines(read(nr, 'log')).filter((l) => l.msg === 'trying').map((l) => l.attempt)).toEqual([1]);

      const flaky = task('FlakyTask', { tag: 'f' });
      const ok = await run(flaky);
      expect(ok.state).toBe('SUCCEEDED');
      expect(ok.tasks.get(flaky.id)?.attempts).toBe(3);
      expect(read(flaky, 'out.txt')).toBe('attempt 3');
      const lines = logLines(read(flaky, 'log'));
      expect(lines.filter((l) => l.msg === 'trying').map((l) => l.attempt)).toEqual([1, 2, 3]);
      expect(lines.filter((l) => l.msg.includes('failed: attempt')).map((l) => l.attempt)).toEqual([1, 2]);
    });

    it('timeout: TIMEOUT, and the attempt really stops (no output appears later)', async () => {
      const marker = join(dir, 'timeout.marker');
      // A warm executor first, so that the timeout falls while the task runs, not while a worker starts.
      expect((await run(task('SuccessTask', { tag: 'before-timeout' }))).state).toBe('SUCCEEDED');
      const t = task('TimedOutTask', { marker, ms: 3000 });
      const r = await run(t);
      expect(r.state).toBe('FAILED');
      expect(r.failures[0]?.error?.code).toBe('TIMEOUT');
      // The attempt had started; wait past the moment it would have written.
      await sleepUntil((await startedAt(marker)) + 3500);
      expect(files(t)).toEqual(['log', 'params.json']);
      expect(logLines(read(t, 'log')).at(-1)?.msg).toMatch(/(timed out after|its timeout of) 500 ms/);
    });

    it('cancel: CANCELLED promptly, the slot free at once, and no output', async () => {
      const marker = join(dir, 'cancel.marker');
      const t = task('CancelledTask', { marker, ms: 6000 });
      const ctl = new AbortController();
      const pending = run(t, { signal: ctl.signal });
      const started = await startedAt(marker);
      const abortedAt = Date.now();
      ctl.abort();
      const r = await pending;
      expect(Date.now() - abortedAt).toBeLessThan(2000);
      expect(r.state).toBe('CANCELLED');
      expect(r.tasks.get(t.id)).toMatchObject({ state: 'CANCELLED', error: { code: 'CANCELLED' } });
      // The next task does not wait for the cancelled attempt's sleep to end.
      const next = await run(task('SuccessTask', { tag: 'after-cancel' }));
      expect(next.state).toBe('SUCCEEDED');
      expect(Date.now()).toBeLessThan(started + 6000);
      await sleepUntil(started + 6500);
      expect(files(t)).toEqual(['log', 'params.json']);
      expect(logLines(read(t, 'log')).at(-1)?.msg).toMatch(/the run was cancelled$/);
    });

    it('ctx.require(): the dynamic requirements run in the executor and their outputs are read, with one slot', async () => {
      const t = task('ReportTask', { days: 3 });
      const r = await run(t);
      expect(r.state).toBe('SUCCEEDED');
      expect(r.counts.DONE).toBe(4);
      expect(read(t, 'out.txt')).toBe('d0;d1;d2;');
      const days = [0, 1, 2].map((day) => task('DayTask', { day }));
      expect(r.tasks.get(t.id)?.deps).toEqual(days.map((d) => d.id));
      for (const d of days) expect(h.runsIn(Number(read(d, 'out.txt').split(':')[1]))).toBe(true);
    });

    it('a program task: the external program reads its input and parameters and writes its output, in the executor', async () => {
      const t = task('CountTask', { n: 42, text: 'a b c' });
      const r = await run(t);
      expect(r.failures.map((f) => f.error?.message)).toEqual([]);
      expect(r.state).toBe('SUCCEEDED');
      const m = /^n=42 input=a b c ppid=(\d+)$/.exec(read(t, 'out.txt'));
      expect(m).not.toBeNull();
      expect(h.runsIn(Number(m?.[1]))).toBe(true);
      expect(logLines(read(t, 'log')).map((l) => l.msg)).toContain('counted');
    });

    it('no output is left after a failure, even one written before the task threw', async () => {
      const t = task('HalfTask', { tag: 'h' });
      const r = await run(t);
      expect(r.state).toBe('FAILED');
      expect(r.failures[0]?.error?.message).toBe('after the first output h');
      expect(files(t)).toEqual(['log', 'params.json']);
    });

    it('log lines: in the log file, and as task:log events on the runtime while the task runs', async () => {
      const gate = join(dir, 'log.gate');
      const t = task('GateTask', { gate });
      const live: string[] = [];
      const off = h.rt.events.on('task:log', (e) => {
        if (e.taskId !== t.id) return;
        live.push(e.line);
        if (e.line.includes('waiting for the gate')) writeFileSync(gate, 'open');
      });
      let r: RunResult;
      try {
        r = await run(t);
      } finally {
        off();
      }
      expect(r.failures.map((f) => f.error?.message)).toEqual([]);
      expect(r.state).toBe('SUCCEEDED');
      const file = logLines(read(t, 'log'));
      expect(file.map((l) => l.msg)).toEqual([`${t} started`, 'waiting for the gate', 'through the gate', `${t} done`]);
      // The lines up to the gate came live (the task could not pass it otherwise), the same as
      // in the file. Later ones may not: a remote executor's outcome can overtake its last lines.
      const events = logLines(live.join('\n'));
      expect(events.length).toBeGreaterThanOrEqual(2);
      expect(events).toEqual(file.slice(0, events.length));
    });
  });
}
