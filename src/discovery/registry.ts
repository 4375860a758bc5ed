import { NectarError } from '../core/errors';
import type { SettingValue, SettingsSchema } from '../core/settings';
import { type AnyTask, type TaskClass, construct, optionsOf } from '../core/task';
import type { CompiledSchedule } from './schedules';
import type { DiscoveredTask, DiscoveryProblem } from './types';

export type { DiscoveredTask, DiscoveryProblem } from './types';

/** The settings values a task class can read in one registry, or why it cannot run. */
export interface TaskSettings {
  readonly values: Readonly<Record<string, SettingValue>>;
  readonly error?: string;
}

const NO_SETTINGS: Readonly<Record<string, SettingValue>> = Object.freeze({});

/**
 * What discovery found: tasks by reference, what it skipped, and the settings values each
 * task class sees. Settings live here, not on the classes: two registries over the same chain
 * files (two test kits with different fake settings, a server and its worker processes) each
 * keep their own. Where a class lives (its type, chain and name) is written once on the
 * class by discovery: it is a fact of the code, the same in every registry, and a task's id
 * needs it wherever the task is made (`new DailyTask(...)` inside another task's requires()).
 */
export class Registry {
  readonly #byRef = new Map<string, DiscoveredTask>();
  readonly #byShort = new Map<string, DiscoveredTask[]>();
  readonly #byClass = new Map<TaskClass, DiscoveredTask>();
  /** What `ctx.settings` holds for each class: its declared settings only, frozen once. */
  readonly #visible = new Map<TaskClass, Readonly<Record<string, SettingValue>>>();

  constructor(
    readonly root: string,
    tasks: readonly DiscoveredTask[],
    readonly problems: readonly DiscoveryProblem[],
    /** The settings each chain type declares (types without any are absent). */
    readonly settings: ReadonlyMap<string, SettingsSchema> = new Map(),
    /** Each task class's settings values, or why it cannot run (classes without settings are absent). */
    private readonly taskSettings: ReadonlyMap<TaskClass, TaskSettings> = new Map(),
    /** Every schedule the tasks declare that discovery could compile, by task reference then name. */
    readonly schedules: readonly CompiledSchedule[] = [],
  ) {
    for (const t of [...tasks].sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0))) {
      this.#byRef.set(t.ref, t);
      const short = `${t.type}/${t.name}`;
      this.#byShort.set(short, [...(this.#byShort.get(short) ?? []), t]);
      if (!this.#byClass.has(t.cls)) this.#byClass.set(t.cls, t);
    }
  }

  /** Every task, sorted by reference. */
  get tasks(): DiscoveredTask[] {
    return [...this.#byRef.values()];
  }

  types(): string[] {
    return [...new Set(this.tasks.map((t) => t.type))];
  }

  byClass(cls: TaskClass): DiscoveredTask | undefined {
    return this.#byClass.get(cls);
  }

  /** A task of a discovered class from raw parameters; BAD_CONFIG when its settings are missing or bad. */
  instantiate(found: DiscoveredTask, params: Readonly<Record<string, unknown>>): AnyTask {
    const error = this.taskSettings.get(found.cls)?.error;
    if (error) throw new NectarError('BAD_CONFIG', error);
    return construct(found.cls, params);
  }

  /**
   * The settings a task declared, with their values: what its `ctx.settings` holds. BAD_CONFIG
   * when one is missing or bad (it cannot run); none for a class this registry does not know.
   */
  settingsOf(task: AnyTask): Readonly<Record<string, SettingValue>> {
    const cls = task.constructor as TaskClass;
    let visible = this.#visible.get(cls);
    if (visible) return visible;
    const s = this.taskSettings.get(cls);
    if (!s) return NO_SETTINGS;
    if (s.error) throw new NectarError('BAD_CONFIG', s.error);
    const out: Record<string, SettingValue> = {};
    for (const name of optionsOf(cls).settings) {
      const v = s.values[name];
      if (v !== undefined) out[name] = v;
    }
    visible = Object.freeze(out);
    this.#visible.set(cls, visible);
    return visible;
  }

  /**
   * Find a task by `type/Task`, `type/chain/Task` or `type/chain_chain/Task` (the chain with or
   * without its `_chain` suffix). Unknown and ambiguous names are errors that list what exists.
   */
  resolve(ref: string): DiscoveredTask {
    const parts = ref.split('/');
    if (parts.length === 3) {
      const [type, chain, name] = parts as [string, string, string];
      const full = chain.endsWith('_chain') ? chain : `${chain}_chain`;
      const hit = this.#byRef.get(`${type}/${full}/${name}`);
      if (hit) return hit;
    } else if (parts.length === 2) {
      const hits = this.#byShort.get(ref) ?? [];
      if (hits.length === 1) return hits[0] as DiscoveredTask;
      if (hits.length > 1) {
        throw new NectarError('AMBIGUOUS_TASK', `${ref} is in ${hits.length} chains: use one of ${hits.map((h) => h.ref).join(', ')}`, { candidates: hits.map((h) => h.ref) });
      }
    }
    const known = this.tasks.map((t) => `${t.type}/${t.name}`);
    const near = known.filter((k) => k.toLowerCase().includes((parts[parts.length - 1] ?? '').toLowerCase()));
    const hint = near.length > 0 ? ` Did you mean ${near.slice(0, 5).join(', ')}?` : known.length > 0 ? ` Known: ${known.slice(0, 10).join(', ')}${known.length > 10 ? ', ...' : ''}.` : ' No tasks were discovered.';
    throw new NectarError('UNKNOWN_TASK', `unknown task '${ref}' (expected <type>/<Task> or <type>/<chain>/<Task>).${hint}`);
  }
}
