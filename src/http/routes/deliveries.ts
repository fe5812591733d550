/**
 * Operating the outbox: deliveries and attempts (list, filter, inspect), redelivery of one or many, pausing,
 * resuming and re-enabling webhooks, alerts, and Prometheus metrics.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { alertViews } from './alerting.js';
import { Fields, pathId } from '../fields.js';
import { ApiError, invalid } from '../errors.js';
import { attemptView, deliveryView, webhookView } from '../../sender/views.js';
import { requireCanEditWebhook, type Caller } from '../../sender/auth-context.js';
import type { AttemptOutcome, DeliveryStatus } from '../../store/store.js';
import { TRIGGER_TYPES } from '../../core/types.js';

const STATUSES: DeliveryStatus[] = ['pending', 'delivering', 'delivered', 'failed', 'dead'];
const OUTCOMES: AttemptOutcome[] = ['ok', 'http', 'timeout', 'connect', 'dns', 'reset', 'tls', 'refused', 'other'];
export const MAX_BULK_REDELIVER = 10_000;

type Query = Record<string, string | undefined>;

function num(q: Query, name: string): number | undefined {
  const v = q[name];
  if (v === undefined || v === '') return undefined;
  if (!/^\d{1,10}$/.test(v)) throw invalid(`query parameter ${name} must be a positive whole number, got "${v}"`);
  return Number(v);
}

/** A time given as RFC 3339 (`2026-01-31T12:00:00Z`) or as Unix milliseconds. */
export function time(v: unknown, name: string): number | undefined {
  if (v === undefined || v === '' || v === null) return undefined;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  if (typeof v === 'string' && /^\d{1,15}$/.test(v)) return Number(v);
  if (typeof v === 'string' && /^\d{4}-\d\d-\d\dT/.test(v) && Number.isFinite(Date.parse(v))) return Date.parse(v);
  throw invalid(`${name} must be an RFC 3339 time such as 2026-01-31T12:00:00Z (or Unix milliseconds), got ${JSON.stringify(v)}`);
}

/** An event type as deliveries carry it; Determined's TRIGGER_TYPE_ prefix is accepted too. */
function eventTypeOf(q: Query): string | undefined {
  const v = q.eventType;
  if (v === undefined || v === '') return undefined;
  const t = v.toUpperCase().replace(/^TRIGGER_TYPE_/, '');
  if (!(TRIGGER_TYPES as readonly string[]).includes(t)) throw invalid(`query parameter eventType must be one of ${TRIGGER_TYPES.join(', ')}, got "${v}"`);
  return t;
}

function oneOf<T extends string>(q: Query, name: string, values: readonly T[]): T | undefined {
  const v = q[name];
  if (v === undefined || v === '') return undefined;
  if (!(values as readonly string[]).includes(v)) throw invalid(`query parameter ${name} must be one of ${values.join(', ')}, got "${v}"`);
  return v as T;
}

