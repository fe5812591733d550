/**
 * Shared by the bad-input suites (test/api/bad-input-*.test.ts): a seeded real server, a checker that asserts the
 * error contract on every response, and a snapshot of everything the API can show, to prove no bad request wrote.
 *
 * The error contract: a 4xx (never 5xx) whose body is exactly
 * `{"error":{"code":<int>,"reason":<string>,"error":<non-empty message>,"type":<key of ERROR_TYPES>}}`, with code,
 * reason and HTTP status all those ERROR_TYPES[type] prescribes.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { ERROR_TYPES, GRPC, type ErrorType } from '../../src/http/errors.js';
import { startSink, startTestServer, drained, ADMIN_TOKEN, type ApiResponse, type Sink, type TestServer } from '../helpers/harness.js';

export const API = '/api/v1';

/** What a bad request must produce, beyond the contract every error meets. */
export interface Want {
  status?: number;
  type?: ErrorType | readonly ErrorType[];
  /** The message must match (say what to fix). */
  match?: RegExp;
}

export interface BadRequest {
  label: string;
  method: string;
  path: string;
  body?: unknown;
  /** Sent as is (no JSON encoding), with Content-Type: application/json unless headers say otherwise. */
  raw?: string;
  token?: string | null;
  headers?: Record<string, string>;
  want?: Want;
}

/** Checks the error contract of one response; returns the problems found (empty = fine). */
export function contractProblems(status: number, text: string, want: Want = {}): string[] {
  const p: string[] = [];
  if (status < 400 || status > 499) p.push(`status ${status} is not a 4xx`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return [...p, `body is not JSON: ${text.slice(0, 200)}`];
  }
  const outer = body as Record<string, unknown>;
  if (typeof outer !== 'object' || outer === null || Array.isArray(outer) || Object.keys(outer).join() !== 'error') {
    return [...p, `body is not {"error": …}: ${text.slice(0, 200)}`];
  }
  const e = outer.error as Record<string, unknown>;
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return [...p, `error is not an object: ${text.slice(0, 200)}`];
  const keys = Object.keys(e).sort().join();
  if (keys !== 'code,error,reason,type') p.push(`error has keys ${keys}, want code,error,reason,type`);
  const type = e.type as string;
  if (typeof type !== 'string' || !Object.hasOwn(ERROR_TYPES, type)) {
    p.push(`type ${JSON.stringify(type)} is not a key of ERROR_TYPES`);
  } else {
    const k = ERROR_TYPES[type as ErrorType];
    if (e.reason !== k.reason) p.push(`reason ${String(e.reason)} != ${k.reason} (of type ${type})`);
    if (e.code !== GRPC[k.reason]) p.push(`code ${String(e.code)} != ${GRPC[k.reason]} (${k.reason})`);
    if (status !== k.http) p.push(`HTTP ${status} != ${k.http} (of type ${type})`);
  }
  if (!Number.isInteger(e.code)) p.push(`code ${String(e.code)} is not an integer`);
  if (typeof e.reason !== 'string') p.push('reason is not a string');
  if (typeof e.error !== 'string' || e.error.trim() === '') p.push('error message is empty or not a string');
  if (want.status !== undefined && status !== want.status) p.push(`status ${status}, want ${want.status}`);
  if (want.type !== undefined) {
    const types = typeof want.type === 'string' ? [want.type] : want.type;
    if (!types.includes(type as ErrorType)) p.push(`type ${type}, want ${types.join(' | ')}`);
  }
  if (want.match && !(typeof e.error === 'string' && want.match.test(e.error))) {
    p.push(`message ${JSON.stringify(e.error)} does not match ${String(want.match)}`);
  }
  return p;
}

/** Sends bad requests, checks each against the contract, and collects every problem (reported all at once). */
export class Checker {
  readonly problems: string[] = [];
  sent = 0;
  constructor(private readonly s: TestServer) {}

