/**
 * CLI tests of the operating commands against a fake API: `deliveries …`, `alerts …`, `webhooks pause|resume|enable`
 * and the delivery settings of `webhooks create|update|get|list`. What each command sends, what it prints, exit codes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTime } from './format.js';
import { parseRetryPolicy } from './commands/webhooks.js';
import { cli, withApi } from './test-support.js';

const T = '2026-01-31T12:00:00Z';
const enc = encodeURIComponent;

const DELIVERY = {
  id: 42, eventId: 'evt-1', webhookId: 7, url: 'https://hooks.example.com/x', eventType: 'EXPERIMENT_STATE_CHANGE',
  status: 'dead', redeliveryOf: null, attempts: 3, nextAttemptAt: null, lastStatusCode: 503, lastError: 'HTTP 503',
  createdAt: '2026-01-31T12:00:00.000Z', updatedAt: '2026-01-31T12:05:00.000Z',
};
const ATTEMPT = {
  id: 100, deliveryId: 42, webhookId: 7, attempt: 1, startedAt: '2026-01-31T12:00:01.000Z', durationMs: 123,
  url: DELIVERY.url, requestHeaders: {}, statusCode: null, responseHeaders: null, responseBody: null, outcome: 'timeout',
  error: 'timed out after 10000 ms', remoteAddress: '203.0.113.5',
};
const WEBHOOK = {
  id: 7, url: 'https://hooks.example.com/x', name: 'prod', webhookType: 'WEBHOOK_TYPE_DEFAULT', workspaceId: 0,
  mode: 'WEBHOOK_MODE_WORKSPACE', triggers: [{ id: 1, triggerType: 'TRIGGER_TYPE_EXPERIMENT_STATE_CHANGE', condition: { state: 'ERROR' }, webhookId: 7 }],
  signatureSchemes: ['determined'], standardWebhooks: null, ordering: 'FIFO', retryPolicy: { policy: 'custom', scheduleSeconds: [5, 60, 600] },
  timeoutMs: 5000, maxConcurrency: null, paused: false, disabledAt: '2026-02-01T00:00:00.000Z', disabledReason: 'HTTP 410 Gone',
  failingSince: '2026-01-31T00:00:00.000Z',
};

test('deliveries list sends every filter as a query parameter and prints the table', async () => {
  const path = `/api/v1/deliveries?webhookId=7&status=dead&eventType=TASK_LOG&since=${enc(T)}&until=${enc('2026-02-01T10:00:00Z')}&limit=2&beforeId=50`;
  const rows = [{ ...DELIVERY, redeliveries: [{ id: 60, status: 'dead' }, { id: 61, status: 'delivered' }] }, { ...DELIVERY, id: 41, webhookId: 0, status: 'failed', attempts: 1, lastStatusCode: null,
    lastError: `connect ECONNREFUSED 10.0.0.1:443 ${'x'.repeat(80)}`, nextAttemptAt: '2026-01-31T12:10:00.000Z' }];
  await withApi({ [`GET ${path}`]: [200, { deliveries: rows }], 'GET /api/v1/deliveries': [200, { deliveries: [] }] }, async (api, env) => {
    const r = await cli(['deliveries', 'list', '--webhook', '7', '--status', 'dead', '--event-type', 'trigger_type_task_log',
      '--since', T, '--until', '2026-02-01T12:00:00+02:00', '--limit', '2', '--before-id', '50'], { env });
    assert.equal(r.code, 0, r.err);
    assert.equal(api.requests[0]?.path, path);
    const lines = r.out.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^ID\s+WEBHOOK\s+EVENT TYPE\s+STATUS\s+ATTEMPTS\s+LAST\s+CREATED\s+NEXT$/);
    assert.match(lines[1] ?? '', /^42\s+7\s+EXPERIMENT_STATE_CHANGE\s+dead → 61 delivered\s+3\s+503\s+2026-01-31T12:00:00Z\s+-$/);
    assert.match(lines[2] ?? '', /^41\s+-\s+EXPERIMENT_STATE_CHANGE\s+failed\s+1\s+connect ECONNREFUSED 10\.0\.0\.1:443 x+…\s+2026-01-31T12:00:00Z\s+2026-01-31T12:10:00Z$/);
    assert.match(lines[3] ?? '', /older ones: switchyard deliveries list --webhook 7 .* --before-id 41\)$/);
    const none = await cli(['deliveries', 'list'], { env });
    assert.equal(none.code, 0, none.err);
    assert.match(none.out, /^no deliveries yet/);
  });
});

test('deliveries list and attempts turn a relative --since into RFC 3339 of that long ago', async () => {
  await withApi({}, async (api, env) => {
    const before = Date.now();
    await cli(['deliveries', 'list', '--since', '2h'], { env });
    await cli(['deliveries', 'attempts', '--since', '30m', '--until', '1m', '--outcome', 'timeout', '--delivery', '42'], { env });
    const after = Date.now();
    const [list, attempts] = api.requests.map((q) => new URL(q.path, 'http://x'));
    assert.equal(list?.pathname, '/api/v1/deliveries');
    const since = Date.parse(list?.searchParams.get('since') ?? '');
    assert.ok(since >= before - 2 * 3600_000 - 1000 && since <= after - 2 * 3600_000, `since ${list?.searchParams.get('since')}`);
    assert.match(list?.searchParams.get('since') ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$/);
    assert.equal(attempts?.pathname, '/api/v1/attempts');
    assert.deepEqual([...(attempts?.searchParams.keys() ?? [])], ['deliveryId', 'outcome', 'since', 'until']);
    const window = Date.parse(attempts?.searchParams.get('until') ?? '') - Date.parse(attempts?.searchParams.get('since') ?? '');
    assert.ok(Math.abs(window - 29 * 60_000) < 1000, String(window));
  });
});

test('parseTime: RFC 3339 with a zone, bare dates, durations ago; rejects the rest', () => {
  const now = Date.parse('2026-03-01T00:00:00Z');
  assert.equal(parseTime('2026-01-31T12:00:00Z', now), '2026-01-31T12:00:00Z');
  assert.equal(parseTime('2026-01-31T14:00:00.250+02:00', now), '2026-01-31T12:00:00.250Z');
  assert.equal(parseTime('2026-01-31', now), '2026-01-31T00:00:00Z');
  assert.equal(parseTime('90s', now), '2026-02-28T23:58:30Z');
  assert.equal(parseTime('30m', now), '2026-02-28T23:30:00Z');
  assert.equal(parseTime('1h', now), '2026-02-28T23:00:00Z');
  assert.equal(parseTime('2d ago', now), '2026-02-27T00:00:00Z');
  assert.equal(parseTime('1w', now), '2026-02-22T00:00:00Z');
  assert.throws(() => parseTime('2026-01-31T12:00:00', now), /no time zone/);
  assert.throws(() => parseTime('2026-02-30', now), /not a real date/);
  assert.throws(() => parseTime('2026-01-31T25:00Z', now), /not a real date/);
  for (const bad of ['yesterday', '1y', '-1h', '', '1738324800000']) assert.throws(() => parseTime(bad, now), /RFC 3339/, bad);
});

test('deliveries get prints the fields, the payload pretty-printed and the attempts', async () => {
  const payload = '{"event_id":"evt-1","event_type":"EXPERIMENT_STATE_CHANGE","condition":{"state":"ERROR"}}';
  await withApi({
    'GET /api/v1/deliveries/42': [200, { delivery: { ...DELIVERY, payload, contentType: 'application/json; charset=UTF-8', signed: true },
      attempts: [ATTEMPT, { ...ATTEMPT, id: 101, attempt: 2, statusCode: 503, outcome: 'http', error: 'HTTP 503', durationMs: 40 }] }],
    'GET /api/v1/deliveries/43': [200, { delivery: { ...DELIVERY, id: 43, status: 'pending', payload: 'plain text', attempts: 0 }, attempts: [] }],
    'GET /api/v1/deliveries/44': [200, { delivery: { ...DELIVERY, id: 44, payload: '{}', redeliveries: [{ id: 50, status: 'dead' }, { id: 51, status: 'delivered' }] }, attempts: [] }],
    'GET /api/v1/deliveries/45': [200, { delivery: { ...DELIVERY, id: 45, payload: '{}', redeliveries: [{ id: 52, status: 'failed' }] }, attempts: [] }],
  }, async (_api, env) => {
    const r = await cli(['deliveries', 'get', '42'], { env });
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^status: +dead$/m);
    assert.match(r.out, /^last status: +503$/m);
    assert.match(r.out, /^signed: +yes$/m);
    assert.ok(r.out.includes('payload:\n{\n  "event_id": "evt-1",\n  "event_type": "EXPERIMENT_STATE_CHANGE",\n  "condition": {\n    "state": "ERROR"\n  }\n}\n'), r.out);
    assert.match(r.out, /^ATTEMPT\s+STARTED\s+DURATION\s+OUTCOME\s+STATUS\s+ERROR\s+REMOTE$/m);
    assert.match(r.out, /^1\s+2026-01-31T12:00:01Z\s+123ms\s+timeout\s+-\s+timed out after 10000 ms\s+203\.0\.113\.5$/m);
    assert.match(r.out, /^2\s+2026-01-31T12:00:01Z\s+40ms\s+http\s+503\s+HTTP 503\s+203\.0\.113\.5$/m);
    assert.match(r.out, /send it again: switchyard deliveries redeliver 42$/m);
    assert.match(r.out, /^redelivered as: +-$/m);
    const p = await cli(['deliveries', 'get', '43'], { env });
    assert.match(p.out, /payload:\nplain text\n\nno attempts yet\n$/);
    // A dead delivery that was redelivered says where its event went instead of offering to send it again.
    const done = await cli(['deliveries', 'get', '44'], { env });
    assert.match(done.out, /^redelivered as: +50 \(dead\), 51 \(delivered\)$/m);
    assert.match(done.out, /its event was delivered by redelivery 51: switchyard deliveries get 51\n$/);
    const going = await cli(['deliveries', 'get', '45'], { env });
    assert.match(going.out, /its event is on its way again as delivery 52: switchyard deliveries get 52\n$/);
  });
});

test('deliveries attempts filters by event type, in Determined\'s spelling too', async () => {
  await withApi({ 'GET /api/v1/attempts?eventType=TASK_LOG&limit=5': [200, { attempts: [ATTEMPT] }] }, async (api, env) => {
    const r = await cli(['deliveries', 'attempts', '--event-type', 'trigger_type_task_log', '--limit', '5'], { env });
    assert.equal(r.code, 0, r.err);
    assert.equal(api.requests[0]?.path, '/api/v1/attempts?eventType=TASK_LOG&limit=5');
  });
});

test('deliveries attempts prints its table', async () => {
  await withApi({ 'GET /api/v1/attempts?webhookId=7&limit=5': [200, { attempts: [ATTEMPT] }] }, async (api, env) => {
    const r = await cli(['deliveries', 'attempts', '--webhook', '7', '--limit', '5'], { env });
    assert.equal(r.code, 0, r.err);
    assert.equal(api.requests[0]?.path, '/api/v1/attempts?webhookId=7&limit=5');
    assert.match(r.out, /^ID\s+DELIVERY\s+WEBHOOK\s+ATTEMPT\s+STARTED\s+DURATION\s+OUTCOME\s+STATUS\s+ERROR\s+REMOTE$/m);
    assert.match(r.out, /^100\s+42\s+7\s+1\s+2026-01-31T12:00:01Z\s+123ms\s+timeout\s+-\s+timed out/m);
  });
});

test('deliveries redeliver, redeliver-dead and stats', async () => {
  await withApi({
    'POST /api/v1/deliveries/42/redeliver': [200, { delivery: { ...DELIVERY, id: 77, status: 'pending', redeliveryOf: 42 } }],
    'POST /api/v1/webhooks/7/redeliver': [200, { redelivered: 2, deliveryIds: [80, 81] }],
    'POST /api/v1/webhooks/8/redeliver': [200, { redelivered: 0, deliveryIds: [] }],
    'GET /api/v1/outbox': [200, { pending: 3, delivering: 1, failed: 2, dead: 5, oldestDueCreatedAt: new Date(Date.now() - 3 * 3600_000 - 5 * 60_000).toISOString(), inFlight: 1 }],
  }, async (api, env) => {
    const one = await cli(['deliveries', 'redeliver', '42'], { env });
    assert.equal(one.out, 'redelivering delivery 42 as delivery 77; follow it: switchyard deliveries get 77\n');
    const bulk = await cli(['deliveries', 'redeliver-dead', '--webhook', '7', '--since', T, '--until', '2026-02-01'], { env });
    assert.equal(bulk.code, 0, bulk.err);
    assert.match(bulk.out, /^redelivering 2 dead deliveries of webhook 7 since 2026-01-31T12:00:00Z until 2026-02-01T00:00:00Z as deliveries 80, 81$/m);
    const nothing = await cli(['deliveries', 'redeliver-dead', '--webhook', '8'], { env });
    assert.equal(nothing.out, 'webhook 8 has no dead deliveries to redeliver (an event delivered or queued again since is left out)\n');
    assert.deepEqual(api.requests.map((q) => `${q.method} ${q.path} ${JSON.stringify(q.body)}`), [
      'POST /api/v1/deliveries/42/redeliver undefined',
      `POST /api/v1/webhooks/7/redeliver {"since":"${T}","until":"2026-02-01T00:00:00Z"}`,
      'POST /api/v1/webhooks/8/redeliver {}',
    ]);
    const s = await cli(['deliveries', 'stats'], { env });
    assert.equal(s.code, 0, s.err);
    assert.match(s.out, /^pending: +3$/m);
    assert.match(s.out, /^failed \(retrying\): +2$/m);
    assert.match(s.out, /^dead: +5$/m);
    assert.match(s.out, /^oldest open: +\S+Z \(3h 5m ago\)$/m);
    assert.match(s.out, /^in flight: +1$/m);
    assert.match(s.out, /switchyard deliveries list --status dead/);
  });
  // Every dead one redelivered since: said so, and no advice to redeliver them.
  await withApi({ 'GET /api/v1/outbox': [200, { pending: 0, delivering: 0, failed: 0, dead: 2, deadRedelivered: 2, oldestDueCreatedAt: null, inFlight: 0 }] }, async (_api, env) => {
    const s = await cli(['deliveries', 'stats'], { env });
    assert.match(s.out, /^dead: +2 \(2 of them redelivered since\)$/m);
    assert.doesNotMatch(s.out, /redeliver-dead/);
  });
});

test('webhooks pause, resume and enable post to their routes and say what is next', async () => {
  const hook = { ...WEBHOOK, disabledAt: null };
  await withApi({
    'POST /api/v1/webhooks/7/pause': [200, { webhook: { ...hook, paused: true } }],
    'POST /api/v1/webhooks/7/resume': [200, { webhook: hook }],
    'POST /api/v1/webhooks/7/enable': [200, { webhook: { ...hook, paused: true } }],
  }, async (api, env) => {
    const p = await cli(['webhooks', 'pause', '7'], { env });
    assert.match(p.out, /^paused webhook 7; .*switchyard webhooks resume 7$/m);
    const r = await cli(['webhooks', 'resume', '7'], { env });
    assert.equal(r.out, 'resumed webhook 7; queued deliveries go out now\n');
    const e = await cli(['webhooks', 'enable', '7'], { env });
    assert.match(e.out, /^enabled webhook 7; it is still paused: switchyard webhooks resume 7$/m);
    assert.match(e.out, /redeliver-dead --webhook 7/);
    const j = await cli(['webhooks', 'pause', '7', '--json'], { env });
    assert.equal(JSON.parse(j.out).webhook.paused, true);
    assert.deepEqual(api.requests.map((q) => `${q.method} ${q.path} ${String(q.body)}`), [
      'POST /api/v1/webhooks/7/pause undefined', 'POST /api/v1/webhooks/7/resume undefined',
      'POST /api/v1/webhooks/7/enable undefined', 'POST /api/v1/webhooks/7/pause undefined',
    ]);
  });
});

test('webhooks create and update send the delivery settings; get and list show them', async () => {
  await withApi({
    'POST /api/v1/webhooks': [200, { webhook: WEBHOOK }],
    'PATCH /api/v1/webhooks/7': [200, { webhook: WEBHOOK }],
    'GET /api/v1/webhooks/7': [200, { webhook: WEBHOOK }],
    'GET /api/v1/webhooks': [200, { webhooks: [WEBHOOK, { ...WEBHOOK, id: 8, disabledAt: null, paused: true }, { ...WEBHOOK, id: 9, disabledAt: null }] }],
  }, async (api, env) => {
    const c = await cli(['webhooks', 'create', '--url', WEBHOOK.url, '--trigger', 'ERROR', '--ordering', 'fifo',
      '--retry-policy', 'custom:5,1m,600', '--timeout-ms', '5000', '--max-concurrency', '0'], { env });
    assert.equal(c.code, 0, c.err);
    assert.deepEqual(api.requests[0]?.body, {
      url: WEBHOOK.url, webhookType: 'WEBHOOK_TYPE_DEFAULT', workspaceId: 0, mode: 'WEBHOOK_MODE_WORKSPACE',
      triggers: [{ triggerType: 'TRIGGER_TYPE_EXPERIMENT_STATE_CHANGE', condition: { state: 'ERROR' } }],
      ordering: 'FIFO', retryPolicy: { policy: 'custom', scheduleSeconds: [5, 60, 600] }, timeoutMs: 5000, maxConcurrency: 0,
    });
    for (const args of [['--ordering', 'best-effort'], ['--retry-policy', 'inherit'], ['--retry-policy', 'Determined', '--timeout-ms', '0']]) {
      const u = await cli(['webhooks', 'update', '7', ...args], { env });
      assert.equal(u.code, 0, u.err);
    }
    assert.deepEqual(api.requests.slice(1).map((q) => q.body), [
      { ordering: 'BEST_EFFORT' }, { retryPolicy: 'inherit' }, { retryPolicy: 'determined', timeoutMs: 0 },
    ]);
    const g = await cli(['webhooks', 'get', '7'], { env });
    assert.equal(g.code, 0, g.err);
    for (const line of [/^ordering: +fifo$/m, /^retry policy: +custom:5,60,600$/m, /^timeout: +5000 ms$/m,
      /^concurrency: +server's default$/m, /^state: +disabled$/m, /^paused: +no$/m, /^disabled at: +2026-02-01T00:00:00Z$/m,
      /^disabled reason: +HTTP 410 Gone$/m, /^failing since: +2026-01-31T00:00:00Z$/m, /switchyard webhooks enable 7$/m]) {
      assert.match(g.out, line);
    }
    const l = await cli(['webhooks', 'list'], { env });
    assert.deepEqual(l.out.trimEnd().split('\n').slice(1).map((line) => line.split(/\s+/).slice(0, 3).join(' ')),
      ['7 prod disabled', '8 prod paused', '9 prod active']);
  });
});

test('parseRetryPolicy: names, custom schedules with units, and clear refusals', () => {
  assert.equal(parseRetryPolicy('DEFAULT'), 'default');
  assert.deepEqual(parseRetryPolicy('custom: 0, 30s, 5m, 1h, 1d, 2.5'), { policy: 'custom', scheduleSeconds: [0, 30, 300, 3600, 86_400, 2.5] });
  assert.throws(() => parseRetryPolicy('custom'), /custom:5,60,600/);
  assert.throws(() => parseRetryPolicy('custom:5,,6'), /is not a wait/);
  assert.throws(() => parseRetryPolicy('custom:8d'), /at most 604800 seconds/);
  assert.throws(() => parseRetryPolicy(`custom:${Array(50).fill(1).join(',')}`), /at most 49 waits/);
  assert.throws(() => parseRetryPolicy('exponential'), /use default, determined, inherit/);
});

test('alerts list and ack', async () => {
  const alerts = [
    { id: 3, kind: 'webhook.disabled', severity: 'error', webhookId: 7, deliveryId: 0, title: 'webhook 7 "prod" was disabled', message: 'm',
      count: 1, createdAt: T, lastAt: '2026-02-01T00:00:00.000Z', acknowledgedAt: null },
    { id: 2, kind: 'delivery.dead', severity: 'warning', webhookId: 0, deliveryId: 42, title: 'a delivery is dead', message: 'm',
      count: 4, createdAt: T, lastAt: T, acknowledgedAt: '2026-01-31T13:00:00.000Z' },
  ];
  await withApi({
    'GET /api/v1/alerts?open=true&limit=10': [200, { alerts: [alerts[0]] }],
    'GET /api/v1/alerts': [200, { alerts }],
    'POST /api/v1/alerts/3/acknowledge': [200, {}],
  }, async (api, env) => {
    const o = await cli(['alerts', 'list', '--open', '--limit', '10'], { env });
    assert.equal(o.code, 0, o.err);
    assert.match(o.out, /^ID\s+KIND\s+SEVERITY\s+WEBHOOK\s+COUNT\s+LAST\s+ACKED\s+TITLE$/m);
    assert.match(o.out, /^3\s+webhook\.disabled\s+error\s+7\s+1\s+2026-02-01T00:00:00Z\s+no\s+webhook 7 "prod" was disabled$/m);
    assert.match(o.out, /acknowledge one: switchyard alerts ack 3$/m);
    const all = await cli(['alerts', 'list'], { env });
    assert.match(all.out, /^2\s+delivery\.dead\s+warning\s+-\s+4\s+2026-01-31T12:00:00Z\s+2026-01-31T13:00:00Z\s+a delivery is dead$/m);
    const a = await cli(['alerts', 'ack', '3'], { env });
    assert.equal(a.out, 'acknowledged alert 3\n');
    assert.deepEqual(api.requests.map((q) => `${q.method} ${q.path}`),
      ['GET /api/v1/alerts?open=true&limit=10', 'GET /api/v1/alerts', 'POST /api/v1/alerts/3/acknowledge']);
  });
});

test('operating commands: usage errors exit 2 and send nothing', async () => {
  await withApi({}, async (api, env) => {
    for (const args of [
      ['deliveries', 'list', '--status', 'lost'],
      ['deliveries', 'list', '--since', 'yesterday'],
      ['deliveries', 'list', '--since', '2026-01-31T12:00:00'],
      ['deliveries', 'list', '--since', '1h', '--until', '2h'],
      ['deliveries', 'list', '--limit', '0'],
      ['deliveries', 'list', '--limit', '1001'],
      ['deliveries', 'list', '--webhook', 'abc'],
      ['deliveries', 'list', '--event-type', 'state change'],
      ['deliveries', 'get', '0'],
      ['deliveries', 'attempts', '--outcome', 'slow'],
      ['deliveries', 'attempts', '--event-type', 'TASKLOG'],
      ['deliveries', 'redeliver', 'x'],
      ['deliveries', 'redeliver-dead'],
      ['deliveries', 'redeliver-dead', '--webhook', '7', '--since', '2026-02-01', '--until', '2026-01-01'],
      ['webhooks', 'pause'],
      ['webhooks', 'enable', '-1'],
      ['webhooks', 'update', '7', '--ordering', 'random'],
      ['webhooks', 'update', '7', '--retry-policy', 'custom'],
      ['webhooks', 'update', '7', '--timeout-ms', '50'],
      ['webhooks', 'update', '7', '--timeout-ms', '600001'],
      ['webhooks', 'update', '7', '--max-concurrency', '-1'],
      ['webhooks', 'create', '--url', 'http://h/x', '--trigger', 'ERROR', '--max-concurrency', '10001'],
      ['alerts', 'list', '--limit', 'many'],
      ['alerts', 'ack'],
    ]) {
      const r = await cli(args, { env });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
      assert.match(r.err, /error: /, args.join(' '));
    }
    assert.equal(api.requests.length, 0);
  });
});
