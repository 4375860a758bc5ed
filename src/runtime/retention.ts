import type { Logger } from 'pino';
import type { Clock, ClockTimer } from '../core/clock';
import type { RunStore } from '../store/types';

const HOUR_MS = 3_600_000;

/** A running retention: `stop` ends it once the prune in flight (if any) is done. */
export interface Retention {
  /** Prune now (what the timer does); resolves with how many runs went. */
  prune(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Run retention (`NECTAR_RUN_RETENTION`): at start, then every hour by `clock`, the runs
 * created longer ago than `maxAgeMs` that are not in flight are pruned from the run store with
 * their task rows. Never throws: a failed prune is logged and the next one tries again.
 */
export function startRetention(o: { store: RunStore; maxAgeMs: number; clock: Clock; logger: Logger; everyMs?: number }): Retention {
  let timer: ClockTimer | undefined;
  let running: Promise<number> | undefined;
  let stopped = false;
  const prune = (): Promise<number> => {
    running ??= o.store
      .pruneRuns(o.clock.now() - o.maxAgeMs)
      .then(
        (n) => {
          if (n > 0) o.logger.info({ pruned: n, maxAgeMs: o.maxAgeMs }, `pruned ${n} run(s) older than the retention`);
          return n;
        },
        (err: unknown) => {
          o.logger.warn({ err }, 'could not prune old runs; trying again at the next round');
          return 0;
        },
      )
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const arm = (): void => {
    if (stopped) return;
    timer = o.clock.setTimer(() => {
      void prune().finally(arm);
    }, o.everyMs ?? HOUR_MS);
  };
  void prune().finally(arm);
  return {
    prune,
    stop: async () => {
      stopped = true;
      timer?.cancel();
      await running;
    },
  };
}
