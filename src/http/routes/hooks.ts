/** The catch hooks' HTTP side: raw bodies of any content type, up to receiver.body_limit_bytes. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { AppContext } from '../context.js';
import { ApiError } from '../errors.js';
import type { IngressResult } from '../../receiver/ingress.js';
import { sendJson } from '../raw.js';

const KEY = /^[A-Za-z0-9_-]{16,128}$/;
const PREFIX = '/hooks/catch/';

/** The JSON body of a 200 from a catch hook (no static response configured). */
function capturedBody(r: Extract<IngressResult, { kind: 'captured' }>) {
  return {
    status: 'success', captureId: r.captureId, flowId: r.flow.id, runId: r.runId,
    ...(r.status === 'duplicate' ? { duplicate: true } : {}), ...(r.status === 'off' ? { flowOff: true } : {}),
  };
}

/** The API error of an ingress result that is not a capture (one wording for the fast path and the route). */
function notCaptured(r: Extract<IngressResult, { kind: 'unknown_hook' | 'rate_limited' }>): ApiError {
  return r.kind === 'unknown_hook'
    ? new ApiError('hook_not_found', 'no catch hook has this URL (was its key rotated?); copy the URL from the flow (GET /api/v1/flows/{id})')
    : new ApiError('rate_limited', `this hook accepts a limited number of requests per second; retry after ${r.retryAfterSec} s`);
}

/**
 * The body of a GET, read off Node's request: Fastify treats GET as bodyless (it neither parses nor limits its body),
 * but a catch hook keeps every request exactly, a GET's body too. The same limit and 413 as a POST's body, checked
 * the way Fastify checks those: on the declared Content-Length first, then on the bytes as they arrive (chunked).
 */
function readGetBody(req: IncomingMessage, limit: number, tooLarge: () => ApiError): Promise<Buffer> {
  const cl = req.headers['content-length'];
  if (req.headers['transfer-encoding'] === undefined && (cl === undefined || cl === '0')) return Promise.resolve(Buffer.alloc(0));
  if (cl !== undefined && Number(cl) > limit) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (err: Error | null) => {
      req.removeListener('data', onData);
      req.removeListener('end', onEnd);
      req.removeListener('error', onError);
      req.removeListener('close', onClose);
      if (err) reject(err); else resolve(Buffer.concat(chunks, size));
    };
    // Over the limit: answered at once; the rest of the body is read and dropped (the stream keeps flowing).
    const onData = (c: Buffer) => { size += c.length; if (size > limit) done(tooLarge()); else chunks.push(c); };
    const onEnd = () => done(null);
    const onError = (e: Error) => done(Object.assign(e, { statusCode: 400 }));
    const onClose = () => { if (!req.complete) done(Object.assign(new Error('the request body was cut off'), { statusCode: 400 })); };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
    req.resume();
  });
}

/**
 * The catch hooks' fast path, in front of Fastify: a POST, PUT or GET to the exact catch URL of a flow this process
 * has looked up in the last second, with no static response or rate limit of its own, a Content-Type and a
 * Content-Length within the limit (a GET: no body; a GET's body is read by the route, see readGetBody), is read and
 * answered on Node's request directly — Fastify's
 * routing, request and reply objects, child logger and hooks cost about as much per request as the capture itself.
 * It answers exactly what the route below answers. Anything else (returns false) goes to Fastify.
 */
