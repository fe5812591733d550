/** Parsing webhook bodies (create and patch) into validated inputs, with Determined's checks and better ones. */
import { RE2JS } from 're2js';
import { ApiError, invalid } from '../http/errors.js';
import { Fields, isObject, typeName } from '../http/fields.js';
import { EXPERIMENT_STATES, TRIGGER_TYPES, WEBHOOK_MODES, WEBHOOK_TYPES, type WebhookMode, type WebhookType } from '../core/types.js';
import type { RetrySpec, SignatureScheme, TriggerInput } from '../store/store.js';
import { MAX_CUSTOM_ATTEMPTS, MAX_WAIT_MS } from '../core/retry.js';

const WEBHOOK_FIELDS = [
  'id', 'url', 'triggers', 'webhookType', 'name', 'workspaceId', 'mode', 'signatureSchemes',
  // Delivery settings (extensions):
  'ordering', 'retryPolicy', 'timeoutMs', 'maxConcurrency',
] as const;
const TRIGGER_FIELDS = ['id', 'triggerType', 'condition', 'webhookId'] as const;
export const MAX_TRIGGERS = 100;
export const MAX_NAME = 255;
export const MAX_URL = 2048;
export const MAX_REGEX = 1024;

const TYPE_NUMBERS: Record<number, WebhookType | 'UNSPECIFIED'> = { 0: 'UNSPECIFIED', 1: 'DEFAULT', 2: 'SLACK' };
const MODE_NUMBERS: Record<number, WebhookMode | 'UNSPECIFIED'> = { 0: 'UNSPECIFIED', 1: 'WORKSPACE', 2: 'SPECIFIC' };
const TRIGGER_NUMBERS = { 0: 'UNSPECIFIED', 1: 'EXPERIMENT_STATE_CHANGE', 2: 'METRIC_THRESHOLD_EXCEEDED', 3: 'TASK_LOG', 4: 'CUSTOM' } as const;

