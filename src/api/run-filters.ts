import type { Request } from 'express';
import { NAME_PATTERN, PARAM_NAME } from '../core/identity';
import { RUN_STATES, type RunState } from '../core/states';
import type { RunQuery } from '../runtime/types';
import { fail, intQuery } from './respond';

/** The query of `GET /api/runs`: filters, then paging. Every bad value is a 400 naming its parameter. */

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:Z|([+-])(\d{2}):(\d{2}))$/;
const EPOCH_MS = /^\d{1,16}$/;
/** The latest instant a Date holds (epoch ms). */
const MAX_TIME = 8.64e15;

/** Epoch ms of a UTC calendar time, or undefined when a field is out of range (2026-02-30, 24:00). */
function utc(y: number, mo: number, d: number, h = 0, mi = 0, s = 0, ms = 0): number | undefined {
  const t = new Date(0);
  t.setUTCFullYear(y, mo - 1, d);
  t.setUTCHours(h, mi, s, ms);
  const same = t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d && t.getUTCHours() === h && t.getUTCMinutes() === mi && t.getUTCSeconds() === s;
  return same ? t.getTime() : undefined;
}

/** A time bound: an ISO date (UTC midnight), an ISO date-time with its zone, or whole epoch ms. */
function parseTime(raw: string): number | undefined {
  if (EPOCH_MS.test(raw)) return Number(raw) <= MAX_TIME ? Number(raw) : undefined;
  const day = DATE.exec(raw);
  if (day) return utc(Number(day[1]), Number(day[2]), Number(day[3]));
  const m = DATE_TIME.exec(raw);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s = '0', frac = '', sign, oh = '0', om = '0'] = m;
  if (Number(oh) > 23 || Number(om) > 59) return undefined;
  const local = utc(Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s), Number(frac.padEnd(3, '0').slice(0, 3)));
  if (local === undefined) return undefined;
  const offset = (Number(oh) * 60 + Number(om)) * 60_000;
  return sign === '-' ? local + offset : sign === '+' ? local - offset : local;
}

function timeQuery(req: Request, key: 'from' | 'to'): number | undefined {
  const raw = req.query[key];
  if (raw === undefined) return undefined;
  const t = typeof raw === 'string' ? parseTime(raw) : undefined;
  if (t === undefined) {
    fail('BAD_REQUEST', `'${key}' must be a date (2026-12-01, UTC midnight), a date-time with its zone (2026-12-01T10:00:00Z, 2026-12-01T10:00:00.000+01:00) or whole epoch milliseconds, got ${JSON.stringify(raw)}`, { param: key });
  }
  return t;
}

/** `Task`, `type/Task` or `type/chain/Task`: one to three parts, each a plain name. */
const isTaskRef = (v: string): boolean => v.split('/').length <= 3 && v.split('/').every((p) => NAME_PATTERN.test(p));

function taskQuery(req: Request): string | undefined {
  const raw = req.query['task'];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !isTaskRef(raw)) {
    fail('BAD_REQUEST', `'task' must be <Task>, <type>/<Task> or <type>/<chain>/<Task> (each part matching ${NAME_PATTERN.source}), got ${JSON.stringify(raw)}`, { param: 'task' });
  }
  return raw;
}

/** `name=value` with `name` an identifier (split at the first `=`; the value may hold more). */
const isParamPair = (v: string): boolean => v.includes('=') && PARAM_NAME.test(v.slice(0, v.indexOf('=')));

/** `params=name=value`, repeatable: Express gives a string, or an array when repeated. */
function paramsQuery(req: Request): Array<[string, string]> | undefined {
  const raw = req.query['params'];
  if (raw === undefined) return undefined;
  const items: unknown[] = Array.isArray(raw) ? raw : [raw];
  return items.map((item): [string, string] => {
    if (typeof item !== 'string' || !isParamPair(item)) {
      fail('BAD_REQUEST', `'params' must be name=value (the name matching ${PARAM_NAME.source}), repeated for each parameter, got ${JSON.stringify(item)}`, { param: 'params' });
    }
    const at = item.indexOf('=');
    return [item.slice(0, at), item.slice(at + 1)];
  });
}

/** The RunQuery of a `GET /api/runs` request: state, task, params, from, to, limit (1..500, 50), offset. */
export function runQuery(req: Request): RunQuery & { limit: number; offset: number } {
  const state = req.query['state'];
  if (state !== undefined && !(typeof state === 'string' && (RUN_STATES as readonly string[]).includes(state))) {
    fail('BAD_REQUEST', `'state' must be one of ${RUN_STATES.join(', ')}, got ${JSON.stringify(state)}`, { param: 'state' });
  }
  const task = taskQuery(req);
  const params = paramsQuery(req);
  const from = timeQuery(req, 'from');
  const to = timeQuery(req, 'to');
  if (from !== undefined && to !== undefined && from > to) {
    fail('BAD_REQUEST', `'from' (${new Date(from).toISOString()}) is after 'to' (${new Date(to).toISOString()})`, { param: 'from' });
  }
  const limit = intQuery(req, 'limit', 50, 1, 500);
  const offset = intQuery(req, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
  return {
    limit,
    offset,
    ...(state === undefined ? {} : { state: state as RunState }),
    ...(task === undefined ? {} : { task }),
    ...(params === undefined ? {} : { params }),
    ...(from === undefined ? {} : { from }),
    ...(to === undefined ? {} : { to }),
  };
}
