/** Registering, changing, deleting and testing webhooks (Determined's webhook API plus Switchyard's extensions). */
import { randomBytes, randomUUID } from 'node:crypto';
import { ApiError, invalid } from '../http/errors.js';
import { renderTestEvent } from '../core/payload/index.js';
import { generateStandardSecret } from '../core/signing/standard.js';
import type { Clock, WebhookMode } from '../core/types.js';
import type { Store, WebhookPatch, WebhookRecord } from '../store/store.js';
import type { Sender } from '../delivery/http-sender.js';
import { requireCanEditWebhook, type Caller } from './auth-context.js';
import { parseTriggers, parseWebhookCreate, parseWebhookPatch } from './webhook-input.js';
import { Fields } from '../http/fields.js';
import { attemptTimeoutCap } from '../delivery/timeouts.js';

export const DEFAULT_ROTATION_OVERLAP_SEC = 24 * 3600;

export class WebhookService {
  constructor(
    private readonly store: Store, private readonly clock: Clock, private readonly sender: Sender,
    /** Told after a webhook changes, so cached copies (the delivery worker's) are dropped at once. */
    private readonly onChange: (id: number) => void = () => {},
    /** The delivery lease this server runs with: a webhook's `timeoutMs` must fit in it (see attemptTimeoutCap). */
    private readonly leaseMs = Infinity,
  ) {}

  /** A per-webhook timeout the engine could not honour is refused, not silently cut. */
  private checkTimeout(timeoutMs: number | null | undefined): void {
    const cap = attemptTimeoutCap(this.leaseMs);
    if (timeoutMs !== null && timeoutMs !== undefined && timeoutMs > cap) {
      throw invalid(`timeoutMs ${timeoutMs} is longer than this server lets one attempt run: at most ${cap} (delivery.lease_ms ${this.leaseMs} minus ${this.leaseMs - cap} ms, so an attempt ends before its delivery could be claimed again); choose a shorter timeout, or raise delivery.lease_ms in the server's config`);
    }
  }

  list(): Promise<WebhookRecord[]> {
    return this.store.listWebhooks();
  }

  async get(id: number): Promise<WebhookRecord> {
    const w = await this.store.getWebhook(id);
    if (!w) throw new ApiError('webhook_not_found', `webhook ${id} not found; list webhooks with GET /api/v1/webhooks`);
    return w;
  }

  private async checkWorkspace(id: number | null): Promise<void> {
    if (id !== null && !(await this.store.getWorkspace(id))) {
      throw new ApiError('workspace_not_found', `workspace ${id} not found; list workspaces with GET /api/v1/workspaces (0 makes a global webhook)`);
    }
  }

  private async checkNameFree(name: string, workspaceId: number | null, exceptId?: number): Promise<void> {
    const other = await this.store.findWebhookByName(name, workspaceId ?? 0);
    if (other && other.id !== exceptId) {
      const scope = workspaceId === null ? 'among global webhooks' : `in workspace ${workspaceId}`;
      throw new ApiError('webhook_name_taken', `a webhook named "${name}" already exists ${scope} (id ${other.id}); choose another name`);
    }
  }

  async create(caller: Caller, body: unknown): Promise<WebhookRecord> {
    // Determined authorizes before it validates (§2.1): a non-admin posting a global webhook gets the 403 even when
    // the body is invalid too. A workspaceId the parser would refuse is left to the parser.
    const ws = workspaceIdOf(body);
    if (ws !== undefined) requireCanEditWebhook(caller, ws);
    const p = parseWebhookCreate(body);
    requireCanEditWebhook(caller, p.workspaceId);
    this.checkTimeout(p.settings.timeoutMs);
    const now = this.clock.now();
    const created = await this.store.transaction(async (tx) => {
      const svc = new WebhookService(tx, this.clock, this.sender);
      await svc.checkWorkspace(p.workspaceId);
      // Determined stores "" for an unnamed webhook, so a second one in the workspace fails with a 500; name it instead.
      const name = p.name || `webhook-${randomBytes(4).toString('hex')}`;
      await svc.checkNameFree(name, p.workspaceId);
      return tx.createWebhook({
        url: p.url, webhookType: p.webhookType, workspaceId: p.workspaceId, name, mode: p.mode, schemes: p.schemes,
        swSecret: p.schemes.includes('standard') ? generateStandardSecret() : null, ...p.settings,
      }, p.triggers, now);
    });
    this.onChange(created.id);
    return created;
  }

  async patch(caller: Caller, id: number, body: unknown): Promise<WebhookRecord> {
    const p = parseWebhookPatch(body);
    this.checkTimeout(p.settings?.timeoutMs);
    const updated = await this.store.transaction(async (tx) => {
      const svc = new WebhookService(tx, this.clock, this.sender);
      const w = await svc.get(id);
      requireCanEditWebhook(caller, w.workspaceId);
      const mode: WebhookMode = p.mode ?? w.mode;
      const triggers = p.triggers !== undefined ? parseTriggers(p.triggers, mode) : undefined;
      if (!triggers && mode !== 'SPECIFIC' && w.triggers.some((t) => t.triggerType === 'CUSTOM')) {
        throw invalid(`custom trigger only works on webhook with mode 'SPECIFIC'. Got WEBHOOK_MODE_${mode} (webhook ${id} has a CUSTOM trigger)`);
      }
      if (p.name !== undefined) await svc.checkNameFree(p.name, w.workspaceId, id);
      const swSecret = p.schemes?.includes('standard') && !w.swSecret ? generateStandardSecret() : undefined;
      const updated = await tx.updateWebhook(id, {
        url: p.url, name: p.name, webhookType: p.webhookType, mode: p.mode, schemes: p.schemes, swSecret, ...p.settings,
      }, triggers, this.clock.now());
      return updated!;
    });
    this.onChange(id);
    return updated;
  }

