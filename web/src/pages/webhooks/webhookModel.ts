/** Determined's Webhooks page model (spec section 6): how triggers, modes and types are shown and submitted. */
import type { Trigger, Webhook, WebhookInput, WebhookMode, WebhookType } from '../../types';

export type TriggerOption = 'COMPLETED' | 'ERROR' | 'TASKLOG' | 'CUSTOM';
export const TRIGGER_OPTIONS: TriggerOption[] = ['COMPLETED', 'ERROR', 'TASKLOG', 'CUSTOM'];

export const MODE_OPTIONS: { value: WebhookMode; label: string }[] = [
  { value: 'WEBHOOK_MODE_WORKSPACE', label: 'All experiments' },
  { value: 'WEBHOOK_MODE_SPECIFIC', label: 'Specific experiment(s) with matching configuration' },
];
export const TYPE_OPTIONS: { value: WebhookType; label: string }[] = [
  { value: 'WEBHOOK_TYPE_DEFAULT', label: 'Default' },
  { value: 'WEBHOOK_TYPE_SLACK', label: 'Slack' },
];

export interface WebhookFormValues {
  workspaceId?: number;
  name: string;
  url: string;
  webhookType: WebhookType;
  triggerEvents: TriggerOption[];
  regex?: string;
  mode: WebhookMode;
}

/** COMPLETED/ERROR → EXPERIMENT_STATE_CHANGE with that state, TASKLOG → TASK_LOG with the regex, CUSTOM → CUSTOM. */
export function toWebhookInput(v: WebhookFormValues): WebhookInput {
  const triggers: Trigger[] = v.triggerEvents.map((t) => {
    switch (t) {
      case 'COMPLETED':
      case 'ERROR':
        return { triggerType: 'TRIGGER_TYPE_EXPERIMENT_STATE_CHANGE', condition: { state: t } };
      case 'TASKLOG':
        return { triggerType: 'TRIGGER_TYPE_TASK_LOG', condition: { regex: v.regex ?? '' } };
      case 'CUSTOM':
        return { triggerType: 'TRIGGER_TYPE_CUSTOM', condition: {} };
    }
  });
  return {
    name: v.name.trim(),
    url: v.url.trim(),
    webhookType: v.webhookType,
    workspaceId: v.workspaceId ?? 0,
    mode: v.triggerEvents.includes('CUSTOM') ? 'WEBHOOK_MODE_SPECIFIC' : v.mode,
    triggers,
  };
}

export function modeLabel(w: Webhook): string {
  if (w.workspaceId <= 0) return 'Global';
  return w.mode === 'WEBHOOK_MODE_SPECIFIC' ? 'Specific' : 'Workspace';
}

export function typeLabel(t: string): string {
  return t === 'WEBHOOK_TYPE_SLACK' ? 'Slack' : t === 'WEBHOOK_TYPE_DEFAULT' ? 'Default' : 'Unspecified';
}

/** A trigger's badge text: the state for a state change, TASKLOG, CUSTOM. */
export function triggerBadge(t: Trigger): { text: string; state?: string; title?: string } {
  switch (t.triggerType) {
    case 'TRIGGER_TYPE_EXPERIMENT_STATE_CHANGE': {
      const state = String(t.condition.state ?? '');
      return { text: state, state };
    }
    case 'TRIGGER_TYPE_TASK_LOG':
      return { text: 'TASKLOG', title: `regex: ${String(t.condition.regex ?? '')}` };
    case 'TRIGGER_TYPE_CUSTOM':
      return { text: 'CUSTOM' };
    default:
      return { text: 'METRIC' };
  }
}

export type Health = 'active' | 'paused' | 'disabled';
export function health(w: Webhook): Health {
  if (w.disabledAt) return 'disabled';
  if (w.paused) return 'paused';
  return 'active';
}
