/** Determined's webhook API (same paths and bodies) plus Switchyard's extensions, documented in docs/api.md. */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { pathId } from '../fields.js';
import { webhookView } from '../../sender/views.js';

type IdParams = { Params: { id: string } };

export function registerWebhookRoutes(api: FastifyInstance, ctx: AppContext): void {
  const view = (w: Parameters<typeof webhookView>[0]) => webhookView(w, ctx.clock.now());

  api.get('/webhooks', async () => ({ webhooks: (await ctx.webhooks.list()).map(view) }));

  api.post('/webhooks', async (req) => ({ webhook: view(await ctx.webhooks.create(req.caller, req.body)) }));

  api.post('/webhooks/custom', async (req) => {
    await ctx.experiments.customAlert(req.body);
    return {};
  });

  api.get<IdParams>('/webhooks/:id', async (req) => ({ webhook: view(await ctx.webhooks.get(pathId(req.params.id, 'webhook'))) }));

  // Determined answers {} to PATCH and DELETE; so does Switchyard (GET the webhook to see the change).
  api.patch<IdParams>('/webhooks/:id', async (req) => {
    await ctx.webhooks.patch(req.caller, pathId(req.params.id, 'webhook'), req.body);
    return {};
  });

  api.delete<IdParams>('/webhooks/:id', async (req) => {
    await ctx.webhooks.delete(req.caller, pathId(req.params.id, 'webhook'));
    return {};
  });

  api.post<IdParams>('/webhooks/:id/test', async (req) => {
    const r = await ctx.webhooks.test(req.caller, pathId(req.params.id, 'webhook'));
    return { completed: r.completed };
  });

  api.get<IdParams>('/webhooks/:id/secret', async (req) => {
    const s = await ctx.webhooks.secrets(req.caller, pathId(req.params.id, 'webhook'));
    return {
      secret: s.secret, previousSecret: s.previousSecret,
      previousSecretExpiresAt: s.previousSecretExpiresAt === null ? null : new Date(s.previousSecretExpiresAt).toISOString(),
    };
  });

  api.post<IdParams>('/webhooks/:id/rotate-secret', async (req) => {
    const id = pathId(req.params.id, 'webhook');
    await ctx.webhooks.rotateSecret(req.caller, id, req.body);
    const s = await ctx.webhooks.secrets(req.caller, id);
    return {
      secret: s.secret, previousSecret: s.previousSecret,
      previousSecretExpiresAt: s.previousSecretExpiresAt === null ? null : new Date(s.previousSecretExpiresAt).toISOString(),
    };
  });
}
