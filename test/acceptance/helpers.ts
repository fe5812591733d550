/**
 * Shared steps for the acceptance suite (spec determined-webhooks.md §7): Determined's internal calls translated into
 * Switchyard's HTTP API, and checks on what the sinks actually received.
 */
import assert from 'node:assert/strict';
import { verifyDetermined } from '../../src/core/signing/determined.js';
import type { Sink, SinkRequest, TestServer } from '../helpers/harness.js';

export const SIGNING_KEY = 'testsigningkey';
export const JSON_CT = 'application/json; charset=UTF-8';
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export type TriggerSpec =
  | { state: string }
  | { regex: string }
  | { custom: true }
  | { metric: Record<string, unknown> };

export interface HookSpec {
  url: string;
  type?: 'DEFAULT' | 'SLACK';
  name?: string;
  workspaceId?: number;
  mode?: 'WORKSPACE' | 'SPECIFIC';
  triggers: TriggerSpec[];
}

export function triggerBody(t: TriggerSpec): Record<string, unknown> {
  if ('state' in t) return { triggerType: 'TRIGGER_TYPE_EXPERIMENT_STATE_CHANGE', condition: { state: t.state } };
  if ('regex' in t) return { triggerType: 'TRIGGER_TYPE_TASK_LOG', condition: { regex: t.regex } };
  if ('custom' in t) return { triggerType: 'TRIGGER_TYPE_CUSTOM', condition: {} };
  return { triggerType: 'TRIGGER_TYPE_METRIC_THRESHOLD_EXCEEDED', condition: t.metric };
}

export function hookBody(h: HookSpec): Record<string, unknown> {
  return {
    url: h.url, webhookType: `WEBHOOK_TYPE_${h.type ?? 'DEFAULT'}`, name: h.name ?? '', workspaceId: h.workspaceId ?? 0,
    mode: `WEBHOOK_MODE_${h.mode ?? 'WORKSPACE'}`, triggers: h.triggers.map(triggerBody),
  };
}

/** POST /api/v1/webhooks; asserts 200 and returns the created webhook. */
export async function createHook(s: TestServer, h: HookSpec, token?: string): Promise<any> {
  const r = await s.api('POST', '/api/v1/webhooks', hookBody(h), token === undefined ? {} : { token });
  assert.equal(r.status, 200, `create webhook ${h.name ?? h.url}: ${r.text}`);
  return r.body.webhook;
}

export async function deleteHook(s: TestServer, id: number): Promise<void> {
  const r = await s.api('DELETE', `/api/v1/webhooks/${id}`);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.body, {});
}

/** Deletes every webhook (Determined's tests `clearWebhooksTables` between sub-tests). */
export async function deleteAllHooks(s: TestServer): Promise<void> {
  const r = await s.api('GET', '/api/v1/webhooks');
  for (const w of r.body.webhooks) await deleteHook(s, w.id);
}

export async function createWorkspace(s: TestServer, name: string): Promise<{ id: number; name: string }> {
  const r = await s.api('POST', '/api/v1/workspaces', { name });
  assert.equal(r.status, 200, r.text);
  return r.body.workspace;
}

export interface ExpSpec {
  name: string;
  workspace?: string;
  project?: string;
  resourcePool?: string;
  slotsPerTrial?: number;
  webhookId?: number[];
  webhookName?: string[];
  exclude?: boolean;
  /** RFC 3339 start time (default: now). */
  startTime?: string;
}

