/**
 * Sends one signed request and describes what happened: the single place that talks HTTP to webhook endpoints.
 * Signing happens here, per attempt, so the signature timestamp is the time of this attempt (as in Determined).
 * Every request goes through the SSRF guard; redirects are never followed.
 */
import { errors as undiciErrors, type Dispatcher } from 'undici';
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

/** An attempt that ended without a response from the endpoint (outcome `other`): the sender itself failed. */
export function senderFailure(error: string, startedAt: number): SendResult {
  return {
    outcome: 'other', statusCode: null, error, responseBody: null, responseHeaders: null, requestHeaders: {}, remoteAddress: null,
    retryAfter: null, startedAt, durationMs: 0,
  };
}

/** What the engine and the webhook service send through: `HttpSender` here, or `ThreadedHttpSender` (send-thread.ts). */
export interface Sender {
  send(req: OutboundRequest): Promise<SendResult>;
  /** Closes the connections once the requests in flight have ended (graceful: waits for them). */
  close(): Promise<void>;
  /**
   * Shutdown once its grace period ran out: ends every request in flight now (each send resolves at once as a failed
   * attempt, outcome `other`, error `reason`) and destroys the connections. Sends after it fail the same way; close()
   * after it returns at once.
   */
  destroy(reason: string): Promise<void>;
}

export class HttpSender implements Sender {
  private readonly dispatcher: Dispatcher;
  /** The address each origin's sockets connected to, as the guard let them. */
  private readonly remote = new Map<string, string>();
  private readonly bodyCap: number;
  private destroyed: string | null = null;

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

  /** Each URL's origin and path (parsing a URL per attempt showed in profiles); bounded. */
  private readonly targets = new Map<string, { origin: string; path: string } | null>();
  private targetOf(url: string): { origin: string; path: string } | null {
    let o = this.targets.get(url);
    if (o === undefined) {
      try { const u = new URL(url); o = { origin: u.origin, path: `${u.pathname}${u.search}` }; } catch { o = null; }
      if (this.targets.size >= 10_000) this.targets.clear();
      this.targets.set(url, o);
    }
    return o;
  }

  /**
   * Attempts past their deadline, checked by one timer (a timer or an AbortSignal per request cost more, in GC and
   * listeners, than the request's own bookkeeping). undici's headersTimeout and bodyTimeout end most timeouts on
   * time; this catches the rest (a slow connect, a body that trickles) within DEADLINE_TICK_MS.
   */
  private readonly deadlines = new Set<{ at: number; abort: (e: Error) => void }>();
  private deadlineTimer: NodeJS.Timeout | null = null;
  private watch(d: { at: number; abort: (e: Error) => void }): void {
    this.deadlines.add(d);
    if (this.deadlineTimer) return;
    this.deadlineTimer = setInterval(() => {
      const now = performance.now();
      for (const x of this.deadlines) if (x.at <= now) { this.deadlines.delete(x); x.abort(new AttemptTimeout()); }
      if (this.deadlines.size === 0 && this.deadlineTimer) { clearInterval(this.deadlineTimer); this.deadlineTimer = null; }
    }, DEADLINE_TICK_MS);
    this.deadlineTimer.unref();
  }

  async send(req: OutboundRequest): Promise<SendResult> {
    const timeoutMs = req.timeoutMs ?? this.opts.timeoutMs;
    const startedAt = this.opts.clock.now();
    const t0 = performance.now();
    const headers = this.headersFor(req, Math.floor(startedAt / 1000));
    const requestHeaders = redactHeaders(headers);
    const target = this.targetOf(req.url);
    // The address this attempt reached: its origin's connected socket (one per origin address in practice), or, when
    // it failed before a connection, the address it tried (null if none), never one left from an earlier attempt.
    const done = (r: Omit<SendResult, 'startedAt' | 'durationMs' | 'requestHeaders' | 'remoteAddress'>, tried?: string | null): SendResult => {
      const remoteAddress = tried !== undefined ? tried : target === null ? null : this.remote.get(target.origin) ?? null;
      return {
        outcome: r.outcome, statusCode: r.statusCode, error: r.error, responseBody: r.responseBody, responseHeaders: r.responseHeaders,
        retryAfter: r.retryAfter, requestHeaders, remoteAddress, startedAt, durationMs: Math.round(performance.now() - t0),
      };
    };
    if (this.destroyed !== null) {
      return done({ outcome: 'other', statusCode: null, error: this.destroyed, responseBody: null, responseHeaders: null, retryAfter: null });
    }
    const pre = checkUrl(this.opts.policy, req.url);
    if (!pre.ok || target === null) {
      return done({ outcome: 'refused', statusCode: null, error: pre.ok ? `invalid URL ${req.url}` : pre.reason, responseBody: null, responseHeaders: null, retryAfter: null });
    }
    try {
      const res = await this.post(target, headers, req.body, timeoutMs, t0 + timeoutMs);
      const code = res.statusCode;
      const location = res.headers.location;
      const error = code >= 300 && code < 400
        ? `redirect ${code} not followed${location ? ` (Location: ${location})` : ''}`
        : code >= 400 || code < 200 ? `HTTP ${code}` : null;
      return done({
        outcome: code >= 200 && code < 300 ? 'ok' : 'http', statusCode: code, error, responseBody: res.body, responseHeaders: res.headers,
        retryAfter: res.headers['retry-after'] ?? null,
      });
    } catch (e) {
      const { outcome, message } = classifyError(e);
      const beforeConnect = outcome === 'dns' || outcome === 'connect' || outcome === 'refused';
      return done({ outcome, statusCode: null, error: message, responseBody: null, responseHeaders: null, retryAfter: null },
        beforeConnect ? triedAddress(e) : undefined);
    }
  }

