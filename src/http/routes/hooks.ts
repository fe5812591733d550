/** The catch hooks' HTTP side: raw bodies of any content type, up to receiver.body_limit_bytes. */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { ApiError } from '../errors.js';

export function registerHookRoutes(app: FastifyInstance, ctx: AppContext): void {
  void app.register(async (hooks) => {
    hooks.removeAllContentTypeParsers();
    const limit = ctx.config.receiver.body_limit_bytes;
    hooks.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: limit }, (_req, body, done) => done(null, body));
    // The app's handler would quote the API's body limit (limits.api_body_bytes); a hook's limit is its own.
    hooks.setErrorHandler((err: Error & { code?: string }) => {
      if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        throw new ApiError('body_too_large', `the request body is larger than ${limit} bytes, the largest a catch hook accepts (receiver.body_limit_bytes)`);
      }
      throw err;
    });
    const handler = async (req: import('fastify').FastifyRequest<{ Params: { key: string } }>, reply: import('fastify').FastifyReply): Promise<unknown> => {
      const key = req.params.key;
      if (!/^[A-Za-z0-9_-]{16,128}$/.test(key)) throw new ApiError('hook_not_found', 'no catch hook has this URL; copy the URL from the flow (GET /api/v1/flows/{id})');
      const r = await ctx.ingress.capture(key, {
        method: req.method, url: req.raw.url ?? req.url, rawHeaders: req.raw.rawHeaders,
        body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0), remoteAddress: req.socket.remoteAddress ?? '',
      });
      switch (r.kind) {
        case 'unknown_hook':
          throw new ApiError('hook_not_found', 'no catch hook has this URL (was its key rotated?); copy the URL from the flow (GET /api/v1/flows/{id})');
        case 'rate_limited':
          void reply.header('retry-after', String(r.retryAfterSec));
          throw new ApiError('rate_limited', `this hook accepts a limited number of requests per second; retry after ${r.retryAfterSec} s`);
        case 'captured':
          if (r.response) {
            void reply.code(r.response.status);
            for (const [k, v] of Object.entries(r.response.headers ?? {})) void reply.header(k, v);
            return reply.send(r.response.body ?? '');
          }
          return {
            status: 'success', captureId: r.captureId, flowId: r.flow.id, runId: r.runId,
            ...(r.status === 'duplicate' ? { duplicate: true } : {}), ...(r.status === 'off' ? { flowOff: true } : {}),
          };
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