  async send(r: BadRequest): Promise<ApiResponse> {
    const headers = { ...r.headers };
    if (r.raw !== undefined) headers['content-type'] ??= 'application/json';
    const res = await this.s.api(r.method, r.path, r.body, { token: r.token, raw: r.raw, headers });
    this.sent++;
    for (const p of contractProblems(res.status, res.text, r.want)) this.problems.push(`${r.label} [${r.method} ${r.path.slice(0, 80)}]: ${p}`);
    return res;
  }

  async all(rs: readonly BadRequest[], parallel = 8): Promise<void> {
    for (let i = 0; i < rs.length; i += parallel) await Promise.all(rs.slice(i, i + parallel).map((r) => this.send(r)));
  }

  /** Fails listing every problem seen so far. */
  assertClean(): void {
    assert.ok(this.problems.length === 0, `${this.problems.length} of ${this.sent} bad requests broke the error contract:\n  ${this.problems.slice(0, 60).join('\n  ')}`);
  }
}

/** A raw HTTP/1.1 exchange over a socket, for requests fetch() will not send. */
export function rawHttp(s: TestServer, text: string): Promise<{ status: number; body: string }> {
  const u = new URL(s.url);
  return new Promise((resolve, reject) => {
    const c = net.connect(Number(u.port), u.hostname, () => c.end(text));
    let out = '';
    c.setEncoding('utf8');
    c.on('data', (d: string) => { out += d; });
    c.on('error', reject);
    c.on('close', () => {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(out);
      resolve({ status: m ? Number(m[1]) : 0, body: out.slice(out.indexOf('\r\n\r\n') + 4) });
    });
  });
}

export interface Seeded {
  s: TestServer;
  sink: Sink;
  workspaceId: number;
  /** Global, DEFAULT, WORKSPACE mode, state-change trigger, Standard Webhooks on; name "global-hook". */
  globalHook: number;
  /** Workspace, SLACK, SPECIFIC mode, CUSTOM + TASK_LOG triggers, Standard Webhooks on; name "ws-hook". */
  wsHook: number;
  /** Global, TASK_LOG `(a+)+$` and `OOM-KILL`, determined signing only; name "global-c". */
  logHook: number;
  /** Workspace, points at a closed port (test sends fail); name "down-hook". */
  downHook: number;
  /** Workspace, its endpoint answers 500 (test sends fail); name "failing-hook". */
  failHook: number;
  activeExp: number;
  completedExp: number;
  userToken: string;
  userTokenId: number;
  revokedToken: string;
  deliveryId: number;
  stop(): Promise<void>;
}

async function ok<T = any>(s: TestServer, method: string, path: string, body?: unknown): Promise<T> {
  const r = await s.api<T>(method, path, body);
  assert.equal(r.status, 200, `seed ${method} ${path}: ${r.status} ${r.text}`);
  return r.body;
}

