/**
 * Sends one signed request and describes what happened: the single place that talks HTTP to webhook endpoints.
 * Signing happens here, per attempt, so the signature timestamp is the time of this attempt (as in Determined).
 */
import { Agent, request, errors as undiciErrors, type Dispatcher } from 'undici';
import { DETERMINED_SIGNATURE_HEADER, DETERMINED_TIMESTAMP_HEADER, signDetermined } from '../core/signing/determined.js';
import { standardHeaders } from '../core/signing/standard.js';
import type { Clock } from '../core/types.js';
import type { AttemptOutcome } from '../store/store.js';

export const USER_AGENT = 'Switchyard-Webhooks/0.1';
const RESPONSE_BODY_CAP = 16 * 1024;

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
}

export interface SendResult {
  outcome: AttemptOutcome;
  statusCode: number | null;
  error: string | null;
  responseBody: string | null;
  remoteAddress: string | null;
  startedAt: number;
  durationMs: number;
}

export interface HttpSenderOptions { signingKey: () => string; timeoutMs: number; clock: Clock; dispatcher?: Dispatcher }

export class HttpSender {
  private readonly dispatcher: Dispatcher;
  constructor(private readonly opts: HttpSenderOptions) {
    this.dispatcher = opts.dispatcher ?? new Agent({ keepAliveTimeout: 30_000, connections: 64, pipelining: 1 });
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

  async send(req: OutboundRequest, timeoutMs = this.opts.timeoutMs): Promise<SendResult> {
    const startedAt = this.opts.clock.now();
    const t0 = performance.now();
    const done = (r: Omit<SendResult, 'startedAt' | 'durationMs'>): SendResult =>
      ({ ...r, startedAt, durationMs: Math.round(performance.now() - t0) });
    let remoteAddress: string | null = null;
    try {
      const res = await request(req.url, {
        method: 'POST',
        headers: this.headersFor(req, Math.floor(startedAt / 1000)),
        body: req.body,
        dispatcher: this.dispatcher,
        signal: AbortSignal.timeout(timeoutMs),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      const text = await readCapped(res.body, RESPONSE_BODY_CAP);
      const code = res.statusCode;
      const location = res.headers.location;
      const error = code >= 300 && code < 400
        ? `redirect ${code} not followed${location ? ` (Location: ${String(location)})` : ''}`
        : code >= 400 ? `HTTP ${code}` : null;
      return done({ outcome: code < 300 ? 'ok' : 'http', statusCode: code, error, responseBody: text, remoteAddress });
    } catch (e) {
      const { outcome, message } = classifyError(e);
      remoteAddress = null;
      return done({ outcome, statusCode: null, error: message, responseBody: null, remoteAddress });
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
    if (size > 4 * cap) { body.destroy?.(); break; }
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function classifyError(e: unknown): { outcome: AttemptOutcome; message: string } {
  const err = e as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = err.code ?? err.cause?.code ?? '';
  const msg = err.cause?.message ?? err.message ?? String(e);
  if (err.name === 'TimeoutError' || err.name === 'AbortError' || e instanceof undiciErrors.HeadersTimeoutError
    || e instanceof undiciErrors.BodyTimeoutError || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return { outcome: 'timeout', message: `timed out: ${msg}` };
  }
  if (code === 'ECONNREFUSED') return { outcome: 'connect', message: `connection refused: ${msg}` };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { outcome: 'dns', message: `DNS lookup failed: ${msg}` };
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET') return { outcome: 'reset', message: `connection reset: ${msg}` };
  if (/^(ERR_TLS|CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO)/.test(code) || /SSL|TLS/.test(code)) return { outcome: 'tls', message: `TLS error: ${msg}` };
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return { outcome: 'connect', message: `host unreachable: ${msg}` };
  return { outcome: 'other', message: msg };
}