/** An absolute http(s) URL, or a 400 that says what is wrong (Determined accepts `localhost:8181` or `/path`). */
export function parseWebhookUrl(v: string | undefined, where: string): string {
  if (v === undefined || v.trim() === '') throw new ApiError('invalid_url', `valid url required: ${where} is empty`);
  const s = v.trim();
  if (s.length > MAX_URL) throw new ApiError('invalid_url', `valid url required: ${where} is longer than ${MAX_URL} characters`);
  // WHATWG URL parsing silently drops tabs and newlines and accepts `http:host` or `http:///host`: the stored URL
  // would not be the one requests go to. Reject those, as Go's url.Parse rejects control characters.
  if (/[\u0000-\u001f\u007f]/.test(s)) {
    throw new ApiError('invalid_url', `valid url required: ${where} contains a control character (newline, tab, …); percent-encode it or remove it`);
  }
  if (/^(localhost|[a-z0-9-]+(\.[a-z0-9-]+)+):\d+(\/|$)/i.test(s)) {
    // `new URL('localhost:8181')` reads "localhost" as the scheme; Determined accepts this form, Switchyard cannot send to it.
    throw new ApiError('invalid_url', `valid url required: "${s}" has no scheme; write it like http://${s}`);
  }
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw new ApiError('invalid_url', `valid url required: "${s}" is not an absolute URL; write it like https://hooks.example.com/path`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new ApiError('invalid_url', `valid url required: "${s}" uses ${u.protocol.replace(':', '')}; only http and https URLs can receive webhooks`);
  }
  if (!u.hostname || !/^https?:\/\/[^/?#]/i.test(s)) {
    throw new ApiError('invalid_url', `valid url required: "${s}" has no host; write it like ${u.protocol}//hooks.example.com/path`);
  }
  return s;
}

export function compileRegex(regex: string, where: string): RE2JS {
  if (regex.length > MAX_REGEX) throw new ApiError('invalid_regex', `${where} is longer than ${MAX_REGEX} characters`);
  try {
    return RE2JS.compile(regex);
  } catch (e) {
    throw new ApiError('invalid_regex', `${where} does not compile as an RE2 (Go) regular expression: ${(e as Error).message}`);
  }
}

/** An experiment state by name, with or without Determined's proto prefix `STATE_`. */
export function parseExperimentState(v: unknown, where: string): string {
  if (typeof v !== 'string') throw new ApiError('invalid_state', `${where} must be a string naming an experiment state, got ${typeName(v)}`);
  const up = v.trim().toUpperCase();
  const s = up.startsWith('STATE_') ? up.slice(6) : up;
  if (!(EXPERIMENT_STATES as readonly string[]).includes(s)) {
    throw new ApiError('invalid_state', `${where}: "${v}" is not an experiment state; use one of ${EXPERIMENT_STATES.join(', ')}`);
  }
  return s;
}

function parseTrigger(raw: unknown, i: number, mode: WebhookMode): TriggerInput {
  const where = `triggers[${i}]`;
  const f = new Fields(raw, where, TRIGGER_FIELDS);
  const type = f.enumOf('triggerType', 'TRIGGER_TYPE_', TRIGGER_TYPES, TRIGGER_NUMBERS);
  if (type === undefined || type === 'UNSPECIFIED') {
    throw invalid(`${where}.triggerType is required: one of ${TRIGGER_TYPES.map((t) => `TRIGGER_TYPE_${t}`).join(', ')}`);
  }
  const c = f.raw('condition') ?? {};
  if (!isObject(c)) throw invalid(`${where}.condition must be a JSON object, got ${typeName(c)}`);
  switch (type) {
    case 'EXPERIMENT_STATE_CHANGE': {
      const keys = Object.keys(c);
      if (keys.length !== 1 || keys[0] !== 'state') {
        throw invalid(`${where}.condition must be {"state": "<experiment state>"} for EXPERIMENT_STATE_CHANGE, e.g. {"state": "COMPLETED"}; got ${JSON.stringify(c)}`);
      }
      return { triggerType: type, condition: { state: parseExperimentState(c.state, `${where}.condition.state`) } };
    }
    case 'TASK_LOG': {
      // Determined's three checks and messages, in its order.
      const keys = Object.keys(c);
      if (keys.length !== 1) throw invalid(`webhook task log condition must have one key got ${JSON.stringify(c)} (${where}.condition must be {"regex": "<RE2 pattern>"})`);
      if (keys[0] !== 'regex') throw invalid(`webhook task log condition must have key 'regex' got ${JSON.stringify(c)} (${where}.condition)`);
      if (typeof c.regex !== 'string') throw invalid(`webhook task log condition must have key 'regex' as string got ${JSON.stringify(c)} (${where}.condition)`);
      if (c.regex === '') throw new ApiError('invalid_regex', `${where}.condition.regex is empty: it would match every log line`);
      compileRegex(c.regex, `${where}.condition.regex`);
      return { triggerType: type, condition: { regex: c.regex } };
    }
    case 'CUSTOM':
      if (mode !== 'SPECIFIC') {
        throw invalid(`custom trigger only works on webhook with mode 'SPECIFIC'. Got WEBHOOK_MODE_${mode} (set "mode": "WEBHOOK_MODE_SPECIFIC" and list the webhook in the experiment's integrations.webhooks)`);
      }
      return { triggerType: type, condition: {} };
    case 'METRIC_THRESHOLD_EXCEEDED':
      // Stored as given; Determined has no code path that fires it, and neither does Switchyard.
      return { triggerType: type, condition: c };
  }
}

export function parseTriggers(v: unknown, mode: WebhookMode): TriggerInput[] {
  if (v === undefined || (Array.isArray(v) && v.length === 0)) throw invalid('at least one trigger required');
  if (!Array.isArray(v)) throw invalid(`triggers must be an array of triggers, got ${typeName(v)}`);
  if (v.length > MAX_TRIGGERS) throw invalid(`a webhook can have at most ${MAX_TRIGGERS} triggers, got ${v.length}`);
  return v.map((t, i) => parseTrigger(t, i, mode));
}

function parseSchemes(f: Fields): SignatureScheme[] | undefined {
  const v = f.raw('signatureSchemes');
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) throw invalid(`signatureSchemes must be an array such as ["determined", "standard"], got ${typeName(v)}`);
  const out: SignatureScheme[] = ['determined'];
  for (const s of v) {
    if (s !== 'determined' && s !== 'standard') {
      throw invalid(`signatureSchemes: ${typeName(s)} is not a scheme; use "determined" (always on) and/or "standard" (Standard Webhooks)`);
    }
    if (!out.includes(s)) out.push(s);
  }
  return out;
}