  /**
   * One POST through undici's dispatch API: the response body is gathered from its chunks (up to the cap) without
   * the Readable stream that `request()` builds for every response. Redirects are not followed.
   */
  private post(target: { origin: string; path: string }, headers: Record<string, string>, body: string, timeoutMs: number, deadline: number): Promise<{ statusCode: number; headers: Record<string, string>; body: string }> {
    const cap = this.bodyCap;
    return new Promise((resolve, reject) => {
      let statusCode = 0;
      let responseHeaders: Record<string, string> = {};
      let chunks: Buffer[] = [];
      let size = 0;
      let settled = false;
      let controller: Dispatcher.DispatchController | null = null;
      const watched = { at: deadline, abort: (e: Error) => { if (controller) controller.abort(e); else finish(e); } };
      const finish = (err: Error | null) => {
        if (settled) return;
        settled = true;
        this.deadlines.delete(watched);
        if (err) { reject(err); return; }
        const kept = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
        resolve({ statusCode, headers: responseHeaders, body: size > cap ? `${kept}… [${size - cap} more bytes not kept]` : kept });
      };
      this.watch(watched);
      this.dispatcher.dispatch({
        origin: target.origin, path: target.path, method: 'POST', headers, body, headersTimeout: timeoutMs, bodyTimeout: timeoutMs,
      }, {
        onRequestStart(c) {
          controller = c;
          // Its deadline passed while it waited for a connection: it must not go out after its timeout was recorded.
          if (settled) c.abort(new AttemptTimeout());
        },
        onResponseStart(_c, code, h) {
          // 1xx responses come first and are superseded by the final one.
          statusCode = code;
          responseHeaders = {};
          chunks = [];
          size = 0;
          for (const k in h) {
            const v = h[k];
            if (v !== undefined) responseHeaders[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v).slice(0, 1024);
          }
        },
        onResponseData(c, chunk) {
          if (size < cap) chunks.push(size + chunk.length > cap ? chunk.subarray(0, cap - size) : chunk);
          size += chunk.length;
          // A body far beyond the cap is not read to its end: what was kept is the attempt's record.
          if (size > 4 * cap + 65536) { finish(null); c.abort(new Error('response body too large')); }
        },
        onResponseEnd() { finish(null); },
        onResponseError(_c, err) { finish(err); },
      });
    });
  }

  async close(): Promise<void> {
    if (this.destroyed !== null) return;
    await this.dispatcher.close();
  }

  async destroy(reason: string): Promise<void> {
    if (this.destroyed !== null) return;
    this.destroyed = reason;
    // Every request in flight is watched (its deadline): abort each with the reason, so its send resolves now with
    // that error; then undici's destroy (not the graceful close, which would wait for the answers) drops the
    // sockets and fails whatever still waited for one.
    const err = new AttemptAborted(reason);
    for (const x of [...this.deadlines]) x.abort(err);
    this.deadlines.clear();
    await this.dispatcher.destroy(err).catch(() => {});
  }
}

const DEADLINE_TICK_MS = 100;

/** The reason an attempt is aborted at its deadline (named like the DOMException of AbortSignal.timeout). */
class AttemptTimeout extends Error {
  override readonly name = 'TimeoutError';
  constructor() { super('the attempt took longer than its timeout'); }
}

/** The address a connection attempt was made to, as Node's socket errors carry it (`address`), if any. */
function triedAddress(e: unknown): string | null {
  const err = e as { address?: unknown; cause?: { address?: unknown; errors?: { address?: unknown }[] } };
  const a = err.address ?? err.cause?.address ?? err.cause?.errors?.[0]?.address;
  return typeof a === 'string' ? a : null;
}

/** The reason an attempt is aborted by destroy() (shutdown): outcome `other`, the reason as its error. */
class AttemptAborted extends Error {
  override readonly name = 'AttemptAborted';
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
  if (/^(ERR_TLS|ERR_SSL|CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO|EPROTO$|HOSTNAME_MISMATCH|ERR_CERT)/.test(code)) return { outcome: 'tls', message: `TLS error: ${msg}` };
  return { outcome: 'other', message: msg };
}
