import { z } from 'zod';
import type { SerializedError } from '../core/errors';

/**
 * What every message between nectar's processes (IPC with worker processes, Redis pub/sub
 * and job data with `nectar worker`s) is built from and checked with. A message is checked
 * once, where it is received: another process may run other code (a different deploy) or
 * be broken, and a malformed message is dropped with a warning rather than trusted.
 */

/** An error as it crosses a process boundary (core's `SerializedError`, checked). */
export const serializedErrorSchema = z.object({
  name: z.string(),
  message: z.string(),
  stack: z.string().optional(),
  code: z.string().optional(),
  nonRetryable: z.boolean().optional(),
}) satisfies z.ZodType<SerializedError>;

/** The reply to a request (`ctx.require()`): no error if what was asked for is complete. */
export const requiredSchema = z.object({
  type: z.literal('required'),
  reqId: z.number(),
  error: serializedErrorSchema.optional(),
});
export type RequiredMessage = z.infer<typeof requiredSchema>;

/** Where a receiver says that it dropped a message, and why. */
export type Warn = (text: string) => void;

/** How many problems a warning names: a batch of thousands that is wrong throughout says it in a few. */
const SHOWN_ISSUES = 3;

/** What is wrong with a value that failed its schema, on one line. */
export function problemOf(error: z.ZodError): string {
  const shown = error.issues.slice(0, SHOWN_ISSUES).map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message));
  const more = error.issues.length - shown.length;
  return more > 0 ? `${shown.join('; ')} (and ${more} more)` : shown.join('; ');
}

/** `raw` as `schema` says, or undefined after a warning naming `what` was dropped and why. */
export function checked<S extends z.ZodType>(schema: S, raw: unknown, what: string, warn: Warn): z.output<S> | undefined {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  warn(`${what} dropped: ${problemOf(r.error)}`);
  return undefined;
}

/** A JSON text (a pub/sub message) checked as `schema` says; undefined after a warning if it is not JSON or does not match. */
export function decoded<S extends z.ZodType>(schema: S, text: string, what: string, warn: Warn): z.output<S> | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    warn(`${what} dropped: not JSON (${(err as Error).message})`);
    return undefined;
  }
  return checked(schema, raw, what, warn);
}
