/**
 * Alert channels over the API: parsing a channel from a request body (create, or update over an existing one) and
 * the view the API returns, in which secret parts (a Slack webhook URL, HTTP header values) are never shown.
 *
 * Body: `{ name, kind: email | slack | http, enabled?, filter?: { kinds?, names?, severities? }, config }` with
 * config `{ to: [addresses] }` (email), `{ url }` (slack: its incoming webhook URL) or `{ url, method?, headers? }`
 * (http).
 */
import { ApiError, invalid } from '../http/errors.js';
import { Fields, isObject, typeName } from '../http/fields.js';
import type { AlertChannelInput, AlertChannelRecord, ChannelFilter, ChannelKind, OutboundPolicy } from './types.js';
import { checkUrl } from '../delivery/ssrf.js';
import { iso } from '../sender/views.js';

export const CHANNEL_KINDS: ChannelKind[] = ['email', 'slack', 'http'];
export const ALERT_KINDS = ['delivery.dead', 'webhook.disabled', 'flow.alert', 'run.failed'];
export const SEVERITIES = ['info', 'warning', 'error'];
/** A plain email address (no display name, one address). */
export const EMAIL = /^[^\s@<>,;"]+@[^\s@<>,;"]+$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const FORBIDDEN_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection']);

function stringList(v: unknown, where: string, check?: (s: string) => string | null): string[] {
  const items = typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v;
  if (!Array.isArray(items)) throw invalid(`${where} must be a list of strings, got ${typeName(v)}`);
  if (items.length > 100) throw invalid(`${where} has more than 100 entries`);
  return items.map((s, i) => {
    if (typeof s !== 'string' || s.trim() === '') throw invalid(`${where}[${i}] must be a non-empty string, got ${typeName(s)}`);
    const problem = check?.(s.trim());
    if (problem) throw invalid(`${where}[${i}]: ${problem}`);
    return s.trim();
  });
}

function parseFilter(v: unknown): ChannelFilter | null {
  if (v === undefined || v === null) return null;
  const f = new Fields(v, 'channel.filter', ['kinds', 'names', 'severities']);
  const out: ChannelFilter = {};
  if (f.has('kinds')) out.kinds = stringList(f.raw('kinds'), 'channel.filter.kinds', (s) => (ALERT_KINDS.includes(s) ? null : `"${s}" is not an alert kind; use ${ALERT_KINDS.join(', ')}`));
  if (f.has('names')) out.names = stringList(f.raw('names'), 'channel.filter.names');
  if (f.has('severities')) {
    out.severities = stringList(f.raw('severities'), 'channel.filter.severities', (s) => (SEVERITIES.includes(s.toLowerCase()) ? null : `"${s}" is not a severity; use ${SEVERITIES.join(', ')}`))
      .map((s) => s.toLowerCase());
  }
  return Object.keys(out).length === 0 ? null : out;
}

function httpUrl(v: unknown, where: string, policy: OutboundPolicy): string {
  if (typeof v !== 'string' || v.trim() === '') throw invalid(`${where} is required: an absolute http(s) URL`);
  const url = v.trim();
  let u: URL;
  try { u = new URL(url); } catch { throw new ApiError('invalid_url', `${where} "${url}" is not an absolute URL such as https://example.com/alerts`); }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ApiError('invalid_url', `${where} must use http or https, got ${u.protocol}`);
  if (url.length > 2048) throw new ApiError('invalid_url', `${where} is longer than 2048 characters`);
  const c = checkUrl(policy, url);
  if (!c.ok) throw new ApiError('invalid_url', `${where} is refused by the SSRF guard: ${c.reason}`);
  return url;
}

