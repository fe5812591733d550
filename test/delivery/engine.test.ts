/**
 * The delivery engine's rules, on a real server and real sinks, with an injected clock (no test sleeps for a
 * retry): Retry-After, 410 Gone, auto-disable after a run of failures, pause/resume, FIFO, redelivery, the SSRF
 * guard, the attempt log and alerts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSink, startTestServer, type Sink, type TestServer, until } from '../helpers/harness.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { SqlStore } from '../../src/store/sql-store.js';

const COMPLETED = [{ triggerType: 'TRIGGER_TYPE_EXPERIMENT_STATE_CHANGE', condition: { state: 'COMPLETED' } }];

async function env(opts: { clock?: FakeClock; env?: Record<string, string> } = {}) {
  const clock = opts.clock ?? new FakeClock();
  const s = await startTestServer({ clock, env: opts.env });
  const sinks: Sink[] = [];
  const hook = async (body: Record<string, unknown> = {}) => {
    const sink = await startSink();
    sinks.push(sink);
    const r = await s.api('POST', '/api/v1/webhooks', { url: `${sink.url}/h`, name: `w${sinks.length}`, triggers: COMPLETED, ...body });
    assert.equal(r.status, 200, r.text);
    return { sink, id: r.body.webhook.id as number };
  };
  const fire = async () => {
    const e = await s.api('POST', '/api/v1/experiments', { name: 'e' });
    const r = await s.api('POST', `/api/v1/experiments/${e.body.experiment.id}/state`, { state: 'COMPLETED' });
    assert.equal(r.status, 200, r.text);
  };
  const deliveries = async (q = '') => (await s.api('GET', `/api/v1/deliveries${q}`)).body.deliveries as any[];
  const tick = (ms: number) => { clock.advance(ms); s.running.ctx.worker.wake(); };
  const close = async () => { await s.stop(); for (const k of sinks) await k.close(); };
  return { s, clock, hook, fire, deliveries, tick, close };
}

test('429 with Retry-After: the next attempt waits as long as the server asked (within bounds)', async () => {
  const t = await env();
  const http = await import('node:http');
  let calls = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      calls++;
      if (calls === 1) { res.writeHead(429, { 'retry-after': '120' }); res.end('slow down'); } else res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const port = (server.address() as import('node:net').AddressInfo).port;
    assert.equal((await t.s.api('POST', '/api/v1/webhooks', { url: `http://127.0.0.1:${port}/`, name: 'ra', triggers: COMPLETED })).status, 200);
    await t.fire();
    await until(async () => (await t.deliveries('?status=failed')).length === 1, 'a failed delivery');
    const [d] = await t.deliveries();
    const wait = Date.parse(d.nextAttemptAt) - t.clock.now();
    assert.equal(wait, 120_000, 'Retry-After: 120 beats the schedule\'s ~5 s');
    t.tick(119_000);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(calls, 1);
    t.tick(1000);
    await until(async () => (await t.deliveries('?status=delivered')).length === 1, 'delivered on retry');
    assert.equal(calls, 2);
  } finally {
    server.close();
    await t.close();
  }
});

test('a 503 follows the default schedule; 410 Gone disables the webhook and raises alerts; enable resumes', async () => {
  const t = await env();
  try {
    const { sink, id } = await t.hook();
    let mode: 'fail' | 'gone' | 'ok' = 'fail';
    sink.respond(() => (mode === 'fail' ? 503 : mode === 'gone' ? 410 : 200));
    await t.fire();
    await until(async () => (await t.deliveries('?status=failed')).length === 1, 'first failure');
    const [d] = await t.deliveries();
    const wait = Date.parse(d.nextAttemptAt) - t.clock.now();
    assert.ok(wait >= 4000 && wait <= 6000, `default first retry ≈ 5 s ±20 %, got ${wait}`);
    mode = 'gone';
    t.tick(wait);
    await until(async () => (await t.deliveries('?status=dead')).length === 1, 'dead after 410');
    const w = (await t.s.api('GET', `/api/v1/webhooks/${id}`)).body.webhook;
    assert.ok(w.disabledAt, 'disabled');
    assert.match(w.disabledReason, /410 Gone/);
    const alerts = (await t.s.api('GET', '/api/v1/alerts?open=true')).body.alerts;
    assert.deepEqual(alerts.map((a: any) => a.kind).sort(), ['delivery.dead', 'webhook.disabled']);
    // New events wait while disabled, nothing is dropped.
    mode = 'ok';
    await t.fire();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(sink.requests.length, 2);
    assert.equal((await t.deliveries('?status=pending')).length, 1);
    assert.equal((await t.s.api('POST', `/api/v1/webhooks/${id}/enable`)).status, 200);
    await sink.waitFor(3);
    await until(async () => (await t.deliveries('?status=delivered')).length === 1, 'delivered after enable');
  } finally {
    await t.close();
  }
});

test('a dead delivery and its alert commit together: when the alert cannot be written, the attempt is not recorded either, and is sent again', async (tc) => {
  const t = await env();
  // The alert's write fails once (a full disk, say): the attempts recorded with it must not commit without it.
  const proto = SqlStore.prototype as unknown as { raiseAlert: (...a: unknown[]) => Promise<unknown> };
  const raiseAlert = proto.raiseAlert;
  let failures = 0;
  proto.raiseAlert = async function (this: unknown, ...a: unknown[]) {
    if (failures++ === 0) throw new Error('disk I/O error');
    return raiseAlert.apply(this, a);
  };
  tc.after(() => { proto.raiseAlert = raiseAlert; });
  try {
    const { sink } = await t.hook();
    sink.respond(400);
    await t.fire();
    await sink.waitFor(1);
    await until(() => failures > 0, 'the alert write to fail');
    await new Promise((r) => setTimeout(r, 50));
    const [d] = await t.deliveries();
    assert.equal(d.status, 'delivering', 'not dead without its alert: the record was undone, the lease stands');
    assert.deepEqual((await t.s.api('GET', '/api/v1/alerts')).body.alerts, []);
    // The lease runs out: sent again, dead, and alerted this time.
    t.tick(t.s.running.ctx.config.delivery.lease_ms + 1);
    await sink.waitFor(2);
    await until(async () => (await t.deliveries('?status=dead')).length === 1, 'dead after the second attempt');
    const alerts = (await t.s.api('GET', '/api/v1/alerts')).body.alerts;
    assert.deepEqual(alerts.map((a: any) => [a.kind, a.deliveryId, a.count]), [['delivery.dead', d.id, 1]]);
  } finally {
    await t.close();
  }
});

test('a webhook that fails every attempt for the configured time is disabled, with an alert', async () => {
  const t = await env();
  try {
    const { sink, id } = await t.hook({ retryPolicy: { policy: 'custom', scheduleSeconds: [3600, 3600 * 24, 3600 * 48] } });
    sink.respond(() => 500);
    await t.fire();
    await sink.waitFor(1);
    await until(async () => (await t.deliveries('?status=failed')).length === 1, 'failing');
    // Far enough for the latest jittered retry (±10 %): attempt 3 at 27.2 h at the latest waits at most 52.8 h.
    for (const h of [1.2, 26, 53]) {
      t.tick(h * 3600_000);
      await until(async () => sink.requests.length >= 2 && (await t.deliveries('?status=delivering')).length === 0, 'next attempt');
    }
    await until(async () => Boolean((await t.s.api('GET', `/api/v1/webhooks/${id}`)).body.webhook.disabledAt), 'auto-disabled');
    const w = (await t.s.api('GET', `/api/v1/webhooks/${id}`)).body.webhook;
    assert.match(w.disabledReason, /every attempt has failed since/);
    const alerts = (await t.s.api('GET', '/api/v1/alerts')).body.alerts;
    assert.ok(alerts.some((a: any) => a.kind === 'webhook.disabled' && a.webhookId === id));
  } finally {
    await t.close();
  }
});

test('pause holds deliveries (nothing dropped), resume sends them', async () => {
  const t = await env();
  try {
    const { sink, id } = await t.hook();
    assert.equal((await t.s.api('POST', `/api/v1/webhooks/${id}/pause`)).body.webhook.paused, true);
    await t.fire();
    await t.fire();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(sink.requests.length, 0);
    assert.equal((await t.deliveries('?status=pending')).length, 2);
    assert.equal((await t.s.api('POST', `/api/v1/webhooks/${id}/resume`)).body.webhook.paused, false);
    await sink.waitFor(2);
  } finally {
    await t.close();
  }
});

test('FIFO: one at a time in creation order; a failing head blocks only its own webhook', async () => {
  const t = await env();
  try {
    const fifo = await t.hook({ ordering: 'FIFO' });
    const other = await t.hook();
    let failHead = true;
    fifo.sink.respond(() => (failHead ? 503 : 200));
    for (let i = 0; i < 5; i++) await t.fire();
    await other.sink.waitFor(5);
    await until(async () => (await t.deliveries('?status=failed')).length === 1, 'fifo head failed');
    assert.equal(fifo.sink.requests.length, 1, 'the rest wait behind the failing head');
    failHead = false;
    t.tick(10_000);
    await fifo.sink.waitFor(5);
    const ids = fifo.sink.requests.map((r) => JSON.parse(r.text).event_data.experiment.id);
    assert.deepEqual(ids.slice(1), [...ids.slice(1)].sort((a, b) => a - b), 'in creation order');
    assert.equal(ids[0], ids[1], 'the head was retried first');
  } finally {
    await t.close();
  }
});

test('FIFO switched on over a backlog orders the deliveries already queued; switched off, they flow again', async () => {
  const t = await env();
  try {
    const { sink, id } = await t.hook();
    assert.equal((await t.s.api('POST', `/api/v1/webhooks/${id}/pause`)).status, 200);
    for (let i = 0; i < 4; i++) await t.fire();
    assert.equal((await t.deliveries('?status=pending')).length, 4);
    // Queued before the switch: the FIFO head is read off the webhook's open deliveries, which must know the mode.
    assert.equal((await t.s.api('PATCH', `/api/v1/webhooks/${id}`, { ordering: 'FIFO' })).status, 200);
    sink.respond(() => 503);
    assert.equal((await t.s.api('POST', `/api/v1/webhooks/${id}/resume`)).status, 200);
    await until(async () => (await t.deliveries('?status=failed')).length === 1, 'the FIFO head was tried and failed');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(sink.requests.length, 1, 'the three behind the failing head wait');
    assert.equal((await t.deliveries('?status=pending')).length, 3);
    // One more event while FIFO: it queues behind the head too.
    await t.fire();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(sink.requests.length, 1);
    assert.equal((await t.s.api('PATCH', `/api/v1/webhooks/${id}`, { ordering: 'BEST_EFFORT' })).status, 200);
    sink.respond(() => 200);
    t.s.running.ctx.worker.wake();
    await sink.waitFor(5);
    await until(async () => (await t.deliveries('?status=delivered')).length === 4, 'the four behind the head went without it');
    assert.equal((await t.deliveries('?status=failed')).length, 1, 'the head waits for its retry');
  } finally {
    await t.close();
  }
});

test('redeliver one and bulk-redeliver dead ones in a time range; the attempt log records each try', async () => {
  const t = await env();
  try {
    const { sink, id } = await t.hook();
    sink.respond(() => 400);
    await t.fire();
    await until(async () => (await t.deliveries('?status=dead')).length === 1, 'first dead');
    t.tick(60_000);
    await t.fire();
    await until(async () => (await t.deliveries('?status=dead')).length === 2, 'two dead');
    const dead = await t.deliveries('?status=dead');
    const one = await t.s.api('POST', `/api/v1/deliveries/${dead[1].id}/redeliver`);
    assert.equal(one.status, 200, one.text);
    await until(async () => (await t.deliveries('?status=dead')).length === 3, 'the redelivery failed too');
    sink.respond(() => 200);
    const since = new Date(t.clock.now() - 30_000).toISOString();
    const bulk = await t.s.api('POST', `/api/v1/webhooks/${id}/redeliver`, { since });
    assert.equal(bulk.status, 200, bulk.text);
    assert.equal(bulk.body.redelivered, 2, 'the second event, and the failed redelivery of the first');
    await sink.waitFor(5);
    const events = sink.requests.map((r) => JSON.parse(r.text).event_id);
    assert.equal(new Set(events).size, 2, 'redeliveries carry the same event_id');
    await until(async () => (await t.deliveries('?status=delivered')).length === 2, 'both redeliveries delivered');
    // Once more over the whole history: both events were delivered by the redeliveries (created after their dead
    // originals), so nothing is sent again.
    const twice = await t.s.api('POST', `/api/v1/webhooks/${id}/redeliver`, {});
    assert.equal(twice.status, 200, twice.text);
    assert.deepEqual([twice.body.redelivered, twice.body.deliveryIds], [0, []]);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(sink.requests.length, 5, 'no event is sent a second time');
    const outbox = (await t.s.api('GET', '/api/v1/outbox')).body;
    assert.deepEqual([outbox.dead, outbox.deadRedelivered], [3, 3], 'three dead deliveries, each redelivered since');
    // Each dead delivery names the redeliveries made of it, with their status.
    const first = (await t.s.api('GET', `/api/v1/deliveries/${dead[1].id}`)).body.delivery;
    assert.deepEqual(first.redeliveries, [{ id: one.body.delivery.id, status: 'dead' }]);
    const again = (await t.s.api('GET', `/api/v1/deliveries/${one.body.delivery.id}`)).body.delivery;
    assert.equal(again.redeliveries.length, 1);
    assert.equal(again.redeliveries[0].status, 'delivered');
    assert.ok(bulk.body.deliveryIds.includes(again.redeliveries[0].id));
    const attempts = (await t.s.api('GET', `/api/v1/attempts?webhookId=${id}`)).body.attempts;
    assert.equal(attempts.length, 5, JSON.stringify(attempts.map((a: any) => [a.deliveryId, a.statusCode])) + JSON.stringify(await t.deliveries()));
    const a = attempts[0];
    assert.equal(a.remoteAddress, '127.0.0.1');
    assert.match(a.url, /^http:\/\/127\.0\.0\.1:\d+\/h$/);
    assert.match(a.requestHeaders['X-Determined-AI-Signature'], /^[0-9a-f]{12}…$/, 'signatures are shortened in the log');
    assert.ok(a.responseHeaders['content-length']);
    assert.equal(a.responseBody, 'ok');
  } finally {
    await t.close();
  }
});

test('the SSRF guard: without an allowlist, loopback is refused, recorded as its own class, not retried', async () => {
  const t = await env({ env: { SWITCHYARD_OUTBOUND_ALLOW: '' } });
  try {
    const { sink } = await t.hook();
    await t.fire();
    await until(async () => (await t.deliveries('?status=dead')).length === 1, 'dead');
    const d = (await t.deliveries('?status=dead'))[0];
    const detail = (await t.s.api('GET', `/api/v1/deliveries/${d.id}`)).body;
    assert.equal(detail.attempts.length, 1);
    assert.equal(detail.attempts[0].outcome, 'refused');
    assert.match(detail.attempts[0].error, /loopback.*outbound\.allow/);
    assert.equal(sink.requests.length, 0);
    // Determined's test endpoint is guarded too.
    const test = await t.s.api('POST', '/api/v1/webhooks/1/test');
    assert.equal(test.status, 400);
    assert.match(test.body.error.error, /loopback/);
  } finally {
    await t.close();
  }
});

test('/metrics: Prometheus text with deliveries by outcome, attempt latency and queue depth; needs a token', async () => {
  const t = await env();
  try {
    const { sink } = await t.hook();
    await t.fire();
    await sink.waitFor(1);
    await until(async () => (await t.deliveries('?status=delivered')).length === 1, 'delivered');
    assert.equal((await t.s.api('GET', '/metrics', undefined, { token: null })).status, 401);
    const m = await t.s.api('GET', '/metrics');
    assert.equal(m.status, 200);
    assert.match(m.text, /switchyard_deliveries_total\{status="delivered"\} 1/);
    assert.match(m.text, /switchyard_delivery_attempt_duration_seconds_count 1/);
    assert.match(m.text, /switchyard_outbox_deliveries\{status="pending"\} 0/);
    assert.match(m.text, /switchyard_outbox_oldest_open_age_seconds 0/);
  } finally {
    await t.close();
  }
});
