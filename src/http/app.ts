/**
 * The Fastify app: one HTTP server for the API (/api/v1, bearer-token auth), health, and (later) the UI and hooks.
 * Bodies are parsed as JSON whatever their Content-Type (as grpc-gateway does, so `curl -d` works); errors always
 * answer with Determined's error body plus a stable `type` (see ./errors.ts and docs/errors.md).
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { ApiError } from './errors.js';
import type { Caller } from '../sender/auth-context.js';
import type { AppContext } from './context.js';
import { registerWebhookRoutes } from './routes/webhooks.js';
import { registerExperimentRoutes } from './routes/experiments.js';
import { registerAdminRoutes } from './routes/admin.js';
import { registerDeliveryRoutes } from './routes/deliveries.js';

declare module 'fastify' {
  interface FastifyRequest { caller: Caller }
}

export const VERSION = '0.1.0';

function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ApiError('invalid_json', `the request body is not valid JSON: ${(e as Error).message}`);
  }
}

export function buildApp(ctx: AppContext, log: Logger): FastifyInstance {
  const app = Fastify({
    loggerInstance: log as unknown as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: ctx.config.limits.api_body_bytes,
    trustProxy: false,
    return503OnClosing: true,
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (e) {
      done(e as Error, undefined);
    }
  });

  app.decorateRequest('caller', null as unknown as Caller);

  app.setErrorHandler((err: Error, req, reply) => {
    let e: ApiError;
    if (err instanceof ApiError) e = err;
    else if ((err as { code?: string }).code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      e = new ApiError('body_too_large', `the request body is larger than ${ctx.config.limits.api_body_bytes} bytes`);
    } else if ((err as { code?: string }).code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH') {
      e = new ApiError('invalid_argument', 'the Content-Length header does not match the body');
    } else if (((err as { statusCode?: number }).statusCode ?? 500) < 500) {
      e = new ApiError('invalid_argument', err.message);
    } else {
      req.log.error({ err, url: req.url, method: req.method }, 'unexpected error');
      e = new ApiError('internal', 'internal error: Switchyard did not expect this, and nothing was written; the server log has the details');
    }
    void reply.code(e.http).send(e.toBody());
  });

  app.setNotFoundHandler((req, reply) => {
    const e = new ApiError('not_found', `no route ${req.method} ${req.url.split('?')[0]}; the API is under /api/v1 (see docs/api.md)`);
    void reply.code(404).send(e.toBody());
  });

  app.get('/health', async () => ({ status: 'ok', version: VERSION }));
  app.get('/', async (_req, reply) => {
    void reply.type('text/html; charset=utf-8');
    return `<!doctype html><meta charset="utf-8"><title>Switchyard</title><h1>Switchyard ${VERSION}</h1>
<p>The API is at <code>/api/v1</code> (send <code>Authorization: Bearer &lt;token&gt;</code>). The web UI arrives in a later release.</p>`;
  });

  void app.register(async (api) => {
    api.addHook('onRequest', async (req: FastifyRequest) => {
      req.caller = await ctx.auth.authenticate(req.headers.authorization);
    });
    registerWebhookRoutes(api, ctx);
    registerExperimentRoutes(api, ctx);
    registerAdminRoutes(api, ctx);
    registerDeliveryRoutes(api, ctx);
  }, { prefix: '/api/v1' });

  return app;
}
