import { resolve, sep } from 'node:path';
import { defineConfig, type Plugin } from 'vite';

const SRC = resolve(import.meta.dirname, '..', 'src');
/** The server's files the UI may bundle: the API's wire module and the pure state module it re-exports. */
const SHARED = new Set([resolve(SRC, 'api', 'wire.ts'), resolve(SRC, 'core', 'states.ts')]);

/** The UI talks to the server over HTTP only: of src/ it imports the wire module, nothing else. */
function onlyWire(): Plugin {
  return {
    name: 'nectar-only-wire',
    load(id) {
      const file = id.split('?')[0] ?? id;
      if (file.startsWith(SRC + sep) && !SHARED.has(file)) this.error(`the UI may import only src/api/wire.ts of the server, not ${file}`);
      return null;
    },
  };
}

/** The UI is built into web/dist; `nectar serve` serves it at `/`. */
export default defineConfig({
  root: import.meta.dirname,
  base: './',
  plugins: [onlyWire()],
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 1024 },
  server: { proxy: { '/api': 'http://127.0.0.1:5000' } },
});
