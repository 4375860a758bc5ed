import { existsSync, readFileSync } from 'node:fs';
import { basename, extname, join, resolve, sep } from 'node:path';
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

/** An asset's name: hashed by the build, no folder. */
const ASSET_NAME = /^[\w-]+(\.[\w-]+)*$/;

/**
 * The hashed files under `assets/`, answered from memory (each read once; a name never changes
 * content): in the same turn of the event loop as its request, so the app's bundle never waits
 * behind the work of an API request that came just after it (a page of the partitions grid asks
 * for both at once). Other names, and a file not there, fall through to the static files.
 */
function assetsFromMemory(assets: string): RequestHandler {
  const files = new Map<string, Buffer>();
  return (req, res, next) => {
    const name = req.path.slice(1);
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !ASSET_NAME.test(name)) return next();
    let body = files.get(name);
    if (body === undefined) {
      try {
        body = readFileSync(join(assets, name));
      } catch {
        return next();
      }
      files.set(name, body);
    }
    res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
    res.type(extname(name)).send(body);
  };
}

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
  r.use('/assets', assetsFromMemory(assets));
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
