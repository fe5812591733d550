/**
 * Builds a CaptureView from a request's parts (pure): what the catch hook stores and what tests and replays need.
 */
import type { CaptureView, FlowContext } from './types.js';

export interface CaptureParts {
  id?: number;
  method?: string;
  /** Path, optionally with `?query`. */
  url?: string;
  /** Headers in order; duplicates allowed. A record is taken in its key order. */
  headers?: [string, string][] | Record<string, string>;
  body?: string | Uint8Array;
  remoteAddress?: string;
  receivedAt?: string;
}

/** A CaptureView with lower-cased header names (duplicates joined with ", "), parsed query and JSON body. */
export function captureView(parts: CaptureParts): CaptureView {
  const url = parts.url ?? '/';
  const q = url.indexOf('?');
  const query = q >= 0 ? url.slice(q + 1) : '';
  const queryParams: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(query)) if (!(k in queryParams)) queryParams[k] = v;
  const rawHeaders: [string, string][] = Array.isArray(parts.headers) ? parts.headers.map(([k, v]) => [k, v])
    : Object.entries(parts.headers ?? {});
  const headers: Record<string, string> = {};
  for (const [k, v] of rawHeaders) {
    const lk = k.toLowerCase();
    headers[lk] = lk in headers ? `${headers[lk]}, ${v}` : v;
  }
  const bytes = typeof parts.body === 'string' ? Buffer.from(parts.body, 'utf8') : Buffer.from(parts.body ?? new Uint8Array());
  const body = bytes.toString('utf8');
  let json: unknown = null;
  try {
    json = body === '' ? null : (JSON.parse(body) as unknown);
  } catch {
    json = null;
  }
  return {
    id: parts.id ?? 1,
    method: (parts.method ?? 'POST').toUpperCase(),
    path: q >= 0 ? url.slice(0, q) : url,
    query,
    queryParams,
    rawHeaders,
    headers,
    body,
    bodyBase64: bytes.toString('base64'),
    json,
    contentType: headers['content-type'] ?? null,
    remoteAddress: parts.remoteAddress ?? '127.0.0.1',
    receivedAt: parts.receivedAt ?? new Date(0).toISOString(),
  };
}

/** A run context over a capture, with the given step outputs. */
export function flowContext(capture: CaptureView, steps: Record<string, unknown> = {}, flow = { id: 1, name: 'flow' }, runId = 1): FlowContext {
  return { capture, steps, flow, run: { id: runId } };
}
