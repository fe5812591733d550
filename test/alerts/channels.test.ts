/**
 * Alert channels with a real server, a real SMTP server (smtp-server) and real HTTP sinks: CRUD with secrets that
 * never come back, bad input answering 4xx, routing of raised alerts (filters included) through the outbox, retries on
 * alerts.retry_schedule_seconds driven by the fake clock, and the test endpoint.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSink, startTestServer, type Sink, type TestServer, until as waitUntil } from '../helpers/harness.js';
import { startSmtpSink } from '../helpers/smtp.js';
import { FakeClock } from '../helpers/fake-clock.js';
import type { AlertInput } from '../../src/store/store.js';

let s: TestServer;
let sink: Sink;
let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
const clock = new FakeClock();

before(async () => {
  sink = await startSink();
  smtp = await startSmtpSink();
  s = await startTestServer({
    clock,
    env: { SWITCHYARD_SMTP_HOST: '127.0.0.1', SWITCHYARD_SMTP_PORT: String(smtp.port) },
    patch: (c) => { c.alerts.retry_schedule_seconds = [10, 60]; },
  });
});
after(async () => { await s.stop(); await sink.close(); await smtp.close(); });

async function raise(a: Partial<AlertInput> & { title: string }) {
  const alert = await s.running.ctx.store.raiseAlert({
    kind: 'flow.alert', severity: 'warning', webhookId: null, deliveryId: null, message: `message of ${a.title}`, ...a,
  }, clock.now());
  s.running.ctx.alerting.notifier.wake();
  return alert;
}

/** The harness's until, with the description first. */
const until = <T>(what: string, fn: () => Promise<T | undefined | null | false>, ms = 8000): Promise<T> => waitUntil(fn, what, ms);

const notifications = async (alertId: number) => (await s.api('GET', `/api/v1/alerts/${alertId}`)).body.alert.notifications as any[];

async function deleteAll() {
  for (const c of (await s.api('GET', '/api/v1/alert-channels')).body.channels) await s.api('DELETE', `/api/v1/alert-channels/${c.id}`);
}

test('CRUD: secrets (Slack URL, HTTP header values) are never returned; PATCH keeps them; names are unique', async () => {
  const slackUrl = `${sink.url}/services/T000/B000/very-secret-slack-token`;
  const slack = await s.api('POST', '/api/v1/alert-channels', { name: 'slack', kind: 'slack', config: { url: slackUrl } });
  assert.equal(slack.status, 200, slack.text);
  assert.ok(!slack.text.includes('very-secret-slack-token'), slack.text);
  assert.equal(slack.body.channel.config.url, `${sink.url}/…(redacted)`);
  const http = await s.api('POST', '/api/v1/alert-channels', {
    name: 'pager', kind: 'HTTP', config: { url: `${sink.url}/pager`, headers: { Authorization: 'Bearer hunter2-secret' } },
    filter: { severities: ['Error'] },
  });
  assert.equal(http.status, 200, http.text);
  assert.deepEqual(http.body.channel.config, { url: `${sink.url}/pager`, method: 'POST', headers: { Authorization: '(redacted)' } });
  assert.deepEqual(http.body.channel.filter, { severities: ['error'] });
  const list = await s.api('GET', '/api/v1/alert-channels');
  assert.deepEqual(list.body.channels.map((c: any) => c.name), ['slack', 'pager']);
  assert.ok(!list.text.includes('very-secret-slack-token') && !list.text.includes('hunter2'), list.text);

  const renamed = await s.api('PATCH', `/api/v1/alert-channels/${slack.body.channel.id}`, { name: 'slack-ops', enabled: false });
  assert.equal(renamed.status, 200, renamed.text);
  assert.equal(renamed.body.channel.enabled, false);
  const stored = await s.running.ctx.store.getAlertChannel(slack.body.channel.id);
  assert.equal(stored!.secret!.url, slackUrl, 'the Slack URL survives an update that does not give it');

  const dup = await s.api('POST', '/api/v1/alert-channels', { name: 'pager', kind: 'email', config: { to: ['a@example.com'] } });
  assert.equal(dup.status, 409);
  assert.equal(dup.body.error.type, 'alert_channel_name_taken');
  assert.equal((await s.api('GET', '/api/v1/alert-channels/999')).body.error.type, 'alert_channel_not_found');
  assert.equal((await s.api('DELETE', '/api/v1/alert-channels/999')).status, 404);
  assert.equal((await s.api('DELETE', `/api/v1/alert-channels/${http.body.channel.id}`)).status, 200);
  assert.equal((await s.api('GET', `/api/v1/alert-channels/${http.body.channel.id}`)).status, 404);
  await deleteAll();
});

