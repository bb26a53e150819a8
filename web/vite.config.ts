import { defineConfig } from 'vite';

/**
 * The console: a static single-page app. Preact's JSX through Vite's own transform (no framework
 * plugin, no Babel); the chart library is split into its own chunk, loaded only by the meter page.
 * `npm run dev:web` proxies the API to the local stack on 4242.
 */
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', sourcemap: false },
  server: {
    proxy: Object.fromEntries(['/v1', '/v2', '/healthz'].map((path) => [path, 'http://127.0.0.1:4242'])),
  },
});
