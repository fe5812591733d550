/**
 * /metrics while work waits: a paused webhook's deliveries show in the queue depth and the oldest open age grows
 * with the (injected) clock; a failing attempt counts as failed, with its latency; after resume and delivery, the
 * gauges go back to zero.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSink, startTestServer, until } from '../helpers/harness.js';
import { FakeClock } from '../helpers/fake-clock.js';

const metric = (text: string, name: string): number => {
  const m = new RegExp(`^${name.replace(/[{}"]/g, (c) => `\\${c}`)} ([0-9.e+-]+)$`, 'm').exec(text);
  assert.ok(m, `${name} in /metrics`);
  return Number(m[1]);
};

test('/metrics: queue depth and the oldest open age while a webhook is paused; failed attempts counted; back to zero', async () => {
  const clock = new FakeClock();
  const s = await startTestServer({ clock });
  const sink = await startSink();
  try {
    const w = await s.api('POST', '/api/v1/webhooks', {
      url: `${sink.url}/h`, name: 'm', triggers: [{ triggerType: 'TRIGGER_TYPE_EXPERIMENT_STATE_CHANGE', condition: { state: 'COMPLETED' } }],
    });
    const id = w.body.webhook.id;
    assert.equal((await s.api('POST', `/api/v1/webhooks/${id}/pause`)).status, 200);
    for (let i = 0; i < 3; i++) {
      const e = await s.api('POST', '/api/v1/experiments', { name: `e${i}` });
      assert.equal((await s.api('POST', `/api/v1/experiments/${e.body.experiment.id}/state`, { state: 'COMPLETED' })).status, 200);
    }
    clock.advance(90_000);
    const waiting = (await s.api('GET', '/metrics')).text;
    assert.equal(metric(waiting, 'switchyard_outbox_deliveries{status="pending"}'), 3);
    assert.equal(metric(waiting, 'switchyard_outbox_oldest_open_age_seconds'), 90);
    assert.equal(sink.requests.length, 0, 'paused: nothing sent');

    // Resumed with the sink failing once: one failed attempt, then delivered on the retry.
    let first = true;
    sink.respond(() => { if (first) { first = false; return 503; } return 200; });
    assert.equal((await s.api('POST', `/api/v1/webhooks/${id}/resume`)).status, 200);
    await until(async () => (await s.api('GET', '/api/v1/deliveries?status=failed')).body.deliveries.length === 1
      || sink.requests.length >= 3, 'the first attempts ended');
    for (let k = 0; k < 10 && (await s.api('GET', '/api/v1/deliveries?status=delivered')).body.deliveries.length < 3; k++) {
      clock.advance(60_000);
      s.running.ctx.worker.wake();
      await new Promise((r) => setTimeout(r, 50));
    }
    await until(async () => (await s.api('GET', '/api/v1/deliveries?status=delivered')).body.deliveries.length === 3, 'all delivered');
    const done = (await s.api('GET', '/metrics')).text;
    assert.equal(metric(done, 'switchyard_deliveries_total{status="delivered"}'), 3);
    assert.equal(metric(done, 'switchyard_deliveries_total{status="failed"}'), 1);
    assert.equal(metric(done, 'switchyard_delivery_attempt_duration_seconds_count'), 4);
    assert.equal(metric(done, 'switchyard_outbox_deliveries{status="pending"}'), 0);
    assert.equal(metric(done, 'switchyard_outbox_oldest_open_age_seconds'), 0);
  } finally {
    await s.stop();
    await sink.close();
  }
});
