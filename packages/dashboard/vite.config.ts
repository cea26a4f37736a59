import { defaultClientConditions, defineConfig } from 'vite';

// A static build served by the collection server at `/`; everything is bundled (no CDN).
// Workspace packages (the protocol) are bundled from their TypeScript sources.
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  logLevel: 'warn',
  resolve: { conditions: ['@signet/source', ...defaultClientConditions] },
  // Written into the server's package, which ships and serves it.
  build: { outDir: '../server/dashboard', emptyOutDir: true, target: 'es2022', sourcemap: false },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
});