function parseName(f: Fields): string | undefined {
  const n = f.string('name', { max: MAX_NAME, trim: true });
  if (n !== undefined && /[\u0000-\u001f\u007f]/.test(n)) throw invalid('name must not contain control characters');
  if (n !== undefined && /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(n)) {
    throw invalid('name is not valid Unicode (it has an unpaired surrogate such as \\ud800)');
  }
  return n;
}

export interface ParsedWebhook {
  url: string; webhookType: WebhookType; workspaceId: number | null; name: string | undefined; mode: WebhookMode;
  schemes: SignatureScheme[]; triggers: TriggerInput[]; settings: DeliverySettings;
}

/** Per-webhook delivery settings: ordering, retry policy, timeout and concurrency (absent = leave as is). */
export interface DeliverySettings {
  fifo?: boolean; retryPolicy?: RetrySpec | null; timeoutMs?: number | null; maxConcurrency?: number | null;
}

function parseRetryPolicy(v: unknown): RetrySpec | null {
  const hint = 'use "default", "determined", "inherit" (the server\'s policy) or {"policy": "custom", "scheduleSeconds": [5, 60, 600]}';
  if (typeof v === 'string') {
    if (v === 'inherit') return null;
    if (v === 'default' || v === 'determined') return { policy: v };
    throw invalid(`retryPolicy: "${v}" is not a policy; ${hint}`);
  }
  const f = new Fields(v, 'retryPolicy', ['policy', 'scheduleSeconds']);
  const p = f.string('policy', { required: true });
  if (p === 'default' || p === 'determined') {
    if (f.has('scheduleSeconds')) throw invalid('retryPolicy.scheduleSeconds goes only with "policy": "custom"');
    return { policy: p };
  }
  if (p !== 'custom') throw invalid(`retryPolicy.policy: "${p}" is not a policy; ${hint}`);
  const sched = f.raw('scheduleSeconds');
  if (!Array.isArray(sched) || sched.length === 0 || sched.length > MAX_CUSTOM_ATTEMPTS - 1
    || !sched.every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0 && x * 1000 <= MAX_WAIT_MS)) {
    throw invalid(`retryPolicy.scheduleSeconds must be a list of 1 to ${MAX_CUSTOM_ATTEMPTS - 1} waits in seconds, each from 0 to ${MAX_WAIT_MS / 1000} (7 days), e.g. [5, 60, 600]`);
  }
  return { policy: 'custom', scheduleSeconds: sched as number[] };
}

