import { format } from 'node:util';
import { redact } from '../core/redact';

const METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;
let installed = false;

/**
 * Clean what chain code prints with `console.*` of secret setting values, in nectar's own
 * processes (the CLI, the server, workers and their children): a task that prints a secret
 * with `console.log` instead of `ctx.log` shows `[redacted]` on the terminal and in whatever
 * collects the process's output. Arguments are formatted first (`util.format`, as the console
 * does), then redacted, then written by the original method.
 */
export function redactConsole(): void {
  if (installed) return;
  installed = true;
  for (const m of METHODS) {
    const original = console[m].bind(console);
    console[m] = (...args: unknown[]): void => original(redact(format(...args)));
  }
}