/** The channel a body describes; `existing` (on update) supplies what the body leaves out, secrets included. */
export function parseChannel(body: unknown, policy: OutboundPolicy, existing?: AlertChannelRecord): AlertChannelInput {
  const f = new Fields(body, 'channel', ['name', 'kind', 'enabled', 'filter', 'config']);
  const name = f.string('name', { required: !existing, max: 200, trim: true }) ?? existing!.name;
  if (name === '') throw invalid('channel.name cannot be empty');
  const kindRaw = f.string('kind', { required: !existing, trim: true })?.toLowerCase();
  if (kindRaw !== undefined && !CHANNEL_KINDS.includes(kindRaw as ChannelKind)) {
    throw invalid(`channel.kind must be one of ${CHANNEL_KINDS.join(', ')}, got "${kindRaw}"`);
  }
  const kind = (kindRaw ?? existing!.kind) as ChannelKind;
  const enabled = f.bool('enabled') ?? existing?.enabled ?? true;
  const filter = f.has('filter') ? parseFilter(f.raw('filter')) : (existing?.filter ?? null);
  // The existing config (and secret) carry over only while the kind stays the same.
  const same = existing && existing.kind === kind ? existing : undefined;
  const rawConfig = f.raw('config');
  if (rawConfig === undefined && !same) throw invalid(`channel.config is required for a ${kind} channel`);
  if (rawConfig !== undefined && !isObject(rawConfig)) throw invalid(`channel.config must be an object, got ${typeName(rawConfig)}`);
  const c = (rawConfig ?? {}) as Record<string, unknown>;
  if (kind === 'email') {
    new Fields(c, 'channel.config', ['to']);
    const to = c.to === undefined && same ? (same.config.to as string[])
      : stringList(c.to, 'channel.config.to', (s) => (EMAIL.test(s) ? null : `"${s}" is not an email address`));
    if (to.length === 0) throw invalid('channel.config.to needs at least one email address');
    return { name, kind, enabled, filter, config: { to }, secret: null };
  }
  if (kind === 'slack') {
    new Fields(c, 'channel.config', ['url']);
    const url = c.url === undefined && same ? String(same.secret?.url) : httpUrl(c.url, 'channel.config.url', policy);
    return { name, kind, enabled, filter, config: {}, secret: { url } };
  }
  new Fields(c, 'channel.config', ['url', 'method', 'headers']);
  const url = c.url === undefined && same ? String(same.config.url) : httpUrl(c.url, 'channel.config.url', policy);
  const method = c.method === undefined ? String(same?.config.method ?? 'POST') : String(c.method).toUpperCase();
  if (!['POST', 'PUT'].includes(method)) throw invalid(`channel.config.method must be POST or PUT, got ${typeName(c.method)}`);
  let headers = (same?.secret?.headers ?? {}) as Record<string, string>;
  if (c.headers !== undefined) {
    if (!isObject(c.headers)) throw invalid(`channel.config.headers must be an object of header names to values, got ${typeName(c.headers)}`);
    headers = {};
    for (const [k, v] of Object.entries(c.headers)) {
      if (!HEADER_NAME.test(k)) throw invalid(`channel.config.headers: "${k}" is not a valid header name`);
      if (FORBIDDEN_HEADERS.has(k.toLowerCase())) throw invalid(`channel.config.headers: "${k}" is set by Switchyard and cannot be given`);
      if (typeof v !== 'string' || /[\r\n\0]/.test(v)) throw invalid(`channel.config.headers["${k}"] must be a string without line breaks`);
      headers[k] = v;
    }
  }
  return { name, kind, enabled, filter, config: { url, method }, secret: { headers } };
}


/** The API's view of a channel: secret parts are never shown (a Slack URL shows its origin; header values are redacted). */
export function channelView(ch: AlertChannelRecord) {
  let config: Record<string, unknown> = ch.config;
  if (ch.kind === 'slack') {
    let origin = '';
    try { origin = new URL(String(ch.secret?.url)).origin; } catch { /* stored URLs are valid */ }
    config = { url: `${origin}/…(redacted)` };
  } else if (ch.kind === 'http') {
    const headers = (ch.secret?.headers ?? {}) as Record<string, string>;
    config = { ...ch.config, headers: Object.fromEntries(Object.keys(headers).map((k) => [k, '(redacted)'])) };
  }
  return {
    id: ch.id, name: ch.name, kind: ch.kind, enabled: ch.enabled, filter: ch.filter, config,
    createdAt: iso(ch.createdAt), updatedAt: iso(ch.updatedAt),
  };
}
