/**
 * Sends one signed request and describes what happened: the single place that talks HTTP to webhook endpoints.
 * Signing happens here, per attempt, so the signature timestamp is the time of this attempt (as in Determined).
 * Every request goes through the SSRF guard; redirects are never followed.
 */
import { request, errors as undiciErrors, type Dispatcher } from 'undici';
import { DETERMINED_SIGNATURE_HEADER, DETERMINED_TIMESTAMP_HEADER, signDetermined } from '../core/signing/determined.js';
import { standardHeaders } from '../core/signing/standard.js';
import type { Clock } from '../core/types.js';
import type { AttemptOutcome } from '../store/store.js';
import { checkUrl, guardedAgent, isSsrfError, type OutboundPolicy } from './ssrf.js';

export const USER_AGENT = 'Switchyard-Webhooks/0.1';

export interface OutboundRequest {
  url: string;
  body: string;
  contentType: string | null;
  /** Add Determined's signature headers. */
  signed: boolean;
  eventId: string;
  /** Standard Webhooks secrets to sign with (empty: no Standard Webhooks headers). */
  standardSecrets: string[];
  /** Fixed signature timestamp (Determined's test sends use the payload's); default: now. */
  timestampSec?: number;
  timeoutMs?: number;
}

export interface SendResult {
  outcome: AttemptOutcome;
  statusCode: number | null;
  error: string | null;
  responseBody: string | null;
  responseHeaders: Record<string, string> | null;
  /** The request headers as sent, signatures shortened (they prove nothing to a reader of the log). */
  requestHeaders: Record<string, string>;
  remoteAddress: string | null;
  /** The server's Retry-After, raw. */
  retryAfter: string | null;
  startedAt: number;
  durationMs: number;
}

export interface HttpSenderOptions {
  signingKey: () => string;
  timeoutMs: number;
  clock: Clock;
  policy: OutboundPolicy;
  /** Bytes of a response body kept in the attempt log. */
  responseBodyBytes?: number;
  /**
   * Connections per origin (default 512, the engine's default concurrency). The engine bounds requests per webhook
   * and in all; a lower cap here would let one webhook's hanging requests hold the sockets of every other webhook on
   * the same origin (many Slack webhooks share hooks.slack.com).
   */
  connectionsPerOrigin?: number;
  dispatcher?: Dispatcher;
}

const SIGNATURE_HEADERS = new Set([DETERMINED_SIGNATURE_HEADER.toLowerCase(), 'webhook-signature']);

export function redactHeaders(h: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    const lk = k.toLowerCase();
    if (lk === 'authorization' || lk === 'cookie') out[k] = '[redacted]';
    else if (SIGNATURE_HEADERS.has(lk)) out[k] = v.split(' ').map((t) => `${t.slice(0, 12)}…`).join(' ');
    else out[k] = v;
  }
  return out;
}

/** What the engine and the webhook service send through: `HttpSender` here, or `ThreadedHttpSender` (send-thread.ts). */
export interface Sender {
  send(req: OutboundRequest): Promise<SendResult>;
  close(): Promise<void>;
}

export class HttpSender implements Sender {
  private readonly dispatcher: Dispatcher;
  /** The address each origin's sockets connected to, as the guard let them. */
  private readonly remote = new Map<string, string>();
  private readonly bodyCap: number;

  constructor(private readonly opts: HttpSenderOptions) {
    this.bodyCap = opts.responseBodyBytes ?? 16 * 1024;
    this.dispatcher = opts.dispatcher ?? guardedAgent(opts.policy, {
      keepAliveTimeout: 30_000, connections: opts.connectionsPerOrigin ?? 512, pipelining: 1,
      onConnect: (origin, address) => { this.remote.set(origin, address); },
    });
  }

  headersFor(req: OutboundRequest, nowSec: number): Record<string, string> {
    const t = req.timestampSec ?? nowSec;
    const h: Record<string, string> = { 'user-agent': USER_AGENT };
    if (req.contentType) h['content-type'] = req.contentType;
    if (req.signed) {
      h[DETERMINED_TIMESTAMP_HEADER] = String(t);
      h[DETERMINED_SIGNATURE_HEADER] = signDetermined(this.opts.signingKey(), t, req.body);
    }
    if (req.standardSecrets.length > 0) Object.assign(h, standardHeaders(req.standardSecrets, req.eventId, t, req.body));
    return h;
  }