/** A server with one of everything, a few deliveries, a user token and a revoked one. */
export async function seed(): Promise<Seeded> {
  const sink = await startSink();
  sink.respond((r) => (r.path === '/fail' ? 500 : 200));
  const s = await startTestServer();
  const esc = (state: string) => ({ triggerType: 'TRIGGER_TYPE_EXPERIMENT_STATE_CHANGE', condition: { state } });
  const ws = (await ok(s, 'POST', `${API}/workspaces`, { name: 'team-a' })).workspace.id as number;
  const globalHook = (await ok(s, 'POST', `${API}/webhooks`, {
    url: `${sink.url}/global`, name: 'global-hook', triggers: [esc('COMPLETED')], signatureSchemes: ['determined', 'standard'],
  })).webhook.id as number;
  const wsHook = (await ok(s, 'POST', `${API}/webhooks`, {
    url: `${sink.url}/ws`, name: 'ws-hook', workspaceId: ws, webhookType: 'WEBHOOK_TYPE_SLACK', mode: 'WEBHOOK_MODE_SPECIFIC',
    signatureSchemes: ['standard'],
    triggers: [{ triggerType: 'TRIGGER_TYPE_CUSTOM', condition: {} }, { triggerType: 'TRIGGER_TYPE_TASK_LOG', condition: { regex: 'CUDA out of memory' } }],
  })).webhook.id as number;
  // A catastrophic-backtracking pattern for a backtracking engine: RE2 is linear, so it is accepted.
  const logHook = (await ok(s, 'POST', `${API}/webhooks`, {
    url: `${sink.url}/logs`, name: 'global-c',
    triggers: [{ triggerType: 'TRIGGER_TYPE_TASK_LOG', condition: { regex: '(a+)+$' } }, { trigger_type: 3, condition: { regex: 'OOM-KILL' } }],
  })).webhook.id as number;
  const downHook = (await ok(s, 'POST', `${API}/webhooks`, {
    url: 'http://127.0.0.1:1/down', name: 'down-hook', workspaceId: ws, triggers: [esc('ERROR')],
  })).webhook.id as number;
  const failHook = (await ok(s, 'POST', `${API}/webhooks`, {
    url: `${sink.url}/fail`, name: 'failing-hook', workspace_id: ws, triggers: [esc('ERROR')],
  })).webhook.id as number;
  const activeExp = (await ok(s, 'POST', `${API}/experiments`, {
    name: 'active', workspace: 'team-a', integrations: { webhooks: { webhook_name: ['ws-hook'] } },
  })).experiment.id as number;
  const completedExp = (await ok(s, 'POST', `${API}/experiments`, { name: 'done' })).experiment.id as number;
  // The proto name of a state is accepted too.
  const st = await ok(s, 'POST', `${API}/experiments/${completedExp}/state`, { state: 'STATE_COMPLETED' });
  assert.equal(st.experiment.state, 'STATE_COMPLETED');
  assert.equal(st.eventsFired, 1);
  await ok(s, 'POST', `${API}/webhooks/custom`, { data: { title: 't', level: 'LOG_LEVEL_INFO' }, experimentId: activeExp });
  await ok(s, 'POST', `${API}/task/logs`, { logs: [{ taskId: 'seed-task', agentId: 'agent-1', log: 'OOM-KILL at step 3' }] });
  const user = await ok(s, 'POST', `${API}/tokens`, { name: 'a user', role: 'user' });
  const revoked = await ok(s, 'POST', `${API}/tokens`, { name: 'to revoke', role: 'admin' });
  await ok(s, 'DELETE', `${API}/tokens/${revoked.token.id}`);
  await drained(s);
  const deliveries = (await ok(s, 'GET', `${API}/deliveries`)).deliveries as { id: number; status: string }[];
  assert.equal(deliveries.length, 3, 'seed: one state-change, one custom and one task-log delivery');
  assert.ok(deliveries.every((d) => d.status === 'delivered'), JSON.stringify(deliveries));
  return {
    s, sink, workspaceId: ws, globalHook, wsHook, logHook, downHook, failHook, activeExp, completedExp,
    userToken: user.secret, userTokenId: user.token.id, revokedToken: revoked.secret, deliveryId: deliveries[0]!.id,
    async stop() {
      await s.stop();
      await sink.close();
    },
  };
}

export interface Snapshot {
  counts: { webhooks: number; triggers: number; experiments: number; workspaces: number; tokens: number; deliveries: number };
  detail: unknown;
}

