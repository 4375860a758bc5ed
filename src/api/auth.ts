import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { sendError } from './errors';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** `Authorization: Bearer <token>` on every route it guards; compared in constant time. */
export function bearerAuth(token: string): RequestHandler {
  const want = digest(token);
  return (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(header);
    if (m && timingSafeEqual(digest(m[1] as string), want)) return next();
    res.set('WWW-Authenticate', 'Bearer realm="nectar"');
    sendError(res, 401, m ? 'the bearer token is wrong' : 'this API needs Authorization: Bearer <token>', 'UNAUTHORIZED');
  };
}