  /** The origin of each URL sent to (parsing a URL per attempt showed in profiles); bounded. */
  private readonly origins = new Map<string, string | null>();
  private originOf(url: string): string | null {
    let o = this.origins.get(url);
    if (o === undefined) {
      try { o = new URL(url).origin; } catch { o = null; }
      if (this.origins.size >= 10_000) this.origins.clear();
      this.origins.set(url, o);
    }
    return o;
  }

  async send(req: OutboundRequest): Promise<SendResult> {
    const timeoutMs = req.timeoutMs ?? this.opts.timeoutMs;
    const startedAt = this.opts.clock.now();
    const t0 = performance.now();
    const headers = this.headersFor(req, Math.floor(startedAt / 1000));
    const requestHeaders = redactHeaders(headers);
    const done = (r: Omit<SendResult, 'startedAt' | 'durationMs' | 'requestHeaders' | 'remoteAddress'>): SendResult => {
      const origin = this.originOf(req.url);
      const remoteAddress = origin === null ? null : this.remote.get(origin) ?? null;
      return { ...r, requestHeaders, remoteAddress, startedAt, durationMs: Math.round(performance.now() - t0) };
    };
    const pre = checkUrl(this.opts.policy, req.url);
    if (!pre.ok) {
      return done({ outcome: 'refused', statusCode: null, error: pre.reason, responseBody: null, responseHeaders: null, retryAfter: null });
    }
    try {
      const res = await request(req.url, {
        method: 'POST', headers, body: req.body, dispatcher: this.dispatcher,
        signal: AbortSignal.timeout(timeoutMs), headersTimeout: timeoutMs, bodyTimeout: timeoutMs,
      });
      const code = res.statusCode;
      const responseHeaders: Record<string, string> = {};
      for (const k in res.headers) {
        const v = res.headers[k];
        if (v !== undefined) responseHeaders[k] = Array.isArray(v) ? v.join(', ') : String(v).slice(0, 1024);
      }
      // A body whose announced length fits the cap is read whole (no per-chunk iteration); others capped.
      const length = Number(responseHeaders['content-length'] ?? NaN);
      const text = length >= 0 && length <= this.bodyCap ? await res.body.text() : await readCapped(res.body, this.bodyCap);
      const location = responseHeaders.location;
      const error = code >= 300 && code < 400
        ? `redirect ${code} not followed${location ? ` (Location: ${location})` : ''}`
        : code >= 400 || code < 200 ? `HTTP ${code}` : null;
      return done({
        outcome: code >= 200 && code < 300 ? 'ok' : 'http', statusCode: code, error, responseBody: text, responseHeaders,
        retryAfter: responseHeaders['retry-after'] ?? null,
      });
    } catch (e) {
      const { outcome, message } = classifyError(e);
      return done({ outcome, statusCode: null, error: message, responseBody: null, responseHeaders: null, retryAfter: null });
    }
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}

async function readCapped(body: AsyncIterable<Buffer> & { destroy?: () => void }, cap: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    if (size < cap) chunks.push(chunk.subarray(0, cap - size));
    size += chunk.length;
    if (size > 4 * cap + 65536) { body.destroy?.(); break; }
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return size > cap ? `${text}… [${size - cap} more bytes not kept]` : text;
}

/** Sorts a transport failure into the attempt log's error classes. */
export function classifyError(e: unknown): { outcome: AttemptOutcome; message: string } {
  if (isSsrfError(e)) {
    const err = e as { message?: string; cause?: { message?: string } };
    return { outcome: 'refused', message: err.cause?.message ?? err.message ?? String(e) };
  }
  const err = e as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = err.code ?? err.cause?.code ?? '';
  const msg = err.cause?.message ?? err.message ?? String(e);
  if (err.name === 'TimeoutError' || err.name === 'AbortError' || e instanceof undiciErrors.HeadersTimeoutError
    || e instanceof undiciErrors.BodyTimeoutError || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT') {
    return { outcome: 'timeout', message: `timed out: ${msg}` };
  }
  if (code === 'ECONNREFUSED') return { outcome: 'connect', message: `connection refused: ${msg}` };
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return { outcome: 'connect', message: `host unreachable: ${msg}` };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NODATA') return { outcome: 'dns', message: `DNS lookup failed: ${msg}` };
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET' || code === 'UND_ERR_CLOSED') return { outcome: 'reset', message: `connection reset: ${msg}` };
  if (/^(ERR_TLS|ERR_SSL|CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO)/.test(code)) return { outcome: 'tls', message: `TLS error: ${msg}` };
  return { outcome: 'other', message: msg };
}
