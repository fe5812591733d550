/** Alert channels (where alerts are sent), alerts with their notifications, and the SMTP settings. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { Fields, pathId } from '../fields.js';
import { ApiError, invalid } from '../errors.js';
import { requireAdmin } from '../../sender/auth-context.js';
import { channelView, EMAIL, parseChannel } from '../../alerts/channels.js';
import { NotifyError } from '../../alerts/notifier.js';
import type { AlertNotificationRecord, AlertRecord } from '../../store/store.js';
import { iso } from '../../sender/views.js';

type Id = { Params: { id: string } };

export function alertView(a: AlertRecord, notifications?: AlertNotificationRecord[], channelNames?: Map<number, string>) {
  return {
    id: a.id, kind: a.kind, severity: a.severity, webhookId: a.webhookId ?? 0, deliveryId: a.deliveryId ?? 0, title: a.title,
    message: a.message, count: a.count, createdAt: iso(a.createdAt), lastAt: iso(a.lastAt), acknowledgedAt: iso(a.acknowledgedAt),
    ...(notifications ? {
      notifications: notifications.map((n) => ({
        id: n.id, channelId: n.channelId, channel: channelNames?.get(n.channelId) ?? null, status: n.status, attempts: n.attempts,
        lastError: n.lastError, nextAttemptAt: n.status === 'pending' ? iso(n.nextAttemptAt) : null, sentAt: iso(n.sentAt),
        createdAt: iso(n.createdAt),
      })),
    } : {}),
  };
}

/** The alerts with their notifications (one query for all of them). */
export async function alertViews(ctx: AppContext, alerts: AlertRecord[]) {
  const ns = await ctx.store.listAlertNotifications(alerts.map((a) => a.id));
  const names = new Map((await ctx.store.listAlertChannels()).map((c) => [c.id, c.name]));
  return alerts.map((a) => alertView(a, ns.filter((n) => n.alertId === a.id), names));
}

export function registerAlertingRoutes(api: FastifyInstance, ctx: AppContext): void {
  const { store, clock } = ctx;
  const { notifier, smtp, policy } = ctx.alerting;
  const channel = async (id: number) => {
    const ch = await store.getAlertChannel(id);
    if (!ch) throw new ApiError('alert_channel_not_found', `alert channel ${id} not found; list them with GET /api/v1/alert-channels`);
    return ch;
  };

  api.get('/alert-channels', async () => ({ channels: (await store.listAlertChannels()).map(channelView) }));
  api.get<Id>('/alert-channels/:id', async (req) => ({ channel: channelView(await channel(pathId(req.params.id, 'alert channel'))) }));
  api.post('/alert-channels', async (req) => {
    requireAdmin(req.caller, 'creating alert channels');
    const input = parseChannel(req.body, policy);
    return store.transaction(async (tx) => {
      if (await tx.getAlertChannelByName(input.name)) throw new ApiError('alert_channel_name_taken', `an alert channel named "${input.name}" already exists; choose another name`);
      return { channel: channelView(await tx.createAlertChannel(input, clock.now())) };
    });
  });
  const update = async (req: FastifyRequest<Id>) => {
    requireAdmin(req.caller, 'changing alert channels');
    const id = pathId(req.params.id, 'alert channel');
    return store.transaction(async (tx) => {
      const existing = await tx.getAlertChannel(id);
      if (!existing) throw new ApiError('alert_channel_not_found', `alert channel ${id} not found; list them with GET /api/v1/alert-channels`);
      const input = parseChannel(req.body, policy, existing);
      const other = await tx.getAlertChannelByName(input.name);
      if (other && other.id !== id) throw new ApiError('alert_channel_name_taken', `an alert channel named "${input.name}" already exists; choose another name`);
      return { channel: channelView((await tx.updateAlertChannel(id, input, clock.now()))!) };
    });
  };
  api.put<Id>('/alert-channels/:id', update);
  api.patch<Id>('/alert-channels/:id', update);
  api.delete<Id>('/alert-channels/:id', async (req) => {
    requireAdmin(req.caller, 'deleting alert channels');
    const id = pathId(req.params.id, 'alert channel');
    if (!(await store.deleteAlertChannel(id))) throw new ApiError('alert_channel_not_found', `alert channel ${id} not found; list them with GET /api/v1/alert-channels`);
    return {};
  });
  api.post<Id>('/alert-channels/:id/test', async (req) => {
    requireAdmin(req.caller, 'testing alert channels');
    const ch = await channel(pathId(req.params.id, 'alert channel'));
    const now = clock.now();
    const sample: AlertRecord = {
      id: 0, kind: 'flow.alert', severity: 'info', webhookId: null, deliveryId: null, title: 'Switchyard test alert',
      message: `A test notification sent to alert channel "${ch.name}" from the API.`, count: 1, createdAt: now, lastAt: now, acknowledgedAt: null,
    };
    try {
      return { ok: true, result: await notifier.send(ch, sample, true) };
    } catch (e) {
      if (e instanceof NotifyError) throw new ApiError('alert_channel_test_failed', `the test notification to channel "${ch.name}" failed: ${e.message}`);
      throw e;
    }
  });

  api.get<Id>('/alerts/:id', async (req) => {
    const id = pathId(req.params.id, 'alert');
    const a = await store.getAlert(id);
    if (!a) throw new ApiError('alert_not_found', `alert ${id} not found`);
    return { alert: (await alertViews(ctx, [a]))[0] };
  });

  api.get('/settings/smtp', async (req) => {
    requireAdmin(req.caller, 'reading the SMTP settings');
    return { smtp: smtp.view() };
  });
  api.put('/settings/smtp', async (req) => {
    requireAdmin(req.caller, 'changing the SMTP settings');
    await smtp.put(req.body);
    return { smtp: smtp.view() };
  });
  api.delete('/settings/smtp', async (req) => {
    requireAdmin(req.caller, 'deleting the SMTP settings');
    await smtp.delete();
    return { smtp: smtp.view() };
  });
  api.post('/settings/smtp/test', async (req) => {
    requireAdmin(req.caller, 'testing the SMTP settings');
    const f = new Fields(req.body, 'body', ['to']);
    const to = f.string('to', { required: true, max: 320, trim: true })!;
    if (!EMAIL.test(to)) throw invalid(`body.to must be an email address, got "${to}"`);
    if (!smtp.current()) {
      throw new ApiError('smtp_not_configured', 'no SMTP server is configured: set one with PUT /api/v1/settings/smtp (or smtp.host in the config file)');
    }
    try {
      const r = await ctx.alerting.sendEmail({
        to: [to], subject: '[Switchyard] SMTP test', text: 'This test message shows that Switchyard can send email with its SMTP settings.',
      });
      return { ok: true, messageId: r.messageId, accepted: r.accepted };
    } catch (e) {
      throw new ApiError('smtp_test_failed', `the test email was not sent: ${(e as Error).message}`);
    }
  });
}
