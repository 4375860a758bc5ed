import type { Logger } from 'pino';
import { NectarError } from './errors';
import { type Json, type TaskLocation, paramsHash, taskId } from './identity';
import { LINEAGE_FILE } from './lineage';
import { type ResolvedOptions, type TaskOptions, resolveOptions } from './options';
import { type ParamSchema, type ParamsArgs, type ParamsOf, normalizeParams, paramsJsonSchema, type JsonSchema } from './params';
import type { SettingValue } from './settings';
import { type Shape, flattenShape } from './shape';
import { type Target, type TargetStore, assertSafeKey } from './target';

const TASK_BRAND = Symbol.for('nectar.task');
const LOCATION = Symbol.for('nectar.task.location');

/** A declared output of a task: a file name in the task's folder. Bound to a Target when the task runs. */
export class OutputSpec {
  constructor(readonly name: string) {
    assertSafeKey(name);
    if (RESERVED_NAMES.has(name)) throw new NectarError('BAD_TASK_DEFINITION', `output name '${name}' is reserved: nectar writes it beside the outputs`);
  }
}

/** Files nectar itself writes in every task folder. */
const RESERVED_NAMES = new Set(['params.json', 'log', LINEAGE_FILE]);

export function isOutputSpec(x: unknown): x is OutputSpec {
  return x instanceof OutputSpec;
}

export type OutputShape = Shape<OutputSpec>;

/**
 * An output shape with each OutputSpec replaced by its Target. A task that keeps the default
 * `output()` (declared as the wide OutputShape) has one output: `out.txt`.
 */
export type Bound<S> = [OutputShape] extends [S] ? Target : BoundNarrow<S>;
type BoundNarrow<S> = S extends OutputSpec
  ? Target
  : S extends readonly OutputSpec[]
    ? Target[]
    : S extends { readonly [key: string]: OutputSpec }
      ? { [K in keyof S]: Target }
      : never;

export type OutputsOf<T extends AnyTask> = Bound<ReturnType<T['output']>>;

/** What `requires()` may return. */
export type Requirements = Shape<AnyTask> | undefined | void;

/** A requirements shape with each task replaced by its bound outputs (`undefined` without requirements). */
export type InputsOf<R> = [Requirements] extends [R] ? undefined : InputsNarrow<R>;
type InputsNarrow<R> = R extends AnyTask
  ? OutputsOf<R>
  : R extends readonly AnyTask[]
    ? OutputsOf<R[number]>[]
    : R extends { readonly [key: string]: AnyTask }
      ? { [K in keyof R]: OutputsOf<R[K]> }
      : undefined;

/** What `run` receives. */
export interface RunContext<T extends AnyTask = AnyTask> {
  readonly taskId: string;
  /** Outputs of the requirements, in the shape `requires()` returned. */
  readonly input: InputsOf<ReturnType<T['requires']>>;
  /** This task's outputs, in the shape `output()` returned. Write each atomically. */
  readonly output: OutputsOf<T>;
  /** The task's logger (pino): lines go to the task's `log` file and to the run's events. */
  readonly log: Logger;
  /** Aborted on timeout or cancel: pass it on to fetch, streams, child processes. */
  readonly signal: AbortSignal;
  /** 1 on the first attempt. */
  readonly attempt: number;
  /** Dynamic dependencies: schedule these tasks now, wait until they are complete, get their outputs. */
  require<R extends Requirements>(req: R): Promise<InputsOf<R>>;
  /**
   * Run an external program as this task's work (what `program()` tasks do): `command` is an
   * argument array, never a shell line. See `program()` for what the program is given.
   */
  exec(command: readonly string[]): Promise<void>;
  /** The chain type's settings this task declared (`settings` option), and only those. */
  readonly settings: Readonly<Record<string, SettingValue>>;
}

/** What an overridden `complete()` receives. */
export interface CompleteContext<T extends AnyTask = AnyTask> {
  readonly output: OutputsOf<T>;
  readonly store: TargetStore;
}

export type AnyTask = Task<{ readonly [key: string]: Json }>;

/** A task class as the runtime sees it. */
export interface TaskClass {
  new (...args: never[]): AnyTask;
  readonly name: string;
  readonly paramSchema: ParamSchema;
  readonly options: TaskOptions;
  readonly prototype: AnyTask;
}

/**
 * The base of every task. Subclass it through `task(params, options)`; override
 * `requires()`, `output()` (default: `out.txt`), `run(ctx)` and, rarely, `complete()`.
 */
export abstract class Task<P extends { readonly [key: string]: Json } = { readonly [key: string]: Json }> {
  static readonly [TASK_BRAND] = true;
  static readonly paramSchema: ParamSchema = {};
  static readonly options: TaskOptions = {};

  /** Normalised parameters: defaults filled, strings coerced. */
  readonly params: P;
  #id: string | undefined;

  constructor(params: { readonly [key: string]: unknown } = {}) {
    const cls = this.constructor as TaskClass;
    this.params = Object.freeze(normalizeParams(cls.paramSchema, params, cls.name)) as unknown as P;
  }

  /** The tasks this one needs: one, a list or a record. */
  requires(): Requirements {
    return undefined;
  }

  /** The outputs: one, a list or a record of `this.target(name)`. */
  output(): OutputShape {
    return this.target('out.txt');
  }

  abstract run(ctx: RunContext<this>): Promise<void> | void;

  /** Override only when "all outputs exist" is not the right test. */
  complete(ctx: CompleteContext<this>): Promise<boolean> | boolean {
    return allExist(ctx.output);
  }

  /** Declare an output file in this task's folder. */
  target(name: string): OutputSpec {
    return new OutputSpec(name);
  }

