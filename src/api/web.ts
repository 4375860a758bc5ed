import { existsSync } from 'node:fs';
import { basename, join, resolve, sep } from 'node:path';
import express, { type RequestHandler, Router } from 'express';

/** Where `vite build` puts the UI: `web/dist` in the repository (two levels above src/api). */
export const WEB_DIST = resolve(__dirname, '..', '..', 'web', 'dist');

const NOT_BUILT = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>nectar: UI not built</title></head>
<body>
<h1>The nectar UI is not built</h1>
<p>Run <code>npm run build</code> and reload this page. The API is served at <code>/api</code> meanwhile.</p>
</body>
</html>
`;

/**
 * The built UI at `/`: hashed files under `assets/` cached for good, `index.html` revalidated
 * every time. No auth here (the API under /api keeps its own); requests for /api never
 * reach these files. Without a build, `/` answers 503 saying how to make one.
 */
export function webUi(dist: string = WEB_DIST): Router {
  const r = Router();
  const root = resolve(dist);
  const index = join(root, 'index.html');
  const assets = join(root, 'assets');
  const notApi: RequestHandler = (req, _res, next) => {
    next(req.path === '/api' || req.path.startsWith('/api/') ? 'router' : undefined);
  };
  r.use(notApi);
  r.get(['/', '/index.html'], (_req, res, next) => {
    if (existsSync(index)) return next();
    res.status(503).set('Cache-Control', 'no-store').type('html').send(NOT_BUILT);
  });
  r.use(
    express.static(root, {
      index: 'index.html',
      setHeaders(res, path) {
        if (path.startsWith(assets + sep)) res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
        else if (basename(path) === 'index.html') res.setHeader('Cache-Control', 'no-cache');
      },
    }),
  );
  return r;
}
