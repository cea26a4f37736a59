import type { FastifyInstance } from 'fastify';

// A placeholder until the dashboard is built: it says where things are, in plain HTML.
const PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Signet</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1f2328}
code{background:#f3f4f6;padding:.1rem .3rem;border-radius:4px}</style></head>
<body>
<h1>Signet</h1>
<p>The collection server is running. The dashboard is not built yet: manage apps, keys and
enforcement through the admin API.</p>
<ul>
<li><a href="/docs">API reference (OpenAPI)</a></li>
<li><a href="/healthz">Health</a> · <a href="/metrics">Metrics</a></li>
</ul>
<p>Admin calls need <code>Authorization: Bearer &lt;admin token&gt;</code>; the token was printed on first start.</p>
</body></html>`;

/** `/`: the dashboard's place. */
export async function dashboardRoutes(app: FastifyInstance): Promise<void> {
  app.get('/', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(PAGE),
  );
}
