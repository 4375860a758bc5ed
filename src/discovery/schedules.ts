import { Cron } from 'croner';
import { NAME_PATTERN } from '../core/identity';
import { normalizeParams } from '../core/params';
import { CATCH_UPS, type CatchUp, type ScheduleSpec, tickAt } from '../core/schedule';
import { optionsOf } from '../core/task';
import type { DiscoveredTask, DiscoveryProblem } from './types';

/** A schedule discovery has checked: its cron compiled, its mapping tried on a real tick. */
export interface CompiledSchedule {
  /** The task's reference, `type/chain_chain/Task`. */
  readonly ref: string;
  readonly name: string;
  readonly cron: string;
  readonly timezone: string;
  readonly catchup: CatchUp;
  readonly maxCatchup: number;
  readonly task: DiscoveredTask;
  /** The first tick strictly after `after`; undefined if it never fires again. */
  next(after: Date): Date | undefined;
  /** The task's raw parameters for the tick at `at`. */
  paramsAt(at: Date): Readonly<Record<string, unknown>>;
  /** As declared (`'06:00'`, `'4h'`); undefined without a deadline. */
  readonly deadline: string | undefined;
  /** When the partition of the tick at `tick` must be DONE; undefined without a deadline. */
  deadlineAt(tick: Date): Date | undefined;
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A deadline's rule, or why it is not one. */
function deadlineRule(raw: unknown, timezone: string): ((tick: Date) => Date | undefined) | string {
  const bad = `deadline ${JSON.stringify(raw)}: expected a time of day HH:MM (e.g. '06:00') or a duration after the tick (e.g. '90m', '4h', '1d')`;
  if (typeof raw !== 'string') return bad;
  const clock = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(raw);
  if (clock) {
    const at = new Cron(`${Number(clock[2])} ${Number(clock[1])} * * *`, { timezone, paused: true });
    return (tick) => at.nextRun(new Date(tick.getTime() - 1)) ?? undefined;
  }
  const span = /^(\d{1,6})([smhd])$/.exec(raw);
  if (!span || Number(span[1]) === 0) return bad;
  const ms = Number(span[1]) * (UNIT_MS[span[2] as string] as number);
  return (tick) => new Date(tick.getTime() + ms);
}

/** The instant the mapping of each schedule is tried at when the chains load: its first tick after this. */
const PROBE_FROM = new Date(Date.UTC(2000, 0, 1));

/** Whether an IANA zone is known to this runtime (Intl throws a RangeError for one it is not). */
function knownZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Why a schedule cannot be used, or its compiled form. Never throws. */
function compileOne(t: DiscoveredTask, spec: ScheduleSpec): CompiledSchedule | string {
  const timezone = spec.timezone ?? 'UTC';
  const catchup = spec.catchup ?? 'latest';
  const maxCatchup = spec.maxCatchup ?? 100;
  if (typeof spec.cron !== 'string' || ![5, 6].includes(spec.cron.trim().split(/\s+/).length)) return `cron ${JSON.stringify(spec.cron)}: expected 5 fields (minute hour day month weekday) or 6 (seconds first)`;
  if (typeof timezone !== 'string' || !knownZone(timezone)) return `timezone ${JSON.stringify(timezone)} is not a known IANA time zone (e.g. UTC, Europe/Berlin, America/New_York)`;
  if (!CATCH_UPS.includes(catchup)) return `catchup ${JSON.stringify(catchup)}: expected ${CATCH_UPS.join(', ')}`;
  if (!Number.isInteger(maxCatchup) || maxCatchup < 1 || maxCatchup > 10_000) return `maxCatchup ${JSON.stringify(maxCatchup)}: expected a whole number from 1 to 10000`;
  let cron: Cron;
  try {
    cron = new Cron(spec.cron, { timezone, paused: true });
  } catch (err) {
    return `cron ${JSON.stringify(spec.cron)}: ${(err as Error).message}`;
  }
  const next = (after: Date): Date | undefined => cron.nextRun(after) ?? undefined;
  const rule = spec.deadline === undefined ? undefined : deadlineRule(spec.deadline, timezone);
  if (typeof rule === 'string') return rule;
  const map = spec.params ?? {};
  const paramsAt = (at: Date): Readonly<Record<string, unknown>> => (typeof map === 'function' ? map(tickAt(at, timezone)) : map);
  const probe = next(PROBE_FROM);
  if (!probe) return `cron ${JSON.stringify(spec.cron)} never fires`;
  let params: Readonly<Record<string, unknown>>;
  try {
    params = paramsAt(probe);
  } catch (err) {
    return `its params mapping threw on the tick of ${probe.toISOString()}: ${(err as Error).message}`;
  }
  if (typeof params !== 'object' || params === null || Array.isArray(params)) return 'its params mapping must give an object of parameters';
  const unknown = Object.keys(params).filter((k) => !Object.prototype.hasOwnProperty.call(t.cls.paramSchema, k));
  if (unknown.length > 0) return `it maps to ${unknown.map((k) => `'${k}'`).join(', ')}, which ${t.name} does not have (parameters: ${Object.keys(t.cls.paramSchema).join(', ') || 'none'})`;
  try {
    normalizeParams(t.cls.paramSchema, params, t.name);
  } catch (err) {
    return `its parameters for the tick of ${probe.toISOString()} are not valid: ${(err as Error).message}`;
  }
  return { ref: t.ref, name: spec.name, cron: spec.cron, timezone, catchup, maxCatchup, task: t, next, paramsAt, deadline: spec.deadline, deadlineAt: (tick) => rule?.(tick) };
}

/**
 * Check and compile the schedules a task declares. A bad one (expression, zone, catch-up,
 * a mapping to a parameter the task does not have or to a bad value) is a load problem
 * naming the task and the schedule; the task itself and its other schedules still load.
 */
export function compileSchedules(t: DiscoveredTask, problems: DiscoveryProblem[]): CompiledSchedule[] {
  let specs: readonly ScheduleSpec[];
  try {
    specs = optionsOf(t.cls).schedules;
  } catch {
    return []; // Its options are bad: reported where the task is used.
  }
  const out: CompiledSchedule[] = [];
  const seen = new Set<string>();
  for (const spec of specs) {
    const name = typeof spec?.name === 'string' ? spec.name : '';
    const problem = (why: string): void => void problems.push({ path: t.file, reason: `${t.ref}: schedule '${name}': ${why}` });
    if (!NAME_PATTERN.test(name)) problem(`the name must match ${NAME_PATTERN.source}`);
    else if (seen.has(name)) problem('declared twice');
    else {
      seen.add(name);
      const c = compileOne(t, spec);
      if (typeof c === 'string') problem(c);
      else out.push(c);
    }
  }
  return out;
}
