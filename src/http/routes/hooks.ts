/** The catch hooks' HTTP side: raw bodies of any content type, up to receiver.body_limit_bytes. */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { ApiError } from '../errors.js';

export function registerHookRoutes(app: FastifyInstance, ctx: AppContext): void {
  void app.register(async (hooks) => {
    hooks.removeAllContentTypeParsers();
    hooks.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: ctx.config.receiver.body_limit_bytes }, (_req, body, done) => done(null, body));
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
    hooks.post('/catch/:key', handler);
    hooks.put('/catch/:key', handler);
    hooks.get('/catch/:key', handler);
  }, { prefix: '/hooks' });
}
