/** JSON views of records, in Determined's conventions: lowerCamelCase, full enum names, zero values emitted. */
import type { DeliveryRecord, AttemptRecord, ExperimentRecord, TokenRecord, WebhookRecord, WorkspaceRecord } from '../store/store.js';
import { experimentDurationSeconds } from '../core/payload/index.js';

/** An epoch-milliseconds time as the API shows it (null stays null). */
export const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** `whsec_abcd…` — enough to tell secrets apart, never enough to use one. */
export function maskSecret(s: string | null): string | null {
  return s === null ? null : `${s.slice(0, 10)}…`;
}

export function webhookView(w: WebhookRecord, now: number) {
  return {
    id: w.id,
    url: w.url,
    triggers: w.triggers.map((t) => ({
      id: t.id, triggerType: `TRIGGER_TYPE_${t.triggerType}`, condition: t.condition, webhookId: t.webhookId,
    })),
    webhookType: `WEBHOOK_TYPE_${w.webhookType}`,
    name: w.name,
    workspaceId: w.workspaceId ?? 0,
    mode: `WEBHOOK_MODE_${w.mode}`,
    // Extensions beyond Determined:
    signatureSchemes: w.schemes,
    standardWebhooks: w.schemes.includes('standard')
      ? {
          secretPreview: maskSecret(w.swSecret),
          previousSecretPreview: w.swPreviousUntil !== null && w.swPreviousUntil > now ? maskSecret(w.swPreviousSecret) : null,
          previousSecretExpiresAt: w.swPreviousUntil !== null && w.swPreviousUntil > now ? iso(w.swPreviousUntil) : null,
        }
      : null,
    ordering: w.fifo ? 'FIFO' : 'BEST_EFFORT',
    retryPolicy: w.retryPolicy,
    timeoutMs: w.timeoutMs,
    maxConcurrency: w.maxConcurrency,
    paused: w.paused,
    disabledAt: iso(w.disabledAt),
    disabledReason: w.disabledReason,
    failingSince: iso(w.failingSince),
    createdAt: iso(w.createdAt),
    updatedAt: iso(w.updatedAt),
  };
}

export function experimentView(e: ExperimentRecord) {
  return {
    id: e.id,
    name: e.name,
    state: `STATE_${e.state}`,
    workspace: e.workspaceName,
    workspaceId: e.workspaceId,
    project: e.projectName,
    projectId: e.projectId,
    resourcePool: e.resourcePool,
    slotsPerTrial: e.slotsPerTrial,
    integrations: { webhooks: e.integrations },
    startTime: iso(e.startTime),
    endTime: iso(e.endTime),
    duration: experimentDurationSeconds(e.startTime, e.endTime),
    eventsFired: e.eventsFired,
  };
}

export function workspaceView(w: WorkspaceRecord) {
  return { id: w.id, name: w.name, createdAt: iso(w.createdAt) };
}

export function tokenView(t: TokenRecord) {
  return {
    id: t.id, name: t.name, role: t.role, prefix: t.prefix, createdAt: iso(t.createdAt),
    lastUsedAt: iso(t.lastUsedAt), revokedAt: iso(t.revokedAt),
  };
}

export function deliveryView(d: DeliveryRecord, withPayload = false) {
  return {
    id: d.id, eventId: d.eventId, webhookId: d.webhookId ?? 0, url: d.url, eventType: d.eventType, status: d.status,
    redeliveryOf: d.redeliveryOf,
    attempts: d.attempts, nextAttemptAt: d.status === 'pending' || d.status === 'failed' ? iso(d.nextAttemptAt) : null,
    lastStatusCode: d.lastStatus, lastError: d.lastError, createdAt: iso(d.createdAt), updatedAt: iso(d.updatedAt),
    ...(withPayload ? { payload: d.payload, contentType: d.contentType, signed: d.signed } : {}),
  };
}

export function attemptView(a: AttemptRecord) {
  return {
    id: a.id, deliveryId: a.deliveryId, webhookId: a.webhookId ?? 0, attempt: a.attempt, startedAt: iso(a.startedAt),
    durationMs: a.durationMs, url: a.url, requestHeaders: a.requestHeaders, statusCode: a.statusCode,
    responseHeaders: a.responseHeaders, responseBody: a.responseBody, outcome: a.outcome, error: a.error,
    remoteAddress: a.remoteAddress,
  };
}