test('bad channel input answers 400 with a stable type and a message naming the field', async () => {
  const cases: [unknown, string, RegExp][] = [
    [{ kind: 'email', config: { to: ['a@example.com'] } }, 'invalid_argument', /channel\.name is required/],
    [{ name: 'x', kind: 'pigeon', config: {} }, 'invalid_argument', /channel\.kind must be one of email, slack, http/],
    [{ name: 'x', kind: 'email' }, 'invalid_argument', /channel\.config is required/],
    [{ name: 'x', kind: 'email', config: { to: ['not-an-address'] } }, 'invalid_argument', /channel\.config\.to\[0\]: "not-an-address" is not an email address/],
    [{ name: 'x', kind: 'email', config: { to: [] } }, 'invalid_argument', /at least one email address/],
    [{ name: 'x', kind: 'slack', config: { url: 'ftp://example.com/x' } }, 'invalid_url', /http or https/],
    [{ name: 'x', kind: 'slack', config: { url: 'not a url' } }, 'invalid_url', /not an absolute URL/],
    [{ name: 'x', kind: 'http', config: { url: 'http://169.254.169.254/latest/meta-data' } }, 'invalid_url', /SSRF guard/],
    [{ name: 'x', kind: 'http', config: { url: 'https://example.com', method: 'GET' } }, 'invalid_argument', /method must be POST or PUT/],
    [{ name: 'x', kind: 'http', config: { url: 'https://example.com', headers: { 'Bad Header': 'v' } } }, 'invalid_argument', /not a valid header name/],
    [{ name: 'x', kind: 'http', config: { url: 'https://example.com', headers: { X: 'a\r\nInjected: 1' } } }, 'invalid_argument', /without line breaks/],
    [{ name: 'x', kind: 'email', config: { to: ['a@example.com'], cc: [] } }, 'unknown_field', /channel\.config has an unknown field "cc"/],
    [{ name: 'x', kind: 'email', config: { to: ['a@example.com'] }, filter: { kinds: ['nope'] } }, 'invalid_argument', /"nope" is not an alert kind/],
    [{ name: 'x', kind: 'email', config: { to: ['a@example.com'] }, filter: { severities: ['fatal'] } }, 'invalid_argument', /"fatal" is not a severity/],
    [{ name: 'x', kind: 'email', config: { to: ['a@example.com'] }, colour: 'red' }, 'unknown_field', /unknown field "colour"/],
    ['just a string', 'invalid_argument', /must be a JSON object/],
  ];
  for (const [body, type, message] of cases) {
    const r = await s.api('POST', '/api/v1/alert-channels', body);
    assert.ok(r.status >= 400 && r.status < 500, `${JSON.stringify(body)}: ${r.status} ${r.text}`);
    assert.equal(r.body.error.type, type, `${JSON.stringify(body)}: ${r.text}`);
    assert.match(r.body.error.error, message, JSON.stringify(body));
  }
  assert.equal((await s.api('GET', '/api/v1/alert-channels')).body.channels.length, 0, 'nothing was created');
  // A user token may read channels but not change them.
  const user = (await s.api('POST', '/api/v1/tokens', { name: 'u', role: 'user' })).body.secret as string;
  const denied = await s.api('POST', '/api/v1/alert-channels', { name: 'x', kind: 'email', config: { to: ['a@example.com'] } }, { token: user });
  assert.equal(denied.status, 403);
  assert.equal(denied.body.error.type, 'permission_denied');
  assert.equal((await s.api('GET', '/api/v1/alert-channels', undefined, { token: user })).status, 200);
});

