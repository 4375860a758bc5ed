import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pino, { type Logger } from 'pino';
import { bindOutputs, outputSpecs, taskFolder } from '../core/binding';
import { NectarError, type SerializedError } from '../core/errors';
import type { ExecutorKind } from '../core/options';
import { type SettingValue, settingEnvName } from '../core/settings';
import type { RunState } from '../core/states';
import type { Target } from '../core/target';
import type { AnyTask, OutputsOf } from '../core/task';
import type { Registry, RunResult, TaskRecord } from '../runtime/types';
import { loadConfig } from '../runtime/config';
import { type PlanEntry, Runtime } from '../runtime/runtime';

/** Fake setting values by chain type, then by setting name. */
export type FakeSettings = Readonly<Record<string, Readonly<Record<string, SettingValue>>>>;

export interface TestKitOptions {
  /** The chains folder (default `./chains`, from the working directory: jest's is the project root). */
  chains?: string;
  /**
   * Fake settings by chain type: `{ vendor: { API_KEY: 'test-key' } }`. The only values the
   * tasks see: neither the environment nor the settings files are read.
   */
  settings?: FakeSettings;
  /** `inprocess` (default) or `process`; tasks whose options name an executor keep theirs. */
  executor?: Exclude<ExecutorKind, 'bullmq'>;
  /** Tasks at once (default 4). */
  workers?: number;
  /** The folder the kit's temp root is made in (default: the system's temp folder). */
  tmpDir?: string;
  /** Where the task logs also go (default: nowhere; they are in each task's `log` file). */
  logger?: Logger;
}

/** One task of a run, as a test asserts on it. */
export interface TaskOutcome {
  /** `Name(k=v, ...)`. */
  readonly task: string;
  readonly id: string;
  readonly state: string;
  readonly error?: SerializedError;
}

/** What `kit.run()` answers. */
export interface TestRun<T extends AnyTask> {
  readonly task: T;
  readonly state: RunState;
  /** The root task's outputs, in the shape its `output()` returns. */
  readonly output: OutputsOf<T>;
  /** Tasks this run ran (`Name(k=v, ...)`), whether they succeeded or not, in the order they started. */
  readonly ran: readonly string[];
  /** Tasks found complete (their outputs existed), so not run. */
  readonly skipped: readonly string[];
  /** Tasks that failed, with their errors (UPSTREAM_FAILED ones are in `tasks`). */
  readonly failures: readonly TaskOutcome[];
  readonly tasks: readonly TaskOutcome[];
  /** The whole scheduler result. */
  readonly result: RunResult;
}

/** What `kit.plan()` answers: nothing is run. */
export interface TestPlan {
  /** Tasks that would run (`Name(k=v, ...)`), dependencies first. */
  readonly run: readonly string[];
  /** Tasks whose outputs exist (their own requirements are not looked at). */
  readonly complete: readonly string[];
  readonly entries: readonly PlanEntry[];
}

/** Content for `kit.seed()`: one output's content, or content by output name. */
export type SeedContent = string | Uint8Array | Readonly<Record<string, string | Uint8Array>>;

/**
 * Run tasks of a chains folder in a jest test, against a temp target root of their own, with
 * fake settings: `const kit = testKit({ settings: { vendor: { API_KEY: 'test-key' } } })`, then
 * `await kit.run(new MyTask({ day: '2012-10-15' }))`, `await kit.plan(...)`, and
 * `await kit.close()` in `afterAll` (removes the temp root).
 */
export function testKit(o: TestKitOptions = {}): TestKit {
  return new TestKit(o);
}

export class TestKit {
  /** The temp folder everything lives in; `targets/` under it is the target root. */
  readonly root: string;
  readonly runtime: Runtime;

  constructor(o: TestKitOptions = {}) {
    const chains = resolve(o.chains ?? 'chains');
    const fakes = o.settings ?? {};
    const fakeEnv = settingsEnv(fakes);
    this.root = mkdtempSync(join(o.tmpDir ?? tmpdir(), 'nectar-kit-'));
    try {
      // No settings folder and no environment: the fakes are the only values. They live in this
      // kit's registry, so kits with different fakes for one chain type work side by side.
      const settingsDir = join(this.root, 'no-settings');
      const config = loadConfig({
        NECTAR_CHAINS: chains,
        NECTAR_TARGETS: join(this.root, 'targets'),
        NECTAR_SETTINGS_DIR: settingsDir,
        NECTAR_EXECUTOR: o.executor ?? 'inprocess',
        NECTAR_WORKERS: String(o.workers ?? 4),
      });
      this.runtime = new Runtime({ config, logger: o.logger ?? pino({ level: 'silent' }), settingsEnv: fakeEnv, childEnv: fakeEnv });
      checkFakes(this.runtime.registry, fakes);
    } catch (err) {
      rmSync(this.root, { recursive: true, force: true });
      throw err;
    }
  }

  /** What discovery skipped or found wrong (a missing fake setting names itself here). */
  get problems(): readonly string[] {
    return this.runtime.registry.problems.map((p) => `${p.path}: ${p.reason}`);
  }

  /** A task from a reference (`type/Task`) and raw parameters, as the CLI and the API make them. */
  task(ref: string, params: Readonly<Record<string, unknown>> = {}): AnyTask {
    return this.runtime.instantiate(ref, params);
  }

