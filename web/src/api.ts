/**
 * A typed fetch wrapper over Switchyard's public API (/api/v1), with the bearer token the user logged in with.
 * Every non-2xx answer throws an ApiError that carries the server's error body: `type` (a stable code, see
 * docs/errors.md), the gRPC `reason`, and the message in words (`detail`), so pages can show it as is.
 */
import type * as T from './types';

const TOKEN_KEY = 'switchyard.token';

export function getToken(): string | null {
  return localStorage.getItem(TOKEN_KEY);
}
export function setToken(token: string | null): void {
  if (token === null) localStorage.removeItem(TOKEN_KEY);
  else localStorage.setItem(TOKEN_KEY, token);
}

/** Listeners told when the server answers 401 (the token is unknown or revoked): auth.tsx sends the user to login. */
const unauthorizedListeners = new Set<() => void>();
export function onUnauthorized(fn: () => void): () => void {
  unauthorizedListeners.add(fn);
  return () => unauthorizedListeners.delete(fn);
}

export class ApiError extends Error {
  /** HTTP status (0: the server could not be reached). */
  readonly status: number;
  /** Switchyard's stable error code (`webhook_name_taken`, `invalid_url`, …), or `network` / `unknown`. */
  readonly type: string;
  /** The gRPC reason name (`InvalidArgument`, `NotFound`, …), when the server sent one. */
  readonly reason: string | undefined;
  /** The server's message: what is wrong and what to do. */
  readonly detail: string;
  constructor(status: number, type: string, detail: string, reason?: string) {
    super(detail);
    this.name = 'ApiError';
    this.status = status;
    this.type = type;
    this.detail = detail;
    this.reason = reason;
  }
  /** A short title for the error's kind, for alert headers. */
  get title(): string {
    if (this.status === 0) return 'Switchyard did not answer';
    if (this.status === 401) return 'Not logged in';
    if (this.status === 403) return 'Not allowed';
    if (this.status === 404) return 'Not found';
    if (this.status === 409) return 'Already exists';
    if (this.status === 429) return 'Too many requests';
    if (this.status >= 500) return 'Server error';
    return 'The request was refused';
  }
}

type Query = Record<string, string | number | boolean | undefined | null>;

function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

export async function request<R>(method: string, path: string, opts: { body?: unknown; query?: Query; token?: string } = {}): Promise<R> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = opts.token ?? getToken();
  if (token) headers.authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] = 'application/json';
  }
  let res: Response;
  try {
    res = await fetch(withQuery(`/api/v1${path}`, opts.query), { method, headers, body });
  } catch (e) {
    throw new ApiError(0, 'network', `Could not reach Switchyard (${(e as Error).message}). Is the server running?`);
  }
  const text = await res.text();
  let json: unknown = undefined;
  try { json = text ? JSON.parse(text) : undefined; } catch { /* not JSON: handled below */ }
  if (!res.ok) {
    const err = (json as { error?: { type?: string; error?: string; reason?: string } } | undefined)?.error;
    const e = err
      ? new ApiError(res.status, err.type ?? 'unknown', err.error ?? res.statusText, err.reason)
      : new ApiError(res.status, 'unknown', `HTTP ${res.status} ${res.statusText}${text ? `: ${text.slice(0, 300)}` : ''}`);
    if (res.status === 401 && !opts.token) for (const fn of unauthorizedListeners) fn();
    throw e;
  }
  return json as R;
}

const get = <R>(path: string, query?: Query) => request<R>('GET', path, { query });
const post = <R>(path: string, body?: unknown) => request<R>('POST', path, { body });

/** The API, one function per route the UI uses (docs/api.md). */
export const api = {
  // Webhooks (Determined's API plus extensions)
  listWebhooks: () => get<{ webhooks: T.Webhook[] }>('/webhooks'),
  getWebhook: (id: number) => get<{ webhook: T.Webhook }>(`/webhooks/${id}`),
  createWebhook: (body: T.WebhookInput) => post<{ webhook: T.Webhook }>('/webhooks', body),
  patchWebhook: (id: number, body: Partial<T.WebhookInput>) => request<object>('PATCH', `/webhooks/${id}`, { body }),
  deleteWebhook: (id: number) => request<object>('DELETE', `/webhooks/${id}`),
  testWebhook: (id: number) => post<{ completed: boolean }>(`/webhooks/${id}/test`),
  pauseWebhook: (id: number) => post<{ webhook: T.Webhook }>(`/webhooks/${id}/pause`),
  resumeWebhook: (id: number) => post<{ webhook: T.Webhook }>(`/webhooks/${id}/resume`),
  enableWebhook: (id: number) => post<{ webhook: T.Webhook }>(`/webhooks/${id}/enable`),
  webhookSecret: (id: number) => get<T.WebhookSecret>(`/webhooks/${id}/secret`),
  rotateWebhookSecret: (id: number, overlapSeconds?: number) =>
    post<T.WebhookSecret>(`/webhooks/${id}/rotate-secret`, overlapSeconds === undefined ? undefined : { overlapSeconds }),
  redeliverDead: (id: number) => post<{ redelivered: number; deliveryIds: number[] }>(`/webhooks/${id}/redeliver`),

  // Deliveries and attempts
  listDeliveries: (q: { webhookId?: number; status?: string; limit?: number; beforeId?: number }) =>
    get<{ deliveries: T.Delivery[] }>('/deliveries', q),
  getDelivery: (id: number) => get<{ delivery: T.DeliveryDetail; attempts: T.AttemptSummary[] }>(`/deliveries/${id}`),
  redeliver: (id: number) => post<{ delivery: T.Delivery }>(`/deliveries/${id}/redeliver`),
  listAttempts: (q: { webhookId?: number; deliveryId?: number; limit?: number; beforeId?: number }) =>
    get<{ attempts: T.Attempt[] }>('/attempts', q),
  outbox: () => get<T.Outbox>('/outbox'),

  // Experiments and workspaces
  listExperiments: (q: { limit?: number; offset?: number }) => get<{ experiments: T.Experiment[]; pagination: T.Pagination }>('/experiments', q),
  createExperiment: (body: T.ExperimentInput) => post<{ experiment: T.Experiment }>('/experiments', body),
  setExperimentState: (id: number, state: string) => post<{ experiment: T.Experiment; eventsFired: number }>(`/experiments/${id}/state`, { state }),
  listWorkspaces: () => get<{ workspaces: T.Workspace[] }>('/workspaces'),

  // Operations
  listAlerts: (q: { open?: boolean; limit?: number } = {}) => get<{ alerts: T.Alert[] }>('/alerts', q),
  acknowledgeAlert: (id: number) => post<object>(`/alerts/${id}/acknowledge`),
};