  /** The webhook, if the caller may edit it (404 / 403 otherwise). */
  async editable(caller: Caller, id: number): Promise<WebhookRecord> {
    const w = await this.get(id);
    requireCanEditWebhook(caller, w.workspaceId);
    return w;
  }

  /** Delivery state set by operators: pause/resume, re-enable after the engine disabled the webhook. */
  async setDeliveryState(caller: Caller, id: number, patch: Pick<WebhookPatch, 'paused' | 'disabledAt' | 'disabledReason' | 'failingSince'>): Promise<WebhookRecord> {
    await this.editable(caller, id);
    const updated = (await this.store.updateWebhook(id, patch, undefined, this.clock.now()))!;
    this.onChange(id);
    return updated;
  }

  async delete(caller: Caller, id: number): Promise<void> {
    const w = await this.get(id);
    requireCanEditWebhook(caller, w.workspaceId);
    await this.store.deleteWebhook(id);
    this.onChange(id);
  }

  /** The full Standard Webhooks secret(s), for configuring a receiver. */
  async secrets(caller: Caller, id: number): Promise<{ secret: string; previousSecret: string | null; previousSecretExpiresAt: number | null }> {
    const w = await this.get(id);
    requireCanEditWebhook(caller, w.workspaceId);
    if (!w.schemes.includes('standard') || !w.swSecret) {
      throw invalid(`webhook ${id} does not sign with Standard Webhooks; enable it with PATCH {"signatureSchemes": ["determined", "standard"]}`);
    }
    const live = w.swPreviousUntil !== null && w.swPreviousUntil > this.clock.now();
    return { secret: w.swSecret, previousSecret: live ? w.swPreviousSecret : null, previousSecretExpiresAt: live ? w.swPreviousUntil : null };
  }

  /** A new Standard Webhooks secret; the old one keeps signing too for `overlapSeconds` (default 24 h). */
  async rotateSecret(caller: Caller, id: number, body: unknown): Promise<WebhookRecord> {
    const f = new Fields(body ?? {}, 'body', ['overlapSeconds']);
    const overlap = f.int('overlapSeconds', { min: 0, max: 30 * 24 * 3600 }) ?? DEFAULT_ROTATION_OVERLAP_SEC;
    const rotated = await this.store.transaction(async (tx) => {
      const w = await new WebhookService(tx, this.clock, this.sender).get(id);
      requireCanEditWebhook(caller, w.workspaceId);
      if (!w.schemes.includes('standard') || !w.swSecret) {
        throw invalid(`webhook ${id} does not sign with Standard Webhooks; enable it with PATCH {"signatureSchemes": ["determined", "standard"]}`);
      }
      const now = this.clock.now();
      return (await tx.updateWebhook(id, {
        swSecret: generateStandardSecret(), swPreviousSecret: overlap > 0 ? w.swSecret : null,
        swPreviousUntil: overlap > 0 ? now + overlap * 1000 : null,
      }, undefined, now))!;
    });
    this.onChange(id);
    return rotated;
  }

  /**
   * Determined's TestWebhook: one synchronous attempt, no retry, no queue. DEFAULT sends are signed with the
   * payload's timestamp; the SLACK test is unsigned with no Content-Type. Failures are 400s with Determined's texts.
   */
  async test(caller: Caller, id: number): Promise<{ completed: boolean; statusCode: number; durationMs: number }> {
    const w = await this.get(id);
    requireCanEditWebhook(caller, w.workspaceId);
    const eventId = randomUUID();
    const t = Math.floor(this.clock.now() / 1000);
    const r = renderTestEvent({ webhookType: w.webhookType, eventId, timestampSec: t });
    const res = await this.sender.send({
      url: w.url, body: r.body, contentType: r.contentType, signed: r.signed, eventId, timestampSec: t,
      standardSecrets: r.signed ? standardSecretsOf(w, this.clock.now()) : [],
    });
    if (res.statusCode === null) {
      throw new ApiError('webhook_test_failed', `error sending webhook request for event ${eventId} error: ${res.error}`);
    }
    if (res.statusCode >= 400 || res.outcome !== 'ok') {
      throw new ApiError('webhook_test_failed', `received error from webhook server for event ${eventId} error: ${res.statusCode} ${res.error && res.statusCode < 400 ? `(${res.error})` : ''}`.trimEnd() + ' ');
    }
    return { completed: true, statusCode: res.statusCode, durationMs: res.durationMs };
  }
}

/** The workspace a create body names (null = global: absent, null or 0), read leniently; undefined when it is malformed. */
function workspaceIdOf(body: unknown): number | null | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const o = body as Record<string, unknown>;
  const v = 'workspaceId' in o ? o.workspaceId : o.workspace_id;
  if (v === undefined || v === null) return null;
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) return undefined;
  return n === 0 ? null : n;
}

/** The Standard Webhooks secrets that sign right now: the current one, plus the previous one during its overlap. */
export function standardSecretsOf(w: Pick<WebhookRecord, 'schemes' | 'swSecret' | 'swPreviousSecret' | 'swPreviousUntil'>, now: number): string[] {
  if (!w.schemes.includes('standard') || !w.swSecret) return [];
  const out = [w.swSecret];
  if (w.swPreviousSecret && w.swPreviousUntil !== null && w.swPreviousUntil > now) out.push(w.swPreviousSecret);
  return out;
}
