import type { Request, Response } from 'express';
import { NectarError, type ErrorCode } from '../core/errors';
import { NAME_PATTERN } from '../core/identity';
import type { Envelope } from './wire';

/** Every JSON answer: `{ status, message, data }` (errors add `error: { code, details }`). */
export function send<T>(res: Response, status: number, data: T, message = 'success'): void {
  const body: Envelope<T> = { status, message, data };
  res.status(status).json(body);
}

/** Throw from a handler: the error middleware turns it into the JSON error shape. */
export function fail(code: ErrorCode, message: string, details?: unknown): never {
  throw new NectarError(code, message, details);
}

/** A path segment that must be a plain name (type, chain, task): never `..`, slashes or odd characters. */
export function nameParam(req: Request, key: string): string {
  const v = req.params[key];
  if (typeof v !== 'string' || !NAME_PATTERN.test(v)) fail('BAD_REQUEST', `'${key}' must match ${NAME_PATTERN.source}, got ${JSON.stringify(v)}`, { param: key });
  return v;
}

/** A whole-number query parameter within bounds, `def` when absent; anything else is a 400 naming it. */
export function intQuery(req: Request, key: string, def: number, min: number, max: number): number {
  const raw = req.query[key];
  if (raw === undefined) return def;
  const n = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) fail('BAD_REQUEST', `'${key}' must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`, { param: key });
  return n;
}

/** `scheme://host` of this request, for the URLs we hand out. */
export function baseUrl(req: Request): string {
  return `${req.protocol}://${req.get('host') ?? 'localhost'}`;
}

/** A task id as the API accepts it: `type/chain/Task/<32 hex>`. */
export const TASK_ID = /^[A-Za-z0-9_-]+\/[A-Za-z0-9_-]+\/[A-Za-z0-9_-]+\/[0-9a-f]{32}$/;
