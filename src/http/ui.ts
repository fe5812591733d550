/**
 * The web UI (web/, a Vite + React app) served by the API's own server: the built files in web/dist (made by
 * `npm run build:web`, which `npm ci` runs through `prepare`). Hashed assets are cached for ever; index.html is
 * answered for every page of the app (SPA fallback) and never cached. The UI talks only to /api/v1.
 *
 * Page routes are listed in UI_PAGES: a new top-level page of the app needs a line here. They never shadow /api,
 * /hooks, /metrics or /health (those are registered by app.ts; a page prefix must not start with them).
 * If the UI was not built, every page answers 503 with a short HTML page that says how to build it.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** web/dist, found from this file (src/http/ui.ts runs as dist/src/http/ui.js). */
export const UI_DIST = fileURLToPath(new URL('../../../web/dist/', import.meta.url));

/** Paths of the single-page app: each answers index.html; the app's router takes it from there. */
export const UI_PAGES = [
  '/', '/login',
  '/det/webhooks', '/webhooks/*',
  '/experiments', '/experiments/*',
  '/flows', '/flows/*', '/runs', '/runs/*',
  '/alerts', '/settings', '/settings/*',
] as const;

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Switchyard: UI not built</title>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; line-height: 1.5">
<h1>The web UI is not built</h1>
<p>This server has no <code>web/dist</code>. Build it with <code>npm run build:web</code> (<code>npm ci</code> does it
for you), then reload this page. The API works without it, at <code>/api/v1</code>.</p>`;

/** Registers the UI's routes; `dist` (default UI_DIST, ending in a slash) is where the built files are. */
export async function registerUi(app: FastifyInstance, opts: { dist?: string } = {}): Promise<void> {
  const dist = opts.dist ?? UI_DIST;
  const built = (): boolean => existsSync(`${dist}index.html`);
  if (existsSync(dist)) {
    await app.register(fastifyStatic, { root: dist, serve: false });
  }
  const page = async (_req: unknown, reply: FastifyReply) => {
    if (!built() || !reply.sendFile) {
      return reply.code(503).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(NOT_BUILT);
    }
    return reply.header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false });
  };
  for (const path of UI_PAGES) app.get(path, page);

  // Vite's hashed bundles: the name changes with the content, so they may be cached for a year.
  app.get<{ Params: { '*': string } }>('/assets/*', async (req, reply) => {
    if (!built() || !reply.sendFile) return reply.code(503).type('text/html; charset=utf-8').send(NOT_BUILT);
    return reply.sendFile(`assets/${req.params['*']}`, { immutable: true, maxAge: '365d' });
  });
  app.get('/favicon.svg', async (_req, reply) => {
    if (!built() || !reply.sendFile) return reply.code(404).send();
    return reply.sendFile('favicon.svg', { maxAge: '1d' });
  });
}