/** Everything the API shows that a write could change (token last-use times and delivery progress left out). */
export async function snapshot(s: TestServer): Promise<Snapshot> {
  const get = async (path: string) => {
    const r = await s.api('GET', `${API}${path}`, undefined, { token: ADMIN_TOKEN });
    assert.equal(r.status, 200, `snapshot GET ${path}: ${r.status} ${r.text}`);
    return r.body;
  };
  const webhooks = (await get('/webhooks')).webhooks as { id: number; triggers: unknown[]; signatureSchemes: string[] }[];
  const exps = await get('/experiments?limit=1000');
  const workspaces = (await get('/workspaces')).workspaces as unknown[];
  const tokens = ((await get('/tokens')).tokens as { id: number; name: string; role: string; revokedAt: string | null }[])
    .map((t) => ({ id: t.id, name: t.name, role: t.role, revokedAt: t.revokedAt }));
  const deliveries = ((await get('/deliveries?limit=1000')).deliveries as { id: number; eventId: string; url: string }[])
    .map((d) => ({ id: d.id, eventId: d.eventId, url: d.url }));
  const secrets: unknown[] = [];
  for (const w of webhooks) if (w.signatureSchemes.includes('standard')) secrets.push(await get(`/webhooks/${w.id}/secret`));
  const byId = await Promise.all(webhooks.map((w) => get(`/webhooks/${w.id}`)));
  return {
    counts: {
      webhooks: webhooks.length, triggers: webhooks.reduce((n, w) => n + w.triggers.length, 0),
      experiments: exps.pagination.total, workspaces: workspaces.length, tokens: tokens.length, deliveries: deliveries.length,
    },
    detail: { webhooks, byId, experiments: exps.experiments, workspaces, tokens, deliveries, secrets, signingKey: await get('/keys/signing') },
  };
}

/** Asserts that nothing the API shows changed, and that the server still answers. */
export async function assertUnchanged(s: TestServer, before: Snapshot): Promise<void> {
  const health = await fetch(`${s.url}/health`);
  assert.equal(health.status, 200);
  const after = await snapshot(s);
  assert.deepEqual(after.counts, before.counts, 'a bad request changed what is stored (counts)');
  assert.deepEqual(after.detail, before.detail, 'a bad request changed what is stored (contents)');
}

/** A valid webhook body (workspace webhook, SPECIFIC, one trigger of each kind but METRIC); mutate it to make bad ones. */
export function validWebhook(sinkUrl: string, workspaceId: number): Record<string, unknown> {
  return {
    url: `${sinkUrl}/new`, webhookType: 'WEBHOOK_TYPE_DEFAULT', name: 'brand-new', workspaceId, mode: 'WEBHOOK_MODE_SPECIFIC',
    signatureSchemes: ['determined'],
    triggers: [
      { triggerType: 'TRIGGER_TYPE_EXPERIMENT_STATE_CHANGE', condition: { state: 'COMPLETED' } },
      { triggerType: 'TRIGGER_TYPE_TASK_LOG', condition: { regex: 'error: .*' } },
      { triggerType: 'TRIGGER_TYPE_CUSTOM', condition: {} },
    ],
  };
}

/** Every route of the API with a method, for the auth sweep (ids filled from the seed). */
export function allRoutes(d: Seeded): { method: string; path: string }[] {
  return [
    ['GET', '/webhooks'], ['POST', '/webhooks'], ['GET', `/webhooks/${d.globalHook}`], ['PATCH', `/webhooks/${d.globalHook}`],
    ['DELETE', `/webhooks/${d.globalHook}`], ['POST', `/webhooks/${d.globalHook}/test`], ['POST', '/webhooks/custom'],
    ['GET', `/webhooks/${d.globalHook}/secret`], ['POST', `/webhooks/${d.globalHook}/rotate-secret`],
    ['GET', '/experiments'], ['POST', '/experiments'], ['GET', `/experiments/${d.activeExp}`],
    ['POST', `/experiments/${d.activeExp}/state`], ['POST', '/task/logs'], ['GET', '/workspaces'], ['POST', '/workspaces'],
    ['GET', '/tokens'], ['POST', '/tokens'], ['DELETE', `/tokens/${d.userTokenId}`], ['GET', '/keys/signing'],
    ['GET', '/master/config'], ['GET', '/deliveries'], ['GET', `/deliveries/${d.deliveryId}`],
  ].map(([method, path]) => ({ method: method!, path: `${API}${path!}` }));
}