test('a raised alert goes to every channel whose filter it passes: email (real SMTP), Slack and HTTP', async () => {
  await deleteAll();
  const before = smtp.mails.length;
  const mk = async (body: unknown) => {
    const r = await s.api('POST', '/api/v1/alert-channels', body);
    assert.equal(r.status, 200, r.text);
    return r.body.channel.id as number;
  };
  const email = await mk({ name: 'mail', kind: 'email', config: { to: 'ops@example.com, oncall@example.com' } });
  const slack = await mk({ name: 'slack', kind: 'slack', config: { url: `${sink.url}/slack-hook` }, filter: { names: ['signature check failed'] } });
  const http = await mk({ name: 'http', kind: 'http', config: { url: `${sink.url}/alerts-in`, headers: { 'X-Token': 't0ken' } }, filter: { severities: ['error'] } });
  await mk({ name: 'off', kind: 'http', enabled: false, config: { url: `${sink.url}/never` } });

  const a = await raise({ title: 'signature check failed', severity: 'error', message: 'capture 7: the body was altered' });
  const ns = await until('three notifications sent', async () => {
    const n = await notifications(a.id);
    return n.length === 3 && n.every((x) => x.status === 'sent') && n;
  });
  assert.deepEqual(ns.map((n) => n.channelId).sort(), [email, slack, http].sort());
  assert.deepEqual(new Set(ns.map((n) => n.channel)), new Set(['mail', 'slack', 'http']));
  const [mail] = (await smtp.waitFor(before + 1)).slice(before);
  assert.equal(mail!.subject, '[Switchyard] ERROR: signature check failed');
  assert.deepEqual(mail!.to.sort(), ['oncall@example.com', 'ops@example.com']);
  assert.match(mail!.body, /capture 7: the body was altered/);
  const [slackReq] = sink.byPath('/slack-hook');
  assert.match(JSON.parse(slackReq!.text).text, /^\*ERROR: signature check failed\*\ncapture 7: the body was altered/);
  const [httpReq] = sink.byPath('/alerts-in');
  assert.equal(httpReq!.headers['x-token'], 't0ken');
  const payload = JSON.parse(httpReq!.text);
  assert.equal(payload.type, 'switchyard.alert');
  assert.deepEqual({ id: payload.alert.id, severity: payload.alert.severity, title: payload.alert.title }, { id: a.id, severity: 'error', title: 'signature check failed' });
  assert.equal(sink.byPath('/never').length, 0, 'a disabled channel gets nothing');

  // A warning named differently passes only the unfiltered email channel.
  const b = await raise({ title: 'something else', severity: 'warning' });
  const nb = await until('one notification', async () => { const n = await notifications(b.id); return n.length === 1 && n[0].status === 'sent' && n; });
  assert.equal(nb[0].channelId, email);
  // The list shows notifications per alert too.
  const listed = (await s.api('GET', '/api/v1/alerts?limit=10')).body.alerts.find((x: any) => x.id === a.id);
  assert.equal(listed.notifications.length, 3);
  // A repeat counted into the open alert is not sent again.
  await raise({ title: 'something else', severity: 'warning' });
  await new Promise((r) => setTimeout(r, 200));
  assert.equal((await notifications(b.id)).length, 1);
});

test('a flow alert step is routed to channels: notification written with the alert, sent by the notifier', async () => {
  await deleteAll();
  await s.api('POST', '/api/v1/alert-channels', { name: 'flow-http', kind: 'http', config: { url: `${sink.url}/flow-alerts` }, filter: { kinds: ['flow.alert'] } });
  const flow = (await s.api('POST', '/api/v1/flows', {
    name: 'alerting-flow', steps: [{ id: 'a', type: 'alert', config: { name: 'from a flow', severity: 'error', message: 'capture {{capture.id}} failed' } }],
  })).body.flow;
  const hook = await fetch(flow.catchUrl, { method: 'POST', body: '{}' });
  const { captureId } = (await hook.json()) as { captureId: number };
  await until('the flow alert', async () => sink.byPath('/flow-alerts').length === 1);
  const body = JSON.parse(sink.byPath('/flow-alerts')[0]!.text);
  assert.equal(body.alert.title, 'from a flow');
  assert.equal(body.alert.message, `capture ${captureId} failed`);
  assert.equal(body.alert.kind, 'flow.alert');
});

test('a run that fails for good raises run.failed, routed to the channels that take it; two failures, one open alert', async () => {
  await deleteAll();
  await s.api('POST', '/api/v1/alert-channels', { name: 'runs-http', kind: 'http', config: { url: `${sink.url}/run-failures` }, filter: { kinds: ['run.failed'] } });
  // A step that fails at once and is not retried: a 400 is final.
  const flow = (await s.api('POST', '/api/v1/flows', {
    name: 'failing-flow', steps: [{ id: 'call', type: 'http_request', config: { method: 'POST', url: `${sink.url}/bad-request` } }],
  })).body.flow;
  sink.respond((r) => (r.path === '/bad-request' ? 400 : 200));
  try {
    const first = (await (await fetch(flow.catchUrl, { method: 'POST', body: '{}' })).json()) as { runId: number };
    await until('the run.failed notification', async () => sink.byPath('/run-failures').length === 1);
    const body = JSON.parse(sink.byPath('/run-failures')[0]!.text);
    assert.equal(body.alert.kind, 'run.failed');
    assert.equal(body.alert.title, 'Flow "failing-flow" has failed runs');
    assert.match(body.alert.message, new RegExp(`^run ${first.runId} of flow ${flow.id} failed: .*400.*POST /api/v1/runs/${first.runId}/replay`));
    // A second failure counts into the open alert; it is not sent again.
    const second = (await (await fetch(flow.catchUrl, { method: 'POST', body: '{}' })).json()) as { runId: number };
    const alert = await until('the count', async () => {
      const a = ((await s.api('GET', '/api/v1/alerts')).body.alerts as any[]).find((x) => x.kind === 'run.failed');
      return a?.count === 2 && a;
    });
    assert.match(alert.message, new RegExp(`^run ${second.runId} `));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(sink.byPath('/run-failures').length, 1);
  } finally {
    sink.respond(200);
  }
});

