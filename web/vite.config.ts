import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

// The dashboard: built into web/dist, which the server serves at `/`.
// `npx vite --config web/vite.config.ts` runs it against a server on FIELDSCOPE_URL (default :8080).
const api = process.env.FIELDSCOPE_URL ?? 'http://127.0.0.1:8080';

/**
 * The entry (web/src/main.tsx) loads the rest of the dashboard (web/src/mount.tsx) with import():
 * a hint in the page fetches that chunk beside the entry instead of after the entry has run.
 */
function preloadMount(): Plugin {
  let base = '/';
  return {
    name: 'fieldscope:preload-mount',
    apply: 'build',
    configResolved(config) {
      base = config.base;
    },
    transformIndexHtml: {
      order: 'post',
      handler(_html, ctx) {
        const chunk = Object.values(ctx.bundle ?? {}).find((c) => c.type === 'chunk' && c.facadeModuleId?.endsWith('/src/mount.tsx'));
        if (!chunk) throw new Error('web/src/mount.tsx is not a chunk of the build: the entry no longer imports it on its own');
        return [{ tag: 'link', attrs: { rel: 'modulepreload', crossorigin: true, href: base + chunk.fileName }, injectTo: 'head' }];
      },
    },
  };
}

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react(), preloadMount()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
  },
  server: {
    proxy: {
      '/api': { target: api, ws: true, changeOrigin: true },
    },
  },
});
