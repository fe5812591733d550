/**
 * The Fastify app: one HTTP server for the API (/api/v1, bearer-token auth), health, and (later) the UI and hooks.
 * Bodies are parsed as JSON whatever their Content-Type (as grpc-gateway does, so `curl -d` works); errors always
 * answer with Determined's error body plus a stable `type` (see ./errors.ts and docs/errors.md).
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { ApiError } from './errors.js';
import type { Caller } from '../sender/auth-context.js';
import type { AppContext } from './context.js';
import { registerWebhookRoutes } from './routes/webhooks.js';
import { registerExperimentRoutes, stateFastPath } from './routes/experiments.js';
import { registerAdminRoutes } from './routes/admin.js';
import { registerDeliveryRoutes } from './routes/deliveries.js';
import { registerFlowRoutes } from './routes/flows.js';
import { catchFastPath, registerHookRoutes } from './routes/hooks.js';
import { registerAlertingRoutes } from './routes/alerting.js';
import { registerUi } from './ui.js';

declare module 'fastify' {
  interface FastifyRequest { caller: Caller }
  /** Requests answered by the fast paths in front of Fastify (see buildApp): what tests check they were taken. */
  interface FastifyInstance { fastPaths: { catch: number; state: number } }
}

export const VERSION = '0.1.0';

/** Deepest array/object nesting a body may have: enough for any real request, and far below what would overflow the
 *  stack when the value is stored or rendered again (JSON.stringify recurses). */
export const MAX_JSON_DEPTH = 64;

/** The deepest `{`/`[` nesting of a JSON text (brackets inside strings not counted); stops early past `limit`. */
function jsonDepth(text: string, limit: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max && (max = depth) > limit) return max;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  if (text.charCodeAt(0) === 0xfeff) {
    throw new ApiError('invalid_json', 'the request body is not valid JSON: it starts with a byte order mark (U+FEFF); send UTF-8 JSON without a BOM');
  }
  // Checked before parsing: JSON.parse of a deeply nested body is slow (~0.1 s per 100k levels) and blocks the loop.
  if (jsonDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    throw new ApiError('invalid_json', `the request body is nested more than ${MAX_JSON_DEPTH} levels deep (arrays and objects); no Switchyard request needs that many`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ApiError('invalid_json', `the request body is not valid JSON: ${(e as Error).message}`);
  }
}

/** Sends an ApiError as Determined's error body (for paths that bypass the error handler). */
function sendError(reply: FastifyReply, e: ApiError): void {
  void reply.code(e.http).send(e.toBody());
}