export function catchFastPath(ctx: AppContext, log: Logger): (req: IncomingMessage, res: ServerResponse) => boolean {
  const limit = ctx.config.receiver.body_limit_bytes;
  return (req, res) => {
    const url = req.url;
    if (url === undefined || !url.startsWith(PREFIX)) return false;
    const method = req.method;
    if (method !== 'POST' && method !== 'PUT' && method !== 'GET') return false;
    const q = url.indexOf('?');
    let key = q < 0 ? url.slice(PREFIX.length) : url.slice(PREFIX.length, q);
    if (key.endsWith('/')) key = key.slice(0, -1);
    if (!KEY.test(key)) return false;
    const flow = ctx.ingress.cachedFlow(key);
    if (!flow) return false;
    const def = (flow.definition ?? {}) as { response?: unknown; rateLimit?: unknown };
    if (def.response !== undefined || def.rateLimit !== undefined) return false;
    const h = req.headers;
    if (h['transfer-encoding'] !== undefined) return false;
    const cl = h['content-length'];
    const length = cl === undefined ? 0 : /^\d{1,15}$/.test(cl) ? Number(cl) : -1;
    if (length < 0 || length > limit) return false;
    if (method === 'GET' ? length > 0 : h['content-type'] === undefined) return false;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => res.destroy());
    req.on('end', () => {
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      ctx.ingress.capture(key, { method, url, rawHeaders: req.rawHeaders, body, remoteAddress: req.socket.remoteAddress ?? '' }).then((r) => {
        switch (r.kind) {
          case 'unknown_hook':
          case 'rate_limited': {
            const e = notCaptured(r);
            return sendJson(res, e.http, e.toBody(), r.kind === 'rate_limited' ? { 'retry-after': String(r.retryAfterSec) } : undefined);
          }
          case 'captured':
            // The flow's definition may have changed since the check above: a static response is still honoured.
            if (r.response) {
              const extra = r.response.headers ?? {};
              if (!Object.keys(extra).some((k) => k.toLowerCase() === 'content-type')) res.setHeader('content-type', 'text/plain; charset=utf-8');
              for (const [k, v] of Object.entries(extra)) res.setHeader(k, v);
              res.statusCode = r.response.status;
              return res.end(r.response.body ?? '');
            }
            return sendJson(res, 200, capturedBody(r));
        }
      }, (err: unknown) => {
        log.error({ err, url: url.slice(0, PREFIX.length), method }, 'unexpected error');
        const e = new ApiError('internal', 'internal error: Switchyard did not expect this, and nothing was written; the server log has the details');
        sendJson(res, e.http, e.toBody());
      });
    });
    return true;
  };
}

export function registerHookRoutes(app: FastifyInstance, ctx: AppContext): void {
  void app.register(async (hooks) => {
    hooks.removeAllContentTypeParsers();
    const limit = ctx.config.receiver.body_limit_bytes;
    hooks.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: limit }, (_req, body, done) => done(null, body));
    // The app's handler would quote the API's body limit (limits.api_body_bytes); a hook's limit is its own.
    const tooLarge = () => new ApiError('body_too_large', `the request body is larger than ${limit} bytes, the largest a catch hook accepts (receiver.body_limit_bytes)`);
    hooks.setErrorHandler((err: Error & { code?: string }) => {
      if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') throw tooLarge();
      throw err;
    });
    const handler = async (req: import('fastify').FastifyRequest<{ Params: { key: string } }>, reply: import('fastify').FastifyReply): Promise<unknown> => {
      const key = req.params.key;
      if (!KEY.test(key)) throw new ApiError('hook_not_found', 'no catch hook has this URL; copy the URL from the flow (GET /api/v1/flows/{id})');
      const body = req.method === 'GET' ? await readGetBody(req.raw, limit, tooLarge) : Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const r = await ctx.ingress.capture(key, {
        method: req.method, url: req.raw.url ?? req.url, rawHeaders: req.raw.rawHeaders, body, remoteAddress: req.socket.remoteAddress ?? '',
      });
      switch (r.kind) {
        case 'unknown_hook':
          throw notCaptured(r);
        case 'rate_limited':
          void reply.header('retry-after', String(r.retryAfterSec));
          throw notCaptured(r);
        case 'captured':
          if (r.response) {
            void reply.code(r.response.status);
            for (const [k, v] of Object.entries(r.response.headers ?? {})) void reply.header(k, v);
            return reply.send(r.response.body ?? '');
          }
          return capturedBody(r);
      }
    };
    // POST, PUT and GET only: Fastify would also answer HEAD with the GET handler, and so capture (and run) every
    // HEAD a link checker sends. A trailing slash (as in Zapier's catch URLs) reaches the same hook.
    for (const url of ['/catch/:key', '/catch/:key/']) {
      hooks.post(url, handler);
      hooks.put(url, handler);
      hooks.get(url, { exposeHeadRoute: false }, handler);
    }
    // Any other path under /hooks/catch/ is a mistyped catch URL: said so, whatever the body (the API's JSON parser
    // would otherwise answer a non-JSON body with invalid_json).
    hooks.route({
      method: ['POST', 'PUT', 'GET'], url: '/catch/*', exposeHeadRoute: false,
      handler: async () => { throw new ApiError('hook_not_found', 'no catch hook has this URL: it is /hooks/catch/<key>; copy the URL from the flow (GET /api/v1/flows/{id})'); },
    });
  }, { prefix: '/hooks' });
}
