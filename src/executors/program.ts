import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import { NectarError } from '../core/errors';
import type { AttemptAbort } from '../core/executor';
import type { SettingValue } from '../core/settings';
import type { Target, TargetStore } from '../core/target';
import type { AnyTask } from '../core/task';
import type { TaskLog } from './task-log';

/** After SIGTERM, how long a program's process group has before SIGKILL (ms). */
export const KILL_GRACE_MS = 3000;
/** Lines of stderr quoted in the error of a failed program. */
const STDERR_TAIL = 12;

function isTarget(x: unknown): x is Target {
  return typeof x === 'object' && x !== null && typeof (x as Target).key === 'string' && typeof (x as Target).exists === 'function';
}

/** `a.txt` -> `A_TXT`: a name an environment variable can carry. */
function envName(s: string): string {
  return s.replace(/[^A-Za-z0-9]+/g, '_').toUpperCase();
}

/** Targets of a shape with their variable names: `NECTAR_X` for one, `NECTAR_X_<KEY>` for a record or a list. */
function named(shape: unknown, base: string, byFile: boolean): [string, Target][] {
  if (shape === undefined || shape === null) return [];
  if (isTarget(shape)) return [[base, shape]];
  const entries = Array.isArray(shape) ? shape.map((t, i) => [String(i), t] as const) : Object.entries(shape as Record<string, unknown>);
  return entries.filter(([, t]) => isTarget(t)).map(([k, t]) => [`${base}_${envName(byFile ? basename((t as Target).key) : k)}`, t as Target]);
}

export interface ProgramAttempt {
  task: AnyTask;
  store: TargetStore;
  abort: AttemptAbort;
  log: TaskLog;
  /** The task's inputs and outputs, in their shapes (outputs guarded: written only while the attempt lives). */
  input: unknown;
  output: unknown;
  /** The settings the task declares: given to the program as `NECTAR_SETTING_<NAME>`. */
  settings: Readonly<Record<string, SettingValue>>;
  /** What the program inherits of the environment: all but nectar's own variables (see `programEnvironment`). */
  env: Readonly<Record<string, string>>;
}

/**
 * Run a program task's command: never through a shell, in a process group of its own (so a
 * timeout or cancel ends everything it started), parameters as arguments, environment and a
 * JSON file, the settings it declares as environment, outputs as temp paths moved into place
 * only after exit 0.
 */
export async function execProgram(a: ProgramAttempt, command: readonly string[]): Promise<void> {
  const [file, ...args] = command;
  if (typeof file !== 'string' || file === '' || command.some((c) => typeof c !== 'string')) {
    throw new NectarError('BAD_TASK_DEFINITION', `${a.task}: command() must return a non-empty array of strings, got ${JSON.stringify(command)}`);
  }
  const tmp = mkdtempSync(join(tmpdir(), 'nectar-program-'));
  try {
    const env: Record<string, string> = {};
    const params = a.task.params;
    const paramsFile = join(tmp, 'params.json');
    writeFileSync(paramsFile, `${JSON.stringify(params, null, 2)}\n`);
    env['NECTAR_PARAMS_FILE'] = paramsFile;
    env['NECTAR_TASK_ID'] = a.task.id;
    for (const [k, v] of Object.entries(a.settings)) env[`NECTAR_SETTING_${envName(k)}`] = String(v);
    const flags: string[] = [];
    for (const [k, v] of Object.entries(params)) {
      const text = typeof v === 'string' ? v : JSON.stringify(v);
      env[`NECTAR_PARAM_${envName(k)}`] = text;
      flags.push(`--${k}=${text}`);
    }
    // Inputs: their files where the store has them on this machine, else copies.
    let n = 0;
    for (const [name, t] of named(a.input, 'NECTAR_INPUT', false)) {
      const local = a.store.localPath?.(t.key);
      if (local) env[name] = local;
      else {
        const copy = join(tmp, `in-${n++}-${basename(t.key)}`);
        await pipeline(t.createReadStream(), createWriteStream(copy));
        env[name] = copy;
      }
    }
    const outputs = named(a.output, 'NECTAR_OUTPUT', true).map(([name, t], i) => ({ name, target: t, path: join(tmp, `out-${i}-${basename(t.key)}`) }));
    for (const o of outputs) env[o.name] = o.path;

    const stderrTail: string[] = [];
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      const child = spawn(file, [...args, ...flags], { env: { ...a.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      let killTimer: NodeJS.Timeout | undefined;
      const killGroup = (signal: NodeJS.Signals): void => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, signal);
        } catch {
          // already gone
        }
      };
      child.once('error', (err) => reject(new NectarError('TASK_FAILED', `${a.task}: cannot start ${file}: ${err.message}`)));
      createInterface({ input: child.stdout }).on('line', (line) => a.log.logger.info({ stream: 'stdout' }, line));
      createInterface({ input: child.stderr }).on('line', (line) => {
        stderrTail.push(line);
        if (stderrTail.length > STDERR_TAIL) stderrTail.shift();
        a.log.logger.warn({ stream: 'stderr' }, line);
      });
      a.abort.aborted.catch(() => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        killGroup('SIGTERM');
        killTimer = setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS);
      });
      child.once('close', (code, signal) => {
        clearTimeout(killTimer);
        // Whatever the program left running in its group goes with it.
        killGroup('SIGKILL');
        resolve({ code, signal });
      });
    });
    if (a.abort.reason) throw a.abort.reason;
    if (exit.code !== 0) {
      const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
      const tail = stderrTail.length ? `:\n${stderrTail.join('\n')}` : ' (nothing on stderr)';
      throw new NectarError('TASK_FAILED', `${a.task}: ${file} ${how}${tail}`);
    }
    const missing = outputs.filter((o) => !existsSync(o.path));
    if (missing.length > 0) throw new NectarError('TASK_FAILED', `${a.task}: ${file} exited 0 but did not write ${missing.map((o) => `${basename(o.target.key)} ($${o.name})`).join(', ')}`);
    for (const o of outputs) await o.target.writeFrom(createReadStream(o.path));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
