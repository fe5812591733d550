/**
 * StepServices.http: one outbound request through the SSRF guard (pre-flight URL check, then the guarded agent that
 * checks the address it connects to). Redirects are never followed; the timeout (default 15 s) covers the whole
 * exchange; the response body is kept as UTF-8 text up to 1 MiB (`truncated: true` when more was sent).
 * Failures are thrown as they come (an SsrfError for a refusal); classify them with classifyError / isSsrfError.
 */
import { request, type Dispatcher } from 'undici';
import type { HttpRequest, HttpResponse, StepServices } from '../../core/flow/types.js';
import { USER_AGENT } from '../../delivery/http-sender.js';
import { checkUrl, guardedAgent, SsrfError, type OutboundPolicy } from '../../delivery/ssrf.js';

export const DEFAULT_HTTP_TIMEOUT_MS = 15_000;
export const MAX_RESPONSE_BYTES = 1024 * 1024;

/** A request may carry the step's abort signal (the real client honours it; fakes may ignore it). */
export type HttpClientRequest = HttpRequest & { signal?: AbortSignal };
export interface HttpClientResponse extends HttpResponse {
  /** The body was longer than the cap and was cut. */
  truncated?: true;
}

export interface HttpClientOptions {
  timeoutMs?: number;
  maxBodyBytes?: number;
  /** For tests: a dispatcher to use instead of the guarded agent (the pre-flight URL check still applies). */
  dispatcher?: Dispatcher;
}

export type HttpClient = ((req: HttpClientRequest) => Promise<HttpClientResponse>) & { close(): Promise<void> };

// Compile-time check: the client is usable as StepServices.http.
const _fits: (c: HttpClient) => StepServices['http'] = (c) => c;
void _fits;

async function readCapped(body: AsyncIterable<Buffer> & { destroy(): unknown }, cap: number): Promise<{ text: string; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const room = cap - size;
    if (chunk.length > room) {
      chunks.push(chunk.subarray(0, room));
      size = cap;
      body.destroy();
      return { text: decode(Buffer.concat(chunks), true), truncated: true };
    }
    chunks.push(chunk);
    size += chunk.length;
  }
  return { text: decode(Buffer.concat(chunks), false), truncated: false };
}

/** UTF-8; at a cut, a partial last character is dropped rather than shown as U+FFFD. */
function decode(buf: Buffer, cut: boolean): string {
  return new TextDecoder('utf-8').decode(buf, { stream: cut });
}

export function createHttpClient(policy: OutboundPolicy, options: HttpClientOptions = {}): HttpClient {
  const dispatcher = options.dispatcher ?? guardedAgent(policy, { keepAliveTimeout: 10_000, connections: 64 });
  const cap = options.maxBodyBytes ?? MAX_RESPONSE_BYTES;

  const client = async (req: HttpClientRequest): Promise<HttpClientResponse> => {
    const pre = checkUrl(policy, req.url);
    if (!pre.ok) throw new SsrfError(pre.reason);
    const timeoutMs = req.timeoutMs ?? options.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS;
    const signal = req.signal ? AbortSignal.any([req.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
    const headers: Record<string, string> = {};
    if (!Object.keys(req.headers).some((k) => k.toLowerCase() === 'user-agent')) headers['user-agent'] = USER_AGENT;
    Object.assign(headers, req.headers);
    const t0 = performance.now();
    const res = await request(req.url, {
      method: req.method.toUpperCase() as Dispatcher.HttpMethod,
      headers,
      ...(req.body !== undefined ? { body: req.body } : {}),
      dispatcher,
      signal,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const { text, truncated } = await readCapped(res.body, cap);
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
    const response: HttpClientResponse = { status: res.statusCode, headers: out, body: text, durationMs: Math.round(performance.now() - t0) };
    if (truncated) response.truncated = true;
    return response;
  };

  return Object.assign(client, {
    async close(): Promise<void> {
      if (!options.dispatcher) await dispatcher.close();
    },
  });
}
