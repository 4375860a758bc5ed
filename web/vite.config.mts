import { defineConfig } from 'vite';

/**
 * The UI is built into web/dist; `nectar serve` serves it at `/`. Of src/ it imports only the
 * API's wire module (the layer check, .dependency-cruiser.cjs, holds it to that).
 */
export default defineConfig({
  root: import.meta.dirname,
  base: './',
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 1024 },
  server: { proxy: { '/api': 'http://127.0.0.1:5000' } },
});