test('failed sends are retried on alerts.retry_schedule_seconds (fake clock), then the notification is dead', async () => {
  await deleteAll();
  sink.respond((r) => (r.path.startsWith('/flaky') ? 503 : 200));
  try {
    await s.api('POST', '/api/v1/alert-channels', { name: 'flaky', kind: 'http', config: { url: `${sink.url}/flaky` } });
    const a = await raise({ title: 'retry me' });
    let n = await until('first attempt', async () => { const x = await notifications(a.id); return x[0]?.attempts === 1 && x[0]; });
    assert.equal(n.status, 'pending');
    assert.match(n.lastError, /answered 503/);
    assert.equal(n.nextAttemptAt, new Date(clock.now() + 10_000).toISOString());
    // Not due yet: nothing more is sent while the clock stands still.
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(sink.byPath('/flaky').length, 1);
    clock.advance(10_000);
    s.running.ctx.alerting.notifier.wake();
    n = await until('second attempt', async () => { const x = await notifications(a.id); return x[0]?.attempts === 2 && x[0]; });
    assert.equal(n.status, 'pending');
    assert.equal(n.nextAttemptAt, new Date(clock.now() + 60_000).toISOString());
    clock.advance(60_000);
    s.running.ctx.alerting.notifier.wake();
    n = await until('dead after the schedule', async () => { const x = await notifications(a.id); return x[0]?.status === 'dead' && x[0]; });
    assert.equal(n.attempts, 3);
    assert.match(n.lastError, /gave up after 3 attempts/);
    assert.equal(sink.byPath('/flaky').length, 3);

    // A server that recovers: the retry succeeds.
    const b = await raise({ title: 'recovers' });
    await until('first failure', async () => (await notifications(b.id))[0]?.attempts === 1);
    sink.respond(200);
    clock.advance(10_000);
    s.running.ctx.alerting.notifier.wake();
    const sent = await until('sent', async () => { const x = await notifications(b.id); return x[0]?.status === 'sent' && x[0]; });
    assert.equal(sent.attempts, 2);
    assert.equal(sent.lastError, null);

    // A 4xx answer is permanent: dead at once, not retried.
    sink.respond((r) => (r.path.startsWith('/flaky') ? 404 : 200));
    const c = await raise({ title: 'gone' });
    const dead = await until('dead', async () => { const x = await notifications(c.id); return x[0]?.status === 'dead' && x[0]; });
    assert.equal(dead.attempts, 1);
    assert.match(dead.lastError, /answered 404/);
  } finally {
    sink.respond(200);
  }
});

test('POST /alert-channels/{id}/test sends a test notification, or answers 400 alert_channel_test_failed saying why', async () => {
  await deleteAll();
  const before = smtp.mails.length;
  const email = (await s.api('POST', '/api/v1/alert-channels', { name: 'mail', kind: 'email', config: { to: ['t@example.com'] } })).body.channel.id;
  const ok = await s.api('POST', `/api/v1/alert-channels/${email}/test`);
  assert.equal(ok.status, 200, ok.text);
  assert.match(ok.body.result, /t@example\.com/);
  const [mail] = (await smtp.waitFor(before + 1)).slice(before);
  assert.equal(mail!.subject, '[Switchyard] test notification for alert channel "mail"');

  const http = (await s.api('POST', '/api/v1/alert-channels', { name: 'h', kind: 'http', config: { url: `${sink.url}/test-target` } })).body.channel.id;
  sink.respond((r) => (r.path === '/test-target' ? 500 : 200));
  try {
    const bad = await s.api('POST', `/api/v1/alert-channels/${http}/test`);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.type, 'alert_channel_test_failed');
    assert.match(bad.body.error.error, /the test notification to channel "h" failed: POST http:\/\/127\.0\.0\.1:\d+\/test-target answered 500/);
  } finally {
    sink.respond(200);
  }
  assert.equal(JSON.parse(sink.byPath('/test-target')[0]!.text).type, 'switchyard.alert.test');
  assert.equal((await s.api('POST', '/api/v1/alert-channels/424242/test')).body.error.type, 'alert_channel_not_found');
});
