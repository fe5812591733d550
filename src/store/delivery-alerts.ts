/**
 * The alerts that recording delivery attempts raises (Store.recordAttempts): `delivery.dead` for a delivery that died,
 * `webhook.disabled` for a webhook the record disabled. They are written in the transaction that records the
 * attempts, so neither exists without the other; their texts live here so that every store writes the same ones.
 */
import type { AlertInput } from './store.js';

/** A delivery that died. One open alert per webhook (same title): later dead deliveries count into it. */
export function deadDeliveryAlert(d: { id: number; eventId: string; webhookId: number | null; url: string; error: string | null }): AlertInput {
  return {
    kind: 'delivery.dead', severity: 'warning', webhookId: d.webhookId, deliveryId: d.id,
    title: d.webhookId === null ? `Delivery to ${d.url} failed` : `Deliveries to webhook ${d.webhookId} are failing`,
    message: `delivery ${d.id} (event ${d.eventId}) to ${d.url} is dead: ${d.error ?? 'unknown error'}. Redeliver it with POST /api/v1/deliveries/${d.id}/redeliver`
      + (d.webhookId === null ? '.' : `, or every dead delivery of the webhook with POST /api/v1/webhooks/${d.webhookId}/redeliver.`),
  };
}

export function disabledWebhookAlert(w: { id: number; name: string; reason: string }): AlertInput {
  return {
    kind: 'webhook.disabled', severity: 'error', webhookId: w.id, deliveryId: null,
    title: `Webhook "${w.name}" was disabled`,
    message: `webhook ${w.id} was disabled: ${w.reason}. Its new events wait; fix the endpoint, then POST /api/v1/webhooks/${w.id}/enable.`,
  };
}
