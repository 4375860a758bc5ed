import { format } from 'node:util';
import { redact } from '../core/redact';
import { currentTaskLog } from '../executors/task-console';

const METHODS = { log: 'info', info: 'info', debug: 'debug', trace: 'debug', warn: 'warn', error: 'error' } as const;
/** The methods that print to stdout (the others print to stderr). */
const TO_STDOUT = new Set<string>(['log', 'info', 'debug']);
let installed = false;
let stdoutIsData = false;

/**
 * Route what chain code prints with `console.*`, in nectar's own processes (the CLI, the
 * server, workers and their children):
 * - inside a task's `run` (any executor), a line goes to that task's log, at the method's
 *   level, and to stderr as well when stderr is a terminal; never to stdout, which belongs to
 *   the process (`nectar run --json` and `--print` write data there);
 * - anywhere, secret setting values are redacted (`[redacted]`) first.
 * Outside a task, output goes where the console sends it, except that once
 * `stdoutCarriesData()` was called, what would go to stdout goes to stderr.
 */
export function routeConsole(): void {
  if (installed) return;
  installed = true;
  for (const [m, level] of Object.entries(METHODS) as [keyof typeof METHODS, (typeof METHODS)[keyof typeof METHODS]][]) {
    const original = console[m].bind(console);
    console[m] = (...args: unknown[]): void => {
      const text = redact(format(...args));
      const log = currentTaskLog();
      if (log) {
        log.write(level, text, { console: m });
        if (process.stderr.isTTY) process.stderr.write(`${text}\n`);
      } else if (stdoutIsData && TO_STDOUT.has(m)) process.stderr.write(`${text}\n`);
      else original(text);
    };
  }
}

/** This process writes data on stdout (`--json`, `--print`): console output stays off it. */
export function stdoutCarriesData(): void {
  stdoutIsData = true;
}
