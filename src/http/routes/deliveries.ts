/** The outbox, readable: deliveries and their attempts (the full operations API grows in the delivery engine). */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { pathId } from '../fields.js';
import { ApiError, invalid } from '../errors.js';
import { attemptView, deliveryView } from '../../sender/views.js';
import type { DeliveryStatus } from '../../store/store.js';

const STATUSES: DeliveryStatus[] = ['pending', 'delivering', 'delivered', 'failed', 'dead'];

export function registerDeliveryRoutes(api: FastifyInstance, ctx: AppContext): void {
  api.get<{ Querystring: { webhookId?: string; status?: string; limit?: string; beforeId?: string } }>('/deliveries', async (req) => {
    const q = req.query;
    const num = (v: string | undefined, name: string): number | undefined => {
      if (v === undefined || v === '') return undefined;
      if (!/^\d{1,10}$/.test(v)) throw invalid(`query parameter ${name} must be a positive whole number`);
      return Number(v);
    };
    if (q.status !== undefined && !STATUSES.includes(q.status as DeliveryStatus)) {
      throw invalid(`query parameter status must be one of ${STATUSES.join(', ')}`);
    }
    const limit = Math.min(num(q.limit, 'limit') ?? 100, 1000);
    const rows = await ctx.store.listDeliveries({
      webhookId: num(q.webhookId, 'webhookId'), status: q.status as DeliveryStatus | undefined, limit,
      beforeId: num(q.beforeId, 'beforeId'),
    });
    return { deliveries: rows.map((d) => deliveryView(d)) };
  });

  api.get<{ Params: { id: string } }>('/deliveries/:id', async (req) => {
    const id = pathId(req.params.id, 'delivery');
    const d = await ctx.store.getDelivery(id);
    if (!d) throw new ApiError('delivery_not_found', `delivery ${id} not found`);
    return { delivery: deliveryView(d, true), attempts: (await ctx.store.listAttempts(id)).map(attemptView) };
  });
}
