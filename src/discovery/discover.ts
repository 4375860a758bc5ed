import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { serializeError } from '../core/errors';
import { NAME_PATTERN } from '../core/identity';
import { type SettingsSchema, isSettingsSchema } from '../core/settings';
import { type TaskClass, hasLocation, isTaskClass, locationOf, optionsOf, setLocation } from '../core/task';
import { type DiscoveredTask, type DiscoveryProblem, Registry, type TaskSettings } from './registry';
import { type CompiledSchedule, compileSchedules } from './schedules';
import { resolveTypeSettings } from './settings';

/** Where settings values come from (the environment, `<settingsDir>/<type>.json`), and which type alone to load. */
export interface DiscoverOptions {
  /** Where `NECTAR_<TYPE>_<NAME>` values are read (the configuration's environment); none when absent. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Default `./settings`. */
  settingsDir?: string;
  /** Load this chain type only (a worker process needing one task). */
  only?: string;
}

const CHAIN_FILE = /^(.*)_chain\.(ts|js)$/;

/** How a chain file is loaded; `require` by default (the entry point registers the TypeScript loader). */
export type ModuleLoader = (file: string) => unknown;

function listDir(dir: string): string[] {
  return readdirSync(dir).sort();
}

/**
 * Scan `<root>/<type>/<name>_chain.ts`, load each file, and register its exported `*Task`
 * classes. Never throws for a bad file: bad names are skipped with a reason, a file that
 * throws on import is reported with its error, and the rest still load.
 */
export function discover(root: string, load: ModuleLoader = require, o: DiscoverOptions = {}): Registry {
  const abs = resolve(root);
  const tasks: DiscoveredTask[] = [];
  const problems: DiscoveryProblem[] = [];
  const settings = new Map<string, SettingsSchema>();
  const taskSettings = new Map<TaskClass, TaskSettings>();
  let types: string[];
  try {
    types = listDir(abs);
  } catch (err) {
    problems.push({ path: abs, reason: `cannot read the chains folder: ${(err as Error).message}` });
    return new Registry(abs, tasks, problems, settings, taskSettings);
  }
  for (const type of types) {
    if (o.only !== undefined && type !== o.only) continue;
    const typeDir = join(abs, type);
    if (!statSync(typeDir).isDirectory() || type.startsWith('.')) continue;
    if (!NAME_PATTERN.test(type)) {
      problems.push({ path: typeDir, reason: `chain type '${type}' does not match ${NAME_PATTERN.source}: skipped` });
      continue;
    }
    const schemas: SettingsSchema[] = [];
    const ofType: DiscoveredTask[] = [];
    for (const file of listDir(typeDir)) {
      const m = CHAIN_FILE.exec(file);
      if (!m) continue;
      const path = join(typeDir, file);
      const base = m[1] ?? '';
      if (file.endsWith('.d.ts')) continue;
      if (!NAME_PATTERN.test(base)) {
        problems.push({ path, reason: `chain name '${base}' does not match ${NAME_PATTERN.source}: skipped` });
        continue;
      }
      const found = loadChain(path, type, `${base}_chain`, load, problems, schemas);
      tasks.push(...found);
      ofType.push(...found);
    }
    const schema = applySettings(type, typeDir, schemas, ofType, o, problems, taskSettings);
    if (Object.keys(schema).length > 0) settings.set(type, schema);
  }
  const schedules: CompiledSchedule[] = tasks.flatMap((t) => compileSchedules(t, problems));
  return new Registry(abs, tasks, problems, settings, taskSettings, schedules);
}

/** Load one chain file and register its tasks; problems are appended, never thrown. */
export function loadChain(path: string, type: string, chain: string, load: ModuleLoader, problems: DiscoveryProblem[], settings: SettingsSchema[] = []): DiscoveredTask[] {
  let mod: unknown;
  try {
    mod = load(path);
  } catch (err) {
    problems.push({ path, reason: `failed to load: ${(err as Error)?.message ?? String(err)}`, error: serializeError(err) });
    return [];
  }
  const out: DiscoveredTask[] = [];
  const exports = (typeof mod === 'object' && mod !== null ? mod : {}) as Record<string, unknown>;
  if (isSettingsSchema(exports['settings'])) settings.push(exports['settings']);
  for (const name of Object.keys(exports).sort()) {
    if (!name.endsWith('Task')) continue;
    const cls = exports[name];
    if (!isTaskClass(cls)) {
      problems.push({ path, reason: `export '${name}' ends in Task but is not a class extending Task: skipped` });
      continue;
    }
    if (hasLocation(cls)) {
      const loc = locationOf(cls);
      if (loc.type !== type || loc.chain !== chain || loc.name !== name) {
        // Re-exported from another chain: it keeps its home (its id must not depend on who imports it).
        continue;
      }
    } else setLocation(cls, { type, chain, name });
    out.push({ type, chain, name, cls, file: path, ref: `${type}/${chain}/${name}` });
  }
  return out;
}

/**
 * Resolve a chain type's settings and record for each of its task classes the values (or why
 * they cannot run): a missing or bad setting, or a task asking for a setting the type does
 * not declare, is reported now, when the chains load, not when the task runs.
 */
function applySettings(type: string, typeDir: string, schemas: readonly SettingsSchema[], tasks: readonly DiscoveredTask[], o: DiscoverOptions, problems: DiscoveryProblem[], out: Map<TaskClass, TaskSettings>): SettingsSchema {
  const ts = resolveTypeSettings(type, schemas, o.env ?? {}, o.settingsDir ?? resolve('settings'));
  if (ts.error) problems.push({ path: typeDir, reason: ts.error });
  for (const t of tasks) {
    const wanted = optionsOf(t.cls).settings;
    const unknown = wanted.filter((s) => !(s in ts.schema));
    const error = unknown.length
      ? `${t.ref} asks for setting${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}, which chain type '${type}' does not declare`
      : wanted.some((s) => ts.bad.has(s))
        ? ts.error
        : undefined;
    if (unknown.length) problems.push({ path: t.file, reason: error as string });
    out.set(t.cls, Object.freeze(error ? { values: ts.values, error } : { values: ts.values }));
  }
  return ts.schema;
}
