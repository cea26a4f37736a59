import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

// Shown when the dashboard has not been built (`npm run build`, which `npm ci` runs, builds it).
const PLACEHOLDER = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Signet</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1f2328}
code{background:#f3f4f6;padding:.1rem .3rem;border-radius:4px}</style></head>
<body>
<h1>Signet</h1>
<p>The collection server is running, but the dashboard is not built: run
<code>npm run build</code> at the repository's root (<code>npm ci</code> and <code>npm start</code> run it).</p>
<ul>
<li><a href="/docs">API reference (OpenAPI)</a></li>
<li><a href="/healthz">Health</a> · <a href="/metrics">Metrics</a></li>
</ul>
</body></html>`;

// The dashboard only talks to its own origin and never needs inline script or style.
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/**
 * The built dashboard, shipped inside this package: `dashboard/` beside `src/` and `dist/`
 * (both two levels down from here), where the dashboard's Vite build writes it. The server
 * serves it as data; it does not depend on the dashboard's package.
 */
export function defaultDashboardDir(): string {
  return fileURLToPath(new URL('../../dashboard/', import.meta.url));
}

/** `/` and its assets: the built dashboard (no CDN at run time), or a placeholder page. */
export async function dashboardRoutes(app: FastifyInstance, options: { dir: string | null }): Promise<void> {
  const { dir } = options;
  if (dir === null || !existsSync(join(dir, 'index.html'))) {
    app.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply.type('text/html; charset=utf-8').send(PLACEHOLDER),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/',
    // One route per built file, so unknown paths still get the API's JSON 404.
    wildcard: false,
    decorateReply: false,
    schemaHide: true,
    setHeaders(reply, path) {
      reply.header('x-content-type-options', 'nosniff');
      reply.header('referrer-policy', 'no-referrer');
      if (path.endsWith('.html')) {
        reply.header('content-security-policy', CSP);
        reply.header('x-frame-options', 'DENY');
        reply.header('cache-control', 'no-cache');
      } else if (path.includes(`${join(dir, 'assets')}`)) {
        // Built assets carry a content hash in their name.
        reply.header('cache-control', 'public, max-age=31536000, immutable');
      }
    },
  });
}
