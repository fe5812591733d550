/**
 * The receiver's part of the API (flows, captures, runs, secrets, tokens, the signing key, alert channels, SMTP
 * settings), beside api.ts so that both grow without conflicts. Same client: failures throw ApiError.
 */
import { ApiError, request } from './api';
import type * as R from './types-receiver';

type Query = Record<string, string | number | boolean | undefined | null>;
const get = <T>(path: string, query?: Query) => request<T>('GET', path, { query });
const post = <T>(path: string, body?: unknown) => request<T>('POST', path, { body });
const put = <T>(path: string, body?: unknown) => request<T>('PUT', path, { body });
const del = <T>(path: string) => request<T>('DELETE', path);

/**
 * Whether an error says the server has no such route (an older server, before alert channels, SMTP settings or test
 * step existed): a 404 with the generic `not_found` type, not a resource's `*_not_found`.
 */
export function isMissingRoute(e: unknown): boolean {
  return e instanceof ApiError && e.status === 404 && (e.type === 'not_found' || e.type === 'unknown');
}

/** The problems of an `invalid_flow` error, one per entry (`steps[1].config.to: must be …`), as the CLI splits them. */
export function flowProblems(e: unknown): { path: string; message: string }[] {
  if (!(e instanceof ApiError) || e.type !== 'invalid_flow') return [];
  const body = e.detail.replace(/^the (flow|step) has \d+ problems?: /, '');
  return body
    .split(/; (?=(?:\(root\)|[A-Za-z_$][\w$-]*(?:\[\d+\]|\.[\w$-]+)*): )/)
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map((p) => {
      const m = /^((?:\(root\)|[A-Za-z_$][\w$-]*(?:\[\d+\]|\.[\w$-]+|\["[^"]*"\])*)): (.*)$/s.exec(p);
      return m ? { path: m[1]!, message: m[2]! } : { path: '(root)', message: p };
    });
}

export const rapi = {
  // Flows
  listFlows: () => get<{ flows: R.Flow[] }>('/flows'),
  getFlow: (id: number) => get<{ flow: R.Flow }>(`/flows/${id}`),
  createFlow: (def: Partial<R.FlowDefinition> & { name: string }) => post<{ flow: R.Flow }>('/flows', { steps: [], ...def }),
  importFlow: (def: unknown) => post<{ flow: R.Flow }>('/flows/import', def),
  exportFlow: (id: number) => get<R.FlowDefinition>(`/flows/${id}/export`),
  validateFlow: (def: unknown) => post<{ valid: boolean }>('/flows/validate', def),
  putFlow: (id: number, def: R.FlowDefinition) => put<{ flow: R.Flow }>(`/flows/${id}`, def),
  patchFlow: (id: number, patch: Partial<R.FlowDefinition>) => request<{ flow: R.Flow }>('PATCH', `/flows/${id}`, { body: patch }),
  deleteFlow: (id: number) => del<object>(`/flows/${id}`),
  setFlowEnabled: (id: number, on: boolean) => post<{ flow: R.Flow }>(`/flows/${id}/${on ? 'enable' : 'disable'}`),
  rotateFlowKey: (id: number) => post<{ flow: R.Flow }>(`/flows/${id}/rotate-key`),
  testStep: (id: number, body: { stepId?: string; step?: R.Step; captureId?: number; steps?: Record<string, unknown> }) =>
    post<{ result: R.TestStepResult }>(`/flows/${id}/test-step`, body),

  // Captures (Test Trigger)
  listCaptures: (flowId: number, q: { limit?: number; beforeId?: number } = {}) => get<{ captures: R.Capture[] }>(`/flows/${flowId}/captures`, q),
  getCapture: (flowId: number, cid: number) => get<{ capture: R.Capture }>(`/flows/${flowId}/captures/${cid}`),
  setSample: (flowId: number, captureId: number) => post<{ flow: R.Flow }>(`/flows/${flowId}/sample`, { captureId }),
  runCapture: (flowId: number, cid: number) => post<{ run: R.Run }>(`/flows/${flowId}/captures/${cid}/run`),

  // Runs
  listRuns: (q: { flowId?: number; status?: string; limit?: number; beforeId?: number }) => get<{ runs: R.Run[] }>('/runs', q),
  getRun: (id: number) => get<{ run: R.Run }>(`/runs/${id}`),
  replayRun: (id: number, fromStep?: string) => post<{ run: R.Run }>(`/runs/${id}/replay`, fromStep ? { fromStep } : {}),

  // Secrets
  listSecrets: () => get<{ secrets: R.Secret[] }>('/secrets'),
  putSecret: (name: string, value: string) => put<object>(`/secrets/${encodeURIComponent(name)}`, { value }),
  deleteSecret: (name: string) => del<object>(`/secrets/${encodeURIComponent(name)}`),

  // API tokens and the signing key (admin only)
  listTokens: () => get<{ tokens: R.ApiToken[] }>('/tokens'),
  createToken: (name: string, role: 'admin' | 'user') => post<{ token: R.ApiToken; secret: string }>('/tokens', { name, role }),
  revokeToken: (id: number) => del<object>(`/tokens/${id}`),
  signingKey: () => get<{ signingKey: string }>('/keys/signing'),

  // Alerts, alert channels, SMTP settings
  listAlerts: (q: { open?: boolean; limit?: number } = {}) => get<{ alerts: R.AlertWithNotifications[] }>('/alerts', q),
  acknowledgeAlert: (id: number) => post<object>(`/alerts/${id}/acknowledge`),
  listChannels: () => get<{ channels: R.AlertChannel[] }>('/alert-channels'),
  createChannel: (c: R.AlertChannelInput) => post<{ channel: R.AlertChannel }>('/alert-channels', c),
  updateChannel: (id: number, c: Partial<R.AlertChannelInput>) => request<{ channel: R.AlertChannel }>('PATCH', `/alert-channels/${id}`, { body: c }),
  deleteChannel: (id: number) => del<object>(`/alert-channels/${id}`),
  testChannel: (id: number) => post<{ ok: boolean }>(`/alert-channels/${id}/test`),
  getSmtp: () => get<{ smtp: R.SmtpSettings }>('/settings/smtp'),
  putSmtp: (s: R.SmtpInput) => put<{ smtp: R.SmtpSettings }>('/settings/smtp', s),
  deleteSmtp: () => del<{ smtp: R.SmtpSettings }>('/settings/smtp'),
  testSmtp: (to: string) => post<{ ok: boolean; messageId: string }>('/settings/smtp/test', { to }),
};
