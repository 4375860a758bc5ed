import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO } from './runtime';

/** A `nectar worker` (or `nectar serve`) child process of a test. */
export interface TestWorker {
  readonly child: ChildProcess;
  readonly pid: number;
  /** What it wrote on stderr so far. */
  stderr(): string;
  /** Resolves with the exit code (or signal) when it exits. */
  readonly exited: Promise<number | NodeJS.Signals | null>;
  kill(signal: NodeJS.Signals): void;
}

/** Start `nectar <args>` and resolve once its stderr matches `ready`, with the match. */
export async function startNectar(args: string[], env: Record<string, string>, ready: RegExp): Promise<{ proc: TestWorker; match: RegExpExecArray }> {
  const child = spawn(process.execPath, [join(REPO, 'bin/nectar.js'), ...args], {
    env: { ...process.env, NECTAR_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  const exited = new Promise<number | NodeJS.Signals | null>((res) => child.once('exit', (code, sig) => res(code ?? sig)));
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nectar ${args[0]} did not get ready: ${err}`)), 30_000);
    child.stderr?.setEncoding('utf8').on('data', (s: string) => {
      err += s;
      const m = ready.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`nectar ${args[0]} exited (${code}) before it was ready: ${err}`));
    });
  });
  const proc: TestWorker = {
    child,
    pid: child.pid as number,
    stderr: () => err,
    exited,
    kill: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
  return { proc, match };
}

/** Start `nectar worker` with these flags and environment; resolves once it says it is ready. */
export async function startWorker(env: Record<string, string>, flags: string[] = []): Promise<TestWorker> {
  return (await startNectar(['worker', ...flags], env, / ready: /)).proc;
}

/** A `nectar serve` child process of a test, on a free port. */
export async function startServe(env: Record<string, string>, flags: string[] = []): Promise<TestWorker & { base: string }> {
  const { proc, match } = await startNectar(['serve', '--port', '0', ...flags], env, /http:\/\/127\.0\.0\.1:(\d+)/);
  return { ...proc, base: `http://127.0.0.1:${match[1]}` };
}

/** Stop workers (SIGTERM, then SIGKILL after a few seconds) and wait for them to exit. */
export async function stopWorkers(workers: readonly TestWorker[]): Promise<void> {
  await Promise.all(workers.map(async (w) => {
    w.kill('SIGTERM');
    const t = setTimeout(() => w.kill('SIGKILL'), 5000);
    await w.exited;
    clearTimeout(t);
  }));
}

/** Resolves with the exit code (or signal) if the process exits within `ms`, else with 'still running'. */
export async function exitWithin(proc: TestWorker, ms: number): Promise<number | NodeJS.Signals | null | 'still running'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'still running'>((res) => (timer = setTimeout(() => res('still running'), ms)));
  try {
    return await Promise.race([proc.exited, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** True while a process with this pid exists on this machine. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
