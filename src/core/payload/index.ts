/**
 * Rendering of Determined-compatible webhook events: one function per event source, dispatching on webhook type.
 * Pure: ids, timestamps and "now" come from the caller, so a rendered body can be stored and re-sent byte for byte.
 */
import type { CustomData, ExperimentSnapshot, TaskLogFacts, WebhookType } from '../types.js';
import { defaultExperimentBody, defaultTaskLogBody, defaultTestBody } from './default.js';
import { slackExperimentBody, slackTaskLogBody, slackTestBody } from './slack.js';

export { experimentDurationSeconds } from './default.js';
export { normalizeBaseUrl, slackDuration } from './slack.js';

/** Content-Type Determined sends with every signed request (§4.1). */
export const JSON_CONTENT_TYPE = 'application/json; charset=UTF-8';

export interface RenderedEvent {
  body: string;
  /** sign with Determined headers? false only for the SLACK test */
  signed: boolean;
  /** Content-Type header to send, null = none */
  contentType: string | null;
}

/** Every queued event, DEFAULT or SLACK, is signed and sent as JSON (§4.1: the shipper signs Slack events too). */
const queued = (body: string): RenderedEvent => ({ body, signed: true, contentType: JSON_CONTENT_TYPE });

/** Determined panics on an unknown type; we throw (reachable only through unchecked input). */
function unknownType(t: never): never {
  throw new Error(`unknown webhook type: ${String(t)}`);
}

/** EXPERIMENT_STATE_CHANGE (trialId null) or CUSTOM (custom data, trialId when the alert came from a trial). */
export function renderExperimentEvent(a: {
  webhookType: WebhookType;
  triggerType: 'EXPERIMENT_STATE_CHANGE' | 'CUSTOM';
  eventId: string;
  timestampSec: number;
  experiment: ExperimentSnapshot;
  trialId: number | null;
  custom: CustomData | null;
  baseUrl: string;
  nowMs: number;
}): RenderedEvent {
  if (a.webhookType === 'SLACK') return queued(slackExperimentBody(a));
  if (a.webhookType === 'DEFAULT') return queued(defaultExperimentBody(a));
  return unknownType(a.webhookType);
}

/** A log line of `task` matched `regex` (TASK_LOG trigger). */
export function renderTaskLogEvent(a: {
  webhookType: WebhookType;
  eventId: string;
  timestampSec: number;
  regex: string;
  task: TaskLogFacts;
  baseUrl: string;
}): RenderedEvent {
  if (a.webhookType === 'SLACK') return queued(slackTaskLogBody(a));
  if (a.webhookType === 'DEFAULT') return queued(defaultTaskLogBody(a));
  return unknownType(a.webhookType);
}

/** The body of `POST /api/v1/webhooks/{id}/test`. The Slack one is built with a bare request in Determined: no
 * signature headers and no Content-Type (§4.1, §10.4). */
export function renderTestEvent(a: { webhookType: WebhookType; eventId: string; timestampSec: number }): RenderedEvent {
  if (a.webhookType === 'SLACK') return { body: slackTestBody(), signed: false, contentType: null };
  if (a.webhookType === 'DEFAULT') return queued(defaultTestBody(a));
  return unknownType(a.webhookType);
}
