/**
 * The raw floor: plain loops doing the file work nectar does for each no-op task, with no
 * orchestration. Per task: mkdir of its folder, then params.json, lineage.json (a leaf's: no
 * inputs), out.txt (16 bytes) and log, each written to a hidden temp file beside it and renamed. Paths and contents are computed
 * before the clock starts, so the floor is pure file-system cost.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, promises as fsp, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LINEAGE_FILE, makeLineage } from '../src/core/lineage';
import { payload } from './payload';

/** What one task writes: its folder and the four files' contents. */
export interface TaskFiles {
  readonly dir: string;
  readonly params: string;
  readonly lineage: string;
  readonly out: string;
  readonly log: string;
}

/** A log of the size nectar writes for a no-op task: two pino lines (started, done). */
function logText(id: string, i: number, n: number): string {
  const time = new Date().toISOString();
  const base = `{"level":30,"time":"${time}","task":"${id}","attempt":1`;
  return `${base},"params":{"i":${i},"n":${n}},"msg":"Task(i=${i}, n=${n}) started"}\n${base},"ms":0,"msg":"Task(i=${i}, n=${n}) done"}\n`;
}

/** Folders shaped like nectar's (`chains/<type>/<chain>/<Task>/<md5>`), one per task. */
export function plannedFiles(root: string, folder: string, n: number): TaskFiles[] {
  const out = new Array<TaskFiles>(n);
  for (let i = 0; i < n; i++) {
    const id = `bench/noop_chain/${folder}/${createHash('md5').update(`${folder}:${i}:${n}`).digest('hex')}`;
    out[i] = {
      dir: join(root, 'chains', id),
      params: `${JSON.stringify({ i, n }, null, 2)}\n`,
      lineage: `${JSON.stringify(makeLineage({ id, version: null, runId: 'floor', builtAt: new Date().toISOString(), inputs: [], upstreamOf: () => undefined }))}\n`,
      out: payload(i),
      log: logText(id, i, n),
    };
  }
  return out;
}

let tempCounter = 0;
function tempFor(dir: string, name: string): string {
  tempCounter += 1;
  return join(dir, `.${name}.tmp-${process.pid}-${tempCounter}`);
}

function writeAtomicSync(dir: string, name: string, data: string): void {
  const tmp = tempFor(dir, name);
  writeFileSync(tmp, data);
  renameSync(tmp, join(dir, name));
}

async function writeAtomic(dir: string, name: string, data: string): Promise<void> {
  const tmp = tempFor(dir, name);
  await fsp.writeFile(tmp, data);
  await fsp.rename(tmp, join(dir, name));
}

/** One task's files, synchronously. */
export function writeTaskSync(f: TaskFiles): void {
  mkdirSync(f.dir, { recursive: true });
  writeAtomicSync(f.dir, 'params.json', f.params);
  writeAtomicSync(f.dir, LINEAGE_FILE, f.lineage);
  writeAtomicSync(f.dir, 'out.txt', f.out);
  writeAtomicSync(f.dir, 'log', f.log);
}

/** One task's files with fs.promises, in nectar's order. */
export async function writeTask(f: TaskFiles): Promise<void> {
  await fsp.mkdir(f.dir, { recursive: true });
  await writeAtomic(f.dir, 'params.json', f.params);
  await writeAtomic(f.dir, LINEAGE_FILE, f.lineage);
  await writeAtomic(f.dir, 'out.txt', f.out);
  await writeAtomic(f.dir, 'log', f.log);
}

/** Every task in order, one synchronous call after another. */
export function floorSync(files: readonly TaskFiles[]): void {
  for (const f of files) writeTaskSync(f);
}

/** Every task with fs.promises, `inflight` tasks at once (each task's own steps in order). */
export async function floorAsync(files: readonly TaskFiles[], inflight: number): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let i = next++; i < files.length; i = next++) await writeTask(files[i] as TaskFiles);
  };
  await Promise.all(Array.from({ length: Math.max(1, inflight) }, lane));
}

/** The existence checks of a resume: one `existsSync` per path; returns how many exist. */
export function floorExists(paths: readonly string[]): number {
  let found = 0;
  for (const p of paths) if (existsSync(p)) found++;
  return found;
}

/** Whether every task's four files are in place (a floor that skipped work must not count). */
export function allWritten(files: readonly TaskFiles[]): boolean {
  return files.every((f) => ['params.json', LINEAGE_FILE, 'out.txt', 'log'].every((name) => existsSync(join(f.dir, name))));
}