  /** Run a task and what it requires; never throws for a failed task (see `runOk`). */
  async run<T extends AnyTask>(task: T): Promise<TestRun<T>> {
    // The order tasks start in, from the events: start times in ms tie for quick tasks.
    const runId = randomUUID();
    const started: string[] = [];
    const off = this.runtime.events.on('task:state', (e) => {
      if (e.runId === runId && e.state === 'RUNNING' && !started.includes(e.taskId)) started.push(e.taskId);
    });
    let result: RunResult;
    try {
      result = await this.runtime.run(task, { runId });
    } finally {
      off();
    }
    const records = [...result.tasks.values()];
    const outcome = (r: TaskRecord): TaskOutcome => ({ task: r.task.toString(), id: r.id, state: r.state, ...(r.error ? { error: r.error } : {}) });
    return {
      task,
      state: result.state,
      output: this.output(task),
      ran: started.flatMap((id) => result.tasks.get(id)?.task.toString() ?? []),
      skipped: records.filter((r) => r.skipped).map((r) => r.task.toString()),
      failures: result.failures.map(outcome),
      tasks: records.map(outcome),
      result,
    };
  }

  /** `run`, throwing an error that names every failed task with its message and stack unless the run succeeded. */
  async runOk<T extends AnyTask>(task: T): Promise<TestRun<T>> {
    const r = await this.run(task);
    if (r.state !== 'SUCCEEDED') {
      const why = r.failures.map((f) => `${f.task}: ${f.error?.stack ?? f.error?.message ?? 'failed'}`);
      if (r.result.error) why.push(r.result.error.stack ?? r.result.error.message);
      throw new Error(`run of ${task} ended ${r.state}:\n${why.join('\n') || '(no task failed: cancelled?)'}`);
    }
    return r;
  }

  /** Which tasks would run and which are complete, without running anything. */
  async plan(task: AnyTask): Promise<TestPlan> {
    const entries = await this.runtime.plan(task);
    return {
      run: entries.filter((e) => e.action === 'run').map((e) => e.task),
      complete: entries.filter((e) => e.action === 'complete').map((e) => e.task),
      entries,
    };
  }

  /** Any task's outputs (upstream ones too), in the shape its `output()` returns. */
  output<T extends AnyTask>(task: T): OutputsOf<T> {
    return bindOutputs(task, this.runtime.store) as OutputsOf<T>;
  }

  /** An output of any task as text: its only output, or the one named. */
  async read(task: AnyTask, name?: string): Promise<string> {
    const specs = outputSpecs(task).map((s) => s.name);
    const pick = name ?? (specs.length === 1 ? specs[0] : undefined);
    if (pick === undefined || !specs.includes(pick)) {
      throw new NectarError('BAD_PARAM', `read(${task}): ${name === undefined ? 'name one of its outputs' : `no output named ${name}`} (outputs: ${specs.join(', ')})`);
    }
    return this.target(`${taskFolder(task.id)}/${pick}`).readText();
  }

  /** The task's `log` file: every line it logged, as JSON lines. */
  log(task: AnyTask): Promise<string> {
    return this.target(`${taskFolder(task.id)}/log`).readText();
  }

  /**
   * Write a task's outputs as fixtures, so it counts as complete and its dependents read them:
   * test a task on five hand-written lines instead of its whole upstream. A task with one
   * output takes its content; several outputs take content by output name, every one given.
   */
  async seed(task: AnyTask, content: SeedContent): Promise<void> {
    const specs = outputSpecs(task).map((s) => s.name);
    const byName: Readonly<Record<string, string | Uint8Array>> = typeof content === 'string' || content instanceof Uint8Array ? oneOutput(task, specs, content) : content;
    const unknown = Object.keys(byName).filter((n) => !specs.includes(n));
    const missing = specs.filter((n) => !(n in byName));
    if (unknown.length || missing.length) {
      throw new NectarError('BAD_PARAM', `seed(${task}): ${[unknown.length ? `no output named ${unknown.join(', ')}` : '', missing.length ? `content missing for ${missing.join(', ')}` : ''].filter(Boolean).join('; ')} (outputs: ${specs.join(', ')})`);
    }
    const folder = taskFolder(task.id);
    await Promise.all(Object.entries(byName).map(([name, data]) => this.target(`${folder}/${name}`).write(data)));
  }

  /** Stop worker processes and remove the temp root. */
  async close(): Promise<void> {
    await this.runtime.close();
    rmSync(this.root, { recursive: true, force: true });
  }

  private target(key: string): Target {
    return this.runtime.store.target(key);
  }
}

function oneOutput(task: AnyTask, specs: readonly string[], content: string | Uint8Array): Record<string, string | Uint8Array> {
  const [only, ...more] = specs;
  if (only === undefined || more.length > 0) {
    throw new NectarError('BAD_PARAM', `seed(${task}): it has ${specs.length} outputs (${specs.join(', ')}): give content by output name`);
  }
  return { [only]: content };
}

function settingsEnv(settings: FakeSettings): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [type, values] of Object.entries(settings)) {
    for (const [name, value] of Object.entries(values)) env[settingEnvName(type, name)] = String(value);
  }
  return env;
}

/** A fake for a type or a setting that does not exist is a typo: say so rather than ignore it. */
function checkFakes(registry: Registry, settings: FakeSettings): void {
  const wrong: string[] = [];
  for (const [type, values] of Object.entries(settings)) {
    const schema = registry.settings.get(type);
    for (const name of Object.keys(values)) {
      if (!schema) wrong.push(`${type}.${name} (chain type '${type}' declares no settings)`);
      else if (!(name in schema)) wrong.push(`${type}.${name} (declared: ${Object.keys(schema).join(', ')})`);
    }
  }
  if (wrong.length) throw new NectarError('BAD_CONFIG', `testKit: unknown fake setting${wrong.length > 1 ? 's' : ''} ${wrong.join('; ')}`);
}
