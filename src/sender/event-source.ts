/**
 * What fires triggers: experiment state changes, task logs and custom alerts (Determined's
 * ReportExperimentStateChanged, ScanLogs and handleCustomTriggerData). Each turns a fact into rendered events and
 * writes them to the outbox in the caller's transaction, so an accepted fact and its events commit together.
 */
import { randomUUID } from 'node:crypto';
import type { RE2JS } from 're2js';
import { renderExperimentEvent, renderTaskLogEvent, type RenderedEvent } from '../core/payload/index.js';
import { ECHOED_EXPCONF, matchWebhook, type MatchScope } from '../core/match.js';
import type { Clock, CustomData, ExperimentSnapshot, TaskLogFacts, TriggerType } from '../core/types.js';
import type { DeliveryInput, ExperimentRecord, Store, TriggerMatch, TriggerRecord, WebhookRecord } from '../store/store.js';
import { compileRegex } from './webhook-input.js';
import type { Handoff } from '../delivery/engine.js';

export function snapshotOf(e: ExperimentRecord): ExperimentSnapshot {
  return {
    id: e.id, state: e.state, name: e.name, resourcePool: e.resourcePool, slotsPerTrial: e.slotsPerTrial,
    workspace: e.workspaceName, project: e.projectName, workspaceId: e.workspaceId, projectId: e.projectId,
    startTimeMs: e.startTime, endTimeMs: e.endTime,
  };
}

export class EventSource {
  private readonly regexCache = new Map<string, RE2JS>();

  /** Triggers by (type, state), for `triggerCacheMs` after they were read; dropped whenever a webhook changes here. */
  private readonly triggerCache = new Map<string, { until: number; matches: TriggerMatch[] }>();

  constructor(private readonly clock: Clock, private readonly baseUrl: string, private readonly triggerCacheMs = 1000) {}

  /** A webhook changed: read triggers from the store again. */
  invalidate(): void {
    this.triggerCache.clear();
  }

  private async triggers(tx: Store, type: TriggerType, state?: string): Promise<TriggerMatch[]> {
    if (this.triggerCacheMs <= 0) return tx.findTriggers(type, state);
    const key = `${type}\u0000${state ?? ''}`;
    const now = Date.now();
    const hit = this.triggerCache.get(key);
    if (hit && hit.until > now) return hit.matches;
    const matches = await tx.findTriggers(type, state);
    if (this.triggerCache.size > 1000) this.triggerCache.clear();
    this.triggerCache.set(key, { until: now + this.triggerCacheMs, matches });
    return matches;
  }

  private delivery(w: WebhookRecord, trigger: TriggerRecord, eventId: string, r: RenderedEvent, h: Handoff | null): DeliveryInput {
    return {
      eventId, webhookId: w.id, url: w.url, eventType: trigger.triggerType, payload: r.body,
      contentType: r.contentType, signed: r.signed, nextAttemptAt: this.clock.now(), leaseUntil: h?.take(w) ?? null,
    };
  }

  /** Writes the rows to the outbox; those the engine took (leaseUntil set) go to the handoff with their ids. */
  private async enqueue(tx: Store, rows: DeliveryInput[], hooks: WebhookRecord[], now: number, h: Handoff | null): Promise<number> {
    const ids = await tx.enqueueDeliveries(rows, now);
    if (h) {
      for (let i = 0; i < rows.length; i++) {
        const d = rows[i]!;
        if (d.leaseUntil === null || d.leaseUntil === undefined) continue;
        h.taken({
          id: ids[i]!, eventId: d.eventId, webhookId: d.webhookId, url: d.url, eventType: d.eventType, payload: d.payload,
          contentType: d.contentType, signed: d.signed, nextAttemptAt: d.nextAttemptAt, status: 'delivering', attempts: 0,
          leaseUntil: d.leaseUntil, lastStatus: null, lastError: null, createdAt: now, updatedAt: now, redeliveryOf: null,
        }, hooks[i]!);
      }
    }
    return rows.length;
  }