export async function createExperiment(s: TestServer, e: ExpSpec): Promise<any> {
  const body: Record<string, unknown> = { name: e.name, workspace: e.workspace ?? '', project: e.project ?? '' };
  if (e.resourcePool !== undefined) body.resourcePool = e.resourcePool;
  if (e.slotsPerTrial !== undefined) body.slotsPerTrial = e.slotsPerTrial;
  if (e.startTime !== undefined) body.startTime = e.startTime;
  if (e.webhookId !== undefined || e.webhookName !== undefined || e.exclude !== undefined) {
    const webhooks: Record<string, unknown> = {};
    if (e.webhookId !== undefined) webhooks.webhook_id = e.webhookId;
    if (e.webhookName !== undefined) webhooks.webhook_name = e.webhookName;
    if (e.exclude !== undefined) webhooks.exclude = e.exclude;
    body.integrations = { webhooks };
  }
  const r = await s.api('POST', '/api/v1/experiments', body);
  assert.equal(r.status, 200, `create experiment ${e.name}: ${r.text}`);
  return r.body.experiment;
}

/** Moves an experiment to `state`; returns how many events the server says it fired. */
export async function setState(s: TestServer, id: number, state: string): Promise<number> {
  const r = await s.api('POST', `/api/v1/experiments/${id}/state`, { state });
  assert.equal(r.status, 200, `experiment ${id} → ${state}: ${r.text}`);
  return r.body.eventsFired;
}

export interface LogLine {
  taskId: string; agentId?: string; log: string; experimentId?: number; trialId?: number; taskType?: string; workspaceId?: number;
}

export async function postLogs(s: TestServer, logs: LogLine[]): Promise<void> {
  const r = await s.api('POST', '/api/v1/task/logs', { logs: logs.map((l) => ({ agentId: 'test', ...l })) });
  assert.equal(r.status, 200, `post task logs: ${r.text}`);
}

/** Requests per URL path, for the paths given (0 when none arrived). */
export function countByPath(sink: Sink, paths: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of paths) out[p] = sink.byPath(p).length;
  return out;
}

/** Per-path counts of requests that arrived after `before` (a countByPath snapshot). */
export function countSince(sink: Sink, before: Record<string, number>): Record<string, number> {
  const now = countByPath(sink, Object.keys(before));
  const out: Record<string, number> = {};
  for (const p of Object.keys(before)) out[p] = now[p]! - before[p]!;
  return out;
}

/** Asserts a queued (or DEFAULT test) request carries a valid Determined signature over its raw body bytes. */
export function assertSigned(r: SinkRequest): number {
  const t = r.headers['x-determined-ai-signature-timestamp'];
  const sig = r.headers['x-determined-ai-signature'];
  assert.equal(typeof t, 'string', `no signature timestamp header on ${r.path}`);
  assert.equal(typeof sig, 'string', `no signature header on ${r.path}`);
  assert.ok(verifyDetermined(SIGNING_KEY, t as string, sig as string, r.body), `bad signature on ${r.path}: ${r.text}`);
  assert.notEqual(verifyDetermined('not-the-key', t as string, sig as string, r.body), true);
  assert.equal(r.headers['content-type'], JSON_CT);
  return Number(t);
}

export function assertUnsigned(r: SinkRequest): void {
  assert.equal(r.headers['x-determined-ai-signature'], undefined);
  assert.equal(r.headers['x-determined-ai-signature-timestamp'], undefined);
}

/**
 * The event id and timestamp of a DEFAULT body (random / time-based, so taken from what arrived), after checking
 * the envelope starts exactly as Go writes it. Everything else is then compared byte for byte by the caller.
 */
export function envelopeOf(r: SinkRequest, eventType: string, notBeforeSec = 0): { eventId: string; ts: number } {
  const m = /^\{"event_id":"([^"]+)","event_type":"([A-Z_]+)","timestamp":(\d+),"condition":/.exec(r.text);
  assert.ok(m, `not a DEFAULT envelope: ${r.text}`);
  assert.match(m[1]!, UUID_V4);
  assert.equal(m[2], eventType);
  const ts = Number(m[3]);
  assert.ok(ts >= notBeforeSec && ts <= Math.ceil(Date.now() / 1000), `timestamp ${ts} out of range`);
  return { eventId: m[1]!, ts };
}

export const nowSec = (): number => Math.floor(Date.now() / 1000);
