/** How steps and templates see a captured request (see CaptureView in src/core/flow/types.ts). */
import type { CaptureView } from '../core/flow/types.js';
import type { CaptureInput } from '../store/store.js';

/**
 * Defines `name` on `o` as computed on first read (then a plain property): most runs read a few fields of the
 * capture, and its base64 body, parsed JSON or query parameters cost more than the rest of the view together.
 * Enumerable, so JSON, spreads and structured clones see the values as if they were plain properties.
 */
function lazy<T extends object, K extends keyof T>(o: T, name: K, compute: () => T[K]): void {
  const settle = (value: T[K]) => {
    Object.defineProperty(o, name, { value, enumerable: true, writable: true, configurable: true });
    return value;
  };
  Object.defineProperty(o, name, { get: () => settle(compute()), set: settle, enumerable: true, configurable: true });
}

export function captureView(c: CaptureInput & { id: number }): CaptureView {
  const headers: Record<string, string> = {};
  for (const [name, value] of c.rawHeaders) {
    const k = name.toLowerCase();
    headers[k] = k in headers ? `${headers[k]}, ${value}` : value;
  }
  const body = c.body.toString('utf8');
  const view = {
    id: c.id, method: c.method, path: c.path, query: c.query, queryParams: {}, rawHeaders: c.rawHeaders, headers, body,
    bodyBase64: '', json: null, contentType: c.contentType, remoteAddress: c.remoteAddress,
    receivedAt: new Date(c.receivedAt).toISOString(),
  } as CaptureView;
  lazy(view, 'queryParams', () => {
    const queryParams: Record<string, string> = {};
    if (c.query !== '') for (const [k, v] of new URLSearchParams(c.query)) if (!(k in queryParams)) queryParams[k] = v;
    return queryParams;
  });
  lazy(view, 'bodyBase64', () => c.body.toString('base64'));
  lazy(view, 'json', () => {
    if (body.length > 0 && /^\s*[[{"\d\-tfn]/.test(body)) {
      try { return JSON.parse(body) as unknown; } catch { return null; }
    }
    return null;
  });
  return view;
}

/** The JSON view of a capture for the API (Test Trigger): raw headers in order, the body as text and base64. */
export function captureApiView(c: CaptureInput & { id: number; status: string }) {
  const text = c.body.toString('utf8');
  const isText = Buffer.from(text, 'utf8').equals(c.body);
  return {
    id: c.id, flowId: c.flowId, status: c.status, method: c.method, path: c.path, query: c.query,
    headers: c.rawHeaders.map(([name, value]) => ({ name, value })),
    contentType: c.contentType, size: c.body.length, body: isText ? text : null, bodyBase64: c.body.toString('base64'),
    remoteAddress: c.remoteAddress, receivedAt: new Date(c.receivedAt).toISOString(),
  };
}