  /** One event per matching EXPERIMENT_STATE_CHANGE trigger for the experiment's (new) state. */
  async experimentStateChanged(tx: Store, e: ExperimentRecord, h: Handoff | null = null): Promise<number> {
    const matches = await this.triggers(tx, 'EXPERIMENT_STATE_CHANGE', e.state);
    const scope: MatchScope = { workspaceId: e.workspaceId, integrations: e.integrations };
    const now = this.clock.now();
    const rows: DeliveryInput[] = [];
    const hooks: WebhookRecord[] = [];
    for (const { trigger, webhook } of matches) {
      if (!matchWebhook(webhook, scope)) continue;
      const eventId = randomUUID();
      const r = renderExperimentEvent({
        webhookType: webhook.webhookType, triggerType: 'EXPERIMENT_STATE_CHANGE', eventId,
        timestampSec: Math.floor(now / 1000), experiment: snapshotOf(e), trialId: null, custom: null,
        baseUrl: this.baseUrl, nowMs: now,
      });
      rows.push(this.delivery(webhook, trigger, eventId, r, h));
      hooks.push(webhook);
    }
    return this.enqueue(tx, rows, hooks, now, h);
  }

  private regex(pattern: string): RE2JS {
    let re = this.regexCache.get(pattern);
    if (!re) {
      re = compileRegex(pattern, 'regex');
      if (this.regexCache.size > 10_000) this.regexCache.clear();
      this.regexCache.set(pattern, re);
    }
    return re;
  }

  /**
   * Scans log lines of one task against every TASK_LOG trigger: at most one event per (task, trigger), ever.
   * `experiment` is the task's experiment (for SPECIFIC matching and exclusion), if it is a trial.
   */
  async taskLogs(
    tx: Store, task: Omit<TaskLogFacts, 'log'>, workspaceId: number | null, experiment: ExperimentRecord | null, lines: string[],
    h: Handoff | null = null,
  ): Promise<number> {
    const matches = await this.triggers(tx, 'TASK_LOG');
    if (matches.length === 0) return 0;
    const scope: MatchScope = { workspaceId, integrations: experiment?.integrations ?? null };
    const now = this.clock.now();
    const rows: DeliveryInput[] = [];
    const hooks: WebhookRecord[] = [];
    for (const line of lines) {
      if (ECHOED_EXPCONF.test(line)) continue;
      for (const { trigger, webhook } of matches) {
        const pattern = trigger.condition.regex;
        if (typeof pattern !== 'string' || !this.regex(pattern).test(line)) continue;
        if (!matchWebhook(webhook, scope)) continue;
        if (!(await tx.claimTaskLogTrigger(task.taskId, trigger.id))) continue;
        const eventId = randomUUID();
        const r = renderTaskLogEvent({
          webhookType: webhook.webhookType, eventId, timestampSec: Math.floor(now / 1000), regex: pattern,
          task: { ...task, log: line }, baseUrl: this.baseUrl,
        });
        rows.push(this.delivery(webhook, trigger, eventId, r, h));
        hooks.push(webhook);
      }
    }
    return this.enqueue(tx, rows, hooks, now, h);
  }

  /**
   * A custom alert from user code (`core_context.alert()`): for each webhook the experiment's config lists by id
   * (same workspace or global) or by name, one event per CUSTOM trigger. A webhook listed both ways fires twice,
   * as in Determined. Mode is not re-checked here (CUSTOM triggers exist only on SPECIFIC webhooks).
   */
  async customAlert(tx: Store, e: ExperimentRecord, trialId: number | null, data: CustomData, h: Handoff | null = null): Promise<number> {
    const cfg = e.integrations;
    if (cfg.exclude) return 0;
    const targets: WebhookRecord[] = [];
    for (const w of await tx.getWebhooks(cfg.webhook_id ?? [])) {
      if (w.workspaceId === null || w.workspaceId === e.workspaceId) targets.push(w);
    }
    // Determined looks each name up once (`name = ? AND (workspace_id = expWs OR workspace_id IS NULL)`, one row):
    // one webhook per name. When the workspace and the global scope both have it, the workspace's own wins.
    for (const name of cfg.webhook_name ?? []) {
      const w = (await tx.findWebhookByName(name, e.workspaceId)) ?? (await tx.findWebhookByName(name, 0));
      if (w) targets.push(w);
    }
    const now = this.clock.now();
    const rows: DeliveryInput[] = [];
    const hooks: WebhookRecord[] = [];
    for (const w of targets) {
      for (const trigger of w.triggers) {
        if (trigger.triggerType !== 'CUSTOM') continue;
        const eventId = randomUUID();
        const r = renderExperimentEvent({
          webhookType: w.webhookType, triggerType: 'CUSTOM', eventId, timestampSec: Math.floor(now / 1000),
          experiment: snapshotOf(e), trialId, custom: data, baseUrl: this.baseUrl, nowMs: now,
        });
        rows.push(this.delivery(w, trigger, eventId, r, h));
        hooks.push(w);
      }
    }
    return this.enqueue(tx, rows, hooks, now, h);
  }
}
