import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { type ErrorCode, NectarError } from '../core/errors';
import type { ErrorAnswer } from './wire';

interface BodyParserError {
  type?: string;
  status?: number;
  limit?: number;
}

/** Every error answer goes through here: `{ status, message, error: { code, details } }`, the code one of ERROR_CODES. */
export function sendError(res: Response, status: number, message: string, code: ErrorCode, details?: unknown): void {
  const error: ErrorAnswer['error'] = { code };
  if (details !== undefined) error.details = details;
  const body: ErrorAnswer = { status, message, error };
  res.status(status).json(body);
}

/** Unknown routes: 404 in the JSON error shape. */
export const notFound: RequestHandler = (req, res) => {
  sendError(res, 404, `no route ${req.method} ${req.path}`, 'NOT_FOUND');
};

/** A route that exists, asked with another method: 405 with `Allow`. */
export function methodNotAllowed(allowed: readonly string[]): RequestHandler {
  return (req, res) => {
    res.set('Allow', allowed.join(', '));
    sendError(res, 405, `${req.method} is not allowed on ${req.baseUrl}${req.path} (allowed: ${allowed.join(', ')})`, 'METHOD_NOT_ALLOWED');
  };
}

/**
 * Errors to `{ status, message, error: { code, details } }`. Bad input is always a 4xx that
 * names the problem; only our own faults are 5xx, and their stack stays in the server log.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    let status = 500;
    let code: ErrorCode = 'INTERNAL';
    let message = 'internal error';
    let details: unknown;
    const bp = err as BodyParserError;
    if (err instanceof NectarError) {
      status = err.status;
      code = err.code;
      message = err.message;
      details = err.details;
    } else if (bp?.type === 'entity.too.large') {
      status = 413;
      code = 'PAYLOAD_TOO_LARGE';
      message = `the request body is larger than ${bp.limit ?? 'the limit'} bytes`;
    } else if (bp?.type === 'entity.parse.failed') {
      status = 400;
      code = 'BAD_REQUEST';
      message = `the request body is not valid JSON: ${(err as Error).message}`;
    } else if (typeof bp?.status === 'number' && bp.status >= 400 && bp.status < 500) {
      status = bp.status;
      code = 'BAD_REQUEST';
      message = (err as Error).message;
    }
    if (status >= 500) logger.error({ err, method: req.method, url: req.originalUrl }, 'request failed');
    if (res.headersSent) return;
    sendError(res, status, message, code, details);
  };
}
