/** What a long-running command does once asked to stop. */
export interface StopOptions {
  /** The graceful stop: resolves when everything is closed. */
  stop(signal: NodeJS.Signals): Promise<void>;
  /**
   * The process exits (code 1) this long after the first signal if `stop` has not finished by
   * then: whatever is down or hangs, a stop is bounded.
   */
  boundMs: number;
  /** Told the signal as it arrives (a line on stderr, say). */
  onSignal?(signal: NodeJS.Signals): void;
}

/**
 * Resolves once the process was asked to stop (SIGTERM or SIGINT) and `stop` finished. A
 * second signal while stopping exits at once (code 1), as does the bound running out.
 */
export function untilStopped(o: StopOptions): Promise<void> {
  return new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        process.stderr.write(`${signal} again: exiting now\n`);
        process.exit(1);
      }
      stopping = true;
      o.onSignal?.(signal);
      setTimeout(() => {
        process.stderr.write(`did not stop within ${Math.round(o.boundMs / 1000)} s of ${signal}: exiting now\n`);
        process.exit(1);
      }, o.boundMs).unref();
      o.stop(signal).then(resolve, (err: unknown) => {
        process.stderr.write(`error while stopping: ${(err as Error).message}\n`);
        resolve();
      });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