export function parseDeliverySettings(f: Fields): DeliverySettings {
  const out: DeliverySettings = {};
  const ordering = f.string('ordering');
  if (ordering !== undefined) {
    if (ordering !== 'FIFO' && ordering !== 'BEST_EFFORT') throw invalid(`ordering must be "BEST_EFFORT" (the default) or "FIFO" (one at a time, in order), got "${ordering}"`);
    out.fifo = ordering === 'FIFO';
  }
  if (f.has('retryPolicy')) out.retryPolicy = parseRetryPolicy(f.raw('retryPolicy'));
  const timeout = f.int('timeoutMs', { min: 0, max: 600_000 });
  if (timeout !== undefined) {
    if (timeout !== 0 && timeout < 100) throw invalid('timeoutMs must be 0 (the server\'s default) or from 100 to 600000');
    out.timeoutMs = timeout === 0 ? null : timeout;
  }
  const conc = f.int('maxConcurrency', { min: 0, max: 10_000 });
  if (conc !== undefined) out.maxConcurrency = conc === 0 ? null : conc;
  return out;
}

export function parseWebhookCreate(body: unknown): ParsedWebhook {
  const f = new Fields(body, 'webhook', WEBHOOK_FIELDS);
  const url = parseWebhookUrl(f.string('url'), 'url');
  const t = f.enumOf('webhookType', 'WEBHOOK_TYPE_', WEBHOOK_TYPES, TYPE_NUMBERS);
  if (t === 'UNSPECIFIED') throw invalid('webhookType must be WEBHOOK_TYPE_DEFAULT or WEBHOOK_TYPE_SLACK');
  const m = f.enumOf('mode', 'WEBHOOK_MODE_', WEBHOOK_MODES, MODE_NUMBERS);
  // Determined maps anything but SPECIFIC (UNSPECIFIED included) to WORKSPACE.
  const mode: WebhookMode = m === 'SPECIFIC' ? 'SPECIFIC' : 'WORKSPACE';
  const ws = f.int('workspaceId', { min: 0 }) ?? 0;
  return {
    url, webhookType: t ?? 'DEFAULT', workspaceId: ws === 0 ? null : ws, name: parseName(f), mode,
    schemes: parseSchemes(f) ?? ['determined'], triggers: parseTriggers(f.raw('triggers'), mode),
    settings: parseDeliverySettings(f),
  };
}

export interface ParsedWebhookPatch {
  url?: string; name?: string; webhookType?: WebhookType; mode?: WebhookMode; schemes?: SignatureScheme[];
  /** Raw triggers, validated against the resulting mode by the caller. */
  triggers?: unknown;
  settings?: DeliverySettings;
}

export function parseWebhookPatch(body: unknown): ParsedWebhookPatch {
  const f = new Fields(body ?? {}, 'webhook', WEBHOOK_FIELDS);
  const out: ParsedWebhookPatch = {};
  if (f.has('url')) out.url = parseWebhookUrl(f.string('url'), 'url');
  const name = parseName(f);
  if (name !== undefined) {
    if (name === '') throw invalid('name cannot be empty');
    out.name = name;
  }
  const t = f.enumOf('webhookType', 'WEBHOOK_TYPE_', WEBHOOK_TYPES, TYPE_NUMBERS);
  if (t === 'UNSPECIFIED') throw invalid('webhookType must be WEBHOOK_TYPE_DEFAULT or WEBHOOK_TYPE_SLACK');
  if (t !== undefined) out.webhookType = t;
  const m = f.enumOf('mode', 'WEBHOOK_MODE_', WEBHOOK_MODES, MODE_NUMBERS);
  if (m !== undefined) out.mode = m === 'SPECIFIC' ? 'SPECIFIC' : 'WORKSPACE';
  const schemes = parseSchemes(f);
  if (schemes) out.schemes = schemes;
  if (f.has('triggers')) out.triggers = f.raw('triggers');
  const settings = parseDeliverySettings(f);
  if (Object.keys(settings).length > 0) out.settings = settings;
  if (f.has('workspaceId')) throw invalid('workspaceId cannot be changed: create a new webhook in the other workspace and delete this one');
  if (Object.keys(out).length === 0) {
    throw invalid('nothing to change: give at least one of url, name, webhookType, mode, triggers, signatureSchemes, ordering, retryPolicy, timeoutMs, maxConcurrency');
  }
  return out;
}