export function registerDeliveryRoutes(api: FastifyInstance, ctx: AppContext): void {
  const limitOf = (q: Query) => Math.min(num(q, 'limit') ?? 100, 1000);

  api.get<{ Querystring: Query }>('/deliveries', async (req) => {
    const q = req.query;
    const rows = await ctx.store.listDeliveries({
      webhookId: num(q, 'webhookId'), status: oneOf(q, 'status', STATUSES), eventType: eventTypeOf(q),
      since: time(q.since, 'since'), until: time(q.until, 'until'), limit: limitOf(q), beforeId: num(q, 'beforeId'),
    });
    // Each with the redeliveries made of it: a dead delivery whose event went out since shows where it went.
    const redeliveries = await ctx.store.redeliveriesOf(rows.map((d) => d.id));
    return { deliveries: rows.map((d) => ({ ...deliveryView(d), redeliveries: redeliveries.get(d.id) ?? [] })) };
  });

  const getDelivery = async (id: number) => {
    const d = await ctx.store.getDelivery(id);
    if (!d) throw new ApiError('delivery_not_found', `delivery ${id} not found; list deliveries with GET /api/v1/deliveries`);
    return d;
  };

  api.get<{ Params: { id: string } }>('/deliveries/:id', async (req) => {
    const d = await getDelivery(pathId(req.params.id, 'delivery'));
    const redeliveries = (await ctx.store.redeliveriesOf([d.id])).get(d.id) ?? [];
    return { delivery: { ...deliveryView(d, true), redeliveries }, attempts: (await ctx.store.listAttempts(d.id)).map(attemptView) };
  });

  api.post<{ Params: { id: string } }>('/deliveries/:id/redeliver', async (req) => {
    const d = await getDelivery(pathId(req.params.id, 'delivery'));
    if (d.webhookId !== null) {
      const w = await ctx.store.getWebhook(d.webhookId);
      if (w) requireCanEditWebhook(req.caller, w.workspaceId);
    }
    const [id] = await ctx.store.redeliver([d.id], ctx.clock.now());
    ctx.worker.wake();
    return { delivery: deliveryView((await ctx.store.getDelivery(id!))!) };
  });

  api.get<{ Querystring: Query }>('/attempts', async (req) => {
    const q = req.query;
    const rows = await ctx.store.findAttempts({
      webhookId: num(q, 'webhookId'), deliveryId: num(q, 'deliveryId'), outcome: oneOf(q, 'outcome', OUTCOMES), eventType: eventTypeOf(q),
      since: time(q.since, 'since'), until: time(q.until, 'until'), limit: limitOf(q), beforeId: num(q, 'beforeId'),
    });
    return { attempts: rows.map(attemptView) };
  });

  const editWebhook = async (caller: Caller, id: number, patch: Parameters<typeof ctx.webhooks.setDeliveryState>[2]) => {
    const updated = await ctx.webhooks.setDeliveryState(caller, id, patch);
    ctx.worker.wake();
    return { webhook: webhookView(updated, ctx.clock.now()) };
  };

  api.post<{ Params: { id: string } }>('/webhooks/:id/pause', async (req) =>
    editWebhook(req.caller, pathId(req.params.id, 'webhook'), { paused: true }));
  api.post<{ Params: { id: string } }>('/webhooks/:id/resume', async (req) =>
    editWebhook(req.caller, pathId(req.params.id, 'webhook'), { paused: false }));
  api.post<{ Params: { id: string } }>('/webhooks/:id/enable', async (req) =>
    editWebhook(req.caller, pathId(req.params.id, 'webhook'), { disabledAt: null, disabledReason: null, failingSince: null }));

  /** Bulk redelivery of a webhook's dead deliveries created in [since, until). */
  api.post<{ Params: { id: string } }>('/webhooks/:id/redeliver', async (req) => {
    const id = pathId(req.params.id, 'webhook');
    const f = new Fields(req.body ?? {}, 'body', ['since', 'until']);
    const now = ctx.clock.now();
    const since = time(f.raw('since'), 'since') ?? 0;
    const until = time(f.raw('until'), 'until') ?? now + 1;
    if (since >= until) throw invalid('since must be before until');
    await ctx.webhooks.editable(req.caller, id);
    const ids = await ctx.store.deadDeliveryIds(id, since, until, MAX_BULK_REDELIVER + 1);
    if (ids.length > MAX_BULK_REDELIVER) {
      throw invalid(`more than ${MAX_BULK_REDELIVER} dead deliveries in that range: narrow since/until and redeliver in parts`);
    }
    const created = await ctx.store.redeliver(ids, now);
    ctx.worker.wake();
    return { redelivered: created.length, deliveryIds: created };
  });

  api.get<{ Querystring: Query }>('/alerts', async (req) => {
    const q = req.query;
    const open = q.open === undefined || q.open === '' ? undefined : q.open === 'true' ? true : q.open === 'false' ? false : null;
    if (open === null) throw invalid('query parameter open must be true or false');
    const rows = await ctx.store.listAlerts({ limit: limitOf(q), open });
    return { alerts: await alertViews(ctx, rows) };
  });

  api.post<{ Params: { id: string } }>('/alerts/:id/acknowledge', async (req) => {
    const id = pathId(req.params.id, 'alert');
    if (!(await ctx.store.acknowledgeAlert(id, ctx.clock.now()))) throw new ApiError('alert_not_found', `alert ${id} not found`);
    return {};
  });

  api.get('/outbox', async () => {
    const s = await ctx.store.outboxStats(ctx.clock.now(), { withRedelivered: true });
    return { ...s, oldestDueCreatedAt: s.oldestDueCreatedAt === null ? null : new Date(s.oldestDueCreatedAt).toISOString(), inFlight: ctx.worker.inFlight };
  });
}
