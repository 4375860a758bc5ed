import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { serializeError } from '../core/errors';
import { NAME_PATTERN } from '../core/identity';
import { hasLocation, isTaskClass, locationOf, setLocation } from '../core/task';
import { type DiscoveredTask, type DiscoveryProblem, Registry } from './registry';

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
export function discover(root: string, load: ModuleLoader = require): Registry {
  const abs = resolve(root);
  const tasks: DiscoveredTask[] = [];
  const problems: DiscoveryProblem[] = [];
  let types: string[];
  try {
    types = listDir(abs);
  } catch (err) {
    problems.push({ path: abs, reason: `cannot read the chains folder: ${(err as Error).message}` });
    return new Registry(abs, tasks, problems);
  }
  for (const type of types) {
    const typeDir = join(abs, type);
    if (!statSync(typeDir).isDirectory() || type.startsWith('.')) continue;
    if (!NAME_PATTERN.test(type)) {
      problems.push({ path: typeDir, reason: `chain type '${type}' does not match ${NAME_PATTERN.source}: skipped` });
      continue;
    }
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
      tasks.push(...loadChain(path, type, `${base}_chain`, load, problems));
    }
  }
  return new Registry(abs, tasks, problems);
}

/** Load one chain file and register its tasks; problems are appended, never thrown. */
export function loadChain(path: string, type: string, chain: string, load: ModuleLoader, problems: DiscoveryProblem[]): DiscoveredTask[] {
  let mod: unknown;
  try {
    mod = load(path);
  } catch (err) {
    problems.push({ path, reason: `failed to load: ${(err as Error)?.message ?? String(err)}`, error: serializeError(err) });
    return [];
  }
  const out: DiscoveredTask[] = [];
  const exports = (typeof mod === 'object' && mod !== null ? mod : {}) as Record<string, unknown>;
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
