/** How steps and templates see a captured request (see CaptureView in src/core/flow/types.ts). */
import type { CaptureView } from '../core/flow/types.js';
import type { CaptureInput } from '../store/store.js';

export function captureView(c: CaptureInput & { id: number }): CaptureView {
  const headers: Record<string, string> = {};
  for (const [name, value] of c.rawHeaders) {
    const k = name.toLowerCase();
    headers[k] = k in headers ? `${headers[k]}, ${value}` : value;
  }
  const queryParams: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(c.query)) if (!(k in queryParams)) queryParams[k] = v;
  const body = c.body.toString('utf8');
  let json: unknown = null;
  if (body.length > 0 && /^\s*[[{"\d\-tfn]/.test(body)) {
    try { json = JSON.parse(body); } catch { json = null; }
  }
  return {
    id: c.id, method: c.method, path: c.path, query: c.query, queryParams, rawHeaders: c.rawHeaders, headers, body,
    bodyBase64: c.body.toString('base64'), json, contentType: c.contentType, remoteAddress: c.remoteAddress,
    receivedAt: new Date(c.receivedAt).toISOString(),
  };
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