/** Turns `/api/v1/webhooks/:id` into a regex that matches concrete paths of that route. */
function routePattern(url: string): RegExp {
  const esc = url.split('/').map((seg) => (seg.startsWith(':') ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  return new RegExp(`^${esc.join('/')}/?$`);
}

export function buildApp(ctx: AppContext, log: Logger): FastifyInstance {
  const app = Fastify({
    loggerInstance: log as unknown as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: ctx.config.limits.api_body_bytes,
    trustProxy: false,
    return503OnClosing: true,
    // Errors Fastify raises before routing (a path that is not valid percent-encoding, an over-long path segment):
    // answered with the same error body as everything else.
    frameworkErrors: (err, _req, reply) => {
      const code = (err as { code?: string }).code;
      sendError(reply, code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? new ApiError('invalid_id', 'a path id is too long: ids are positive whole numbers of at most 10 digits')
        : new ApiError('invalid_argument', `the request path is not valid (${code === 'FST_ERR_BAD_URL' ? 'bad percent-encoding' : err.message}); percent-encode it correctly`));
    },
    // Requests Node's HTTP parser rejects (malformed request line or headers, conflicting Content-Length, …).
    clientErrorHandler: (err: Error & { code?: string }, socket) => {
      if (err.code === 'ECONNRESET' || socket.destroyed) return;
      if (socket.writable) {
        const timeout = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
        const e = new ApiError('invalid_argument', timeout
          ? 'the request was not received in time'
          : err.code === 'HPE_HEADER_OVERFLOW'
            ? 'the request headers are too large'
            : `malformed HTTP request (${err.code ?? 'parse error'}): check the request line, headers and Content-Length`);
        const body = JSON.stringify(e.toBody());
        socket.write(`HTTP/1.1 ${e.http} Bad Request\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      }
      socket.destroy(err);
    },
  });

  // The catch hooks' common case and the producers' state changes are answered before Fastify (catchFastPath,
  // stateFastPath); everything else goes on to Fastify's own request handler, which stays the server's only
  // 'request' listener. Once the server is closing, state changes go to Fastify too, which answers them 503.
  const taken = { catch: 0, state: 0 };
  app.decorate('fastPaths', taken);
  const listeners = app.server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  if (listeners.length === 1) {
    const fastify = listeners[0]!;
    const fastCatch = catchFastPath(ctx, log);
    let closing = false;
    app.addHook('preClose', async () => { closing = true; });
    const fastState = stateFastPath(ctx, log, { parseJson: parseJsonBody, closing: () => closing });
    app.server.removeListener('request', fastify);
    app.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (fastCatch(req, res)) taken.catch++;
      else if (fastState(req, res)) taken.state++;
      else fastify(req, res);
    });
  }

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (e) {
      done(e as Error, undefined);
    }
  });

  app.decorateRequest('caller', null as unknown as Caller);

  // Every route (method + path pattern), so an unknown method on a known path answers 405, not 404.
  const routes: { method: string; re: RegExp }[] = [];
  app.addHook('onRoute', (r) => {
    for (const m of Array.isArray(r.method) ? r.method : [r.method]) routes.push({ method: String(m).toUpperCase(), re: routePattern(r.url) });
  });

  app.setErrorHandler((err: Error, req, reply) => {
    let e: ApiError;
    const code = (err as { code?: string }).code;
    if (err instanceof ApiError) e = err;
    else if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      e = new ApiError('body_too_large', `the request body is larger than ${ctx.config.limits.api_body_bytes} bytes`);
    } else if (code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH') {
      e = new ApiError('invalid_argument', 'the Content-Length header does not match the body');
    } else if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      e = new ApiError('invalid_argument', `the Content-Type header ${JSON.stringify(req.headers['content-type'] ?? '')} is not a valid media type; send Content-Type: application/json`);
    } else if (((err as { statusCode?: number }).statusCode ?? 500) < 500) {
      e = new ApiError('invalid_argument', err.message);
    } else {
      req.log.error({ err, url: req.url, method: req.method }, 'unexpected error');
      e = new ApiError('internal', 'internal error: Switchyard did not expect this, and nothing was written; the server log has the details');
    }
    sendError(reply, e);
  });

  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0] ?? '';
    const allowed = [...new Set(routes.filter((r) => r.re.test(path)).map((r) => r.method))];
    if (allowed.length > 0) {
      void reply.header('allow', allowed.join(', '));
      sendError(reply, new ApiError('method_not_allowed', `${req.method} is not allowed on ${path}; use ${allowed.join(' or ')}`));
      return;
    }
    sendError(reply, new ApiError('not_found', `no route ${req.method} ${path}; the API is under /api/v1 (see docs/api.md)`));
  });

  app.get('/health', async () => ({ status: 'ok', version: VERSION }));

  // Prometheus metrics: a bearer token is needed unless metrics.public is set.
  app.get('/metrics', async (req, reply) => {
    if (!ctx.config.metrics.public) await ctx.auth.authenticate(req.headers.authorization);
    void reply.type(ctx.metrics.contentType);
    return ctx.metrics.render();
  });
  // The web UI (web/dist): its pages, assets, and a 503 page when it is not built.
  void app.register(registerUi);

  void app.register(async (api) => {
    api.addHook('onRequest', async (req: FastifyRequest) => {
      req.caller = await ctx.auth.authenticate(req.headers.authorization);
    });
    registerWebhookRoutes(api, ctx);
    registerExperimentRoutes(api, ctx);
    registerAdminRoutes(api, ctx);
    registerDeliveryRoutes(api, ctx);
    registerFlowRoutes(api, ctx);
    registerAlertingRoutes(api, ctx);
  }, { prefix: '/api/v1' });
  registerHookRoutes(app, ctx);

  return app;
}
