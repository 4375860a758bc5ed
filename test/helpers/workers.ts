import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO } from './runtime';

/** A `nectar worker` child process of a test. */
export interface TestWorker {
  readonly child: ChildProcess;
  readonly pid: number;
  /** What it wrote on stderr so far. */
  stderr(): string;
  /** Resolves with the exit code (or signal) when it exits. */
  readonly exited: Promise<number | NodeJS.Signals | null>;
  kill(signal: NodeJS.Signals): void;
}

/** Start `nectar worker` with these flags and environment; resolves once it says it is ready. */
export async function startWorker(env: Record<string, string>, flags: string[] = []): Promise<TestWorker> {
  const child = spawn(process.execPath, [join(REPO, 'bin/nectar.js'), 'worker', ...flags], {
    env: { ...process.env, NECTAR_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  const exited = new Promise<number | NodeJS.Signals | null>((res) => child.once('exit', (code, sig) => res(code ?? sig)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not get ready: ${err}`)), 30_000);
    child.stderr?.setEncoding('utf8').on('data', (s: string) => {
      err += s;
      if (err.includes(' ready: ')) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited (${code}) before it was ready: ${err}`));
    });
  });
  return {
    child,
    pid: child.pid as number,
    stderr: () => err,
    exited,
    kill: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
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

/** A `nectar serve` child process of a test, on a free port. */
export async function startServe(env: Record<string, string>): Promise<TestWorker & { base: string }> {
  const child = spawn(process.execPath, [join(REPO, 'bin/nectar.js'), 'serve', '--port', '0'], {
    env: { ...process.env, NECTAR_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  const exited = new Promise<number | NodeJS.Signals | null>((res) => child.once('exit', (code, sig) => res(code ?? sig)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${err}`)), 30_000);
    child.stderr?.setEncoding('utf8').on('data', (s: string) => {
      err += s;
      const m = /http:\/\/127\.0\.0\.1:(\d+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}) before it was ready: ${err}`));
    });
  });
  return {
    child,
    pid: child.pid as number,
    base: `http://127.0.0.1:${port}`,
    stderr: () => err,
    exited,
    kill: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}