  /** `<type>/<chain>/<TaskName>/<hash>`. */
  get id(): string {
    if (this.#id === undefined) {
      const cls = this.constructor as TaskClass;
      this.#id = taskId(locationOf(cls), paramsHash(this.params, optionsOf(cls).version));
    }
    return this.#id;
  }

  toString(): string {
    return describeTask(this.constructor.name, this.params);
  }
}

/** `Name(k=v, ...)`: how a task is shown to people (strings bare, other values as JSON). */
export function describeTask(name: string, params: { readonly [key: string]: Json }): string {
  const args = Object.entries(params).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return `${name}(${args.join(', ')})`;
}

async function allExist(output: unknown): Promise<boolean> {
  const targets = flattenShape(output as Shape<Target>, isTarget);
  for (const t of targets) if (!(await t.exists())) return false;
  return true;
}

function isTarget(x: unknown): x is Target {
  return typeof x === 'object' && x !== null && typeof (x as Target).exists === 'function' && typeof (x as Target).key === 'string';
}

/**
 * Define a task class with typed parameters and options:
 * `class DailyTask extends task({ day: p.date() }, { retries: 2 }) { ... }`.
 */
export function task<const S extends ParamSchema>(schema: S, options: TaskOptions = {}) {
  abstract class Defined extends Task<ParamsOf<S>> {
    static override readonly paramSchema: ParamSchema = schema;
    static override readonly options: TaskOptions = options;
    constructor(...args: ParamsArgs<S>) {
      super(args[0] ?? {});
    }
  }
  return Defined;
}

/**
 * Define a task whose work is an external program (Python, R, a binary...) instead of a `run`
 * function: implement `command()`, an argument array (never run through a shell). The program
 * gets its parameters three ways: `--name=value` arguments appended to the command,
 * `NECTAR_PARAM_<NAME>` environment variables, and a JSON file named by `NECTAR_PARAMS_FILE`.
 * Inputs are files named by `NECTAR_INPUT` (one requirement) or `NECTAR_INPUT_<KEY>` (a record
 * or list of them). Each output is a temp path in `NECTAR_OUTPUT` (one output) or
 * `NECTAR_OUTPUT_<NAME>` (several; `a.txt` -> `NECTAR_OUTPUT_A_TXT`, record keys as they are),
 * moved into place only when the program exits 0. The settings the task declares (`settings`
 * option) are `NECTAR_SETTING_<NAME>` variables. stdout and stderr lines go to the task's
 * log as they come; a non-zero exit fails the task with the code and the end of stderr; a
 * timeout or cancel ends the program's whole process group (SIGTERM, then SIGKILL).
 */
export function program<const S extends ParamSchema>(schema: S, options: TaskOptions = {}) {
  abstract class Program extends task(schema, options) {
    /** The program and its arguments: `['python3', join(__dirname, 'counts.py')]`. */
    abstract command(): readonly string[];

    run(ctx: RunContext<this>): Promise<void> {
      return ctx.exec(this.command());
    }
  }
  return Program;
}

/** A task from raw parameters (strings or typed values), as the CLI, the API and workers create them. */
export function construct(cls: TaskClass, params: { readonly [key: string]: unknown } = {}): AnyTask {
  return new (cls as unknown as new (p: { readonly [key: string]: unknown }) => AnyTask)(params);
}

/** True for classes extending Task (checked by brand, so it holds across module copies). */
export function isTaskClass(x: unknown): x is TaskClass {
  return typeof x === 'function' && (x as unknown as Record<symbol, unknown>)[TASK_BRAND] === true && x !== Task;
}

export function isTask(x: unknown): x is AnyTask {
  return typeof x === 'object' && x !== null && isTaskClass(x.constructor);
}

/** Record where a class lives (done by discovery; tests and benches may call `defineChain`). */
export function setLocation(cls: TaskClass, loc: TaskLocation): void {
  if (Object.prototype.hasOwnProperty.call(cls, LOCATION)) return;
  Object.defineProperty(cls, LOCATION, { value: Object.freeze({ ...loc }), enumerable: false });
}

export function hasLocation(cls: TaskClass): boolean {
  return Object.prototype.hasOwnProperty.call(cls, LOCATION);
}

export function locationOf(cls: TaskClass): TaskLocation {
  if (!hasLocation(cls)) {
    throw new NectarError('BAD_TASK_DEFINITION', `${cls.name} has no chain location: export it from chains/<type>/<name>_chain.ts (or register it with defineChain)`);
  }
  return (cls as unknown as Record<symbol, TaskLocation>)[LOCATION] as TaskLocation;
}

const resolved = new WeakMap<TaskClass, ResolvedOptions>();

/** The class's options, compiled once. */
export function optionsOf(cls: TaskClass): ResolvedOptions {
  let o = resolved.get(cls);
  if (!o) {
    o = resolveOptions(cls.options, cls.name);
    resolved.set(cls, o);
  }
  return o;
}

/** The compiled options of a task's class. */
export function taskOptions(task: AnyTask): ResolvedOptions {
  return optionsOf(task.constructor as TaskClass);
}

export function paramsSchemaOf(cls: TaskClass): JsonSchema {
  return paramsJsonSchema(cls.paramSchema);
}

/**
 * Give task classes a chain location without a chain file, as if they were exported from
 * `chains/<type>/<chain>.ts`: for tests, benchmarks and programmatic use.
 */
export function defineChain(type: string, chain: string, classes: { readonly [exportName: string]: TaskClass }): void {
  for (const [name, cls] of Object.entries(classes)) setLocation(cls, { type, chain, name });
}
