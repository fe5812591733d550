/**
 * Filtering the outbox by event type: deliveries and attempts alike, with Determined's TRIGGER_TYPE_ names accepted
 * and an unknown type refused with a message that lists the valid ones (a typo must not look like "no attempts").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSink, startTestServer, until } from '../helpers/harness.js';

test('deliveries and attempts filter by event type; an unknown type is a 400 naming the valid ones', async () => {
  const s = await startTestServer();
  const sink = await startSink();
  try {
    const w = await s.api('POST', '/api/v1/webhooks', {
      url: `${sink.url}/h`, name: 'both', triggers: [
        { triggerType: 'TRIGGER_TYPE_EXPERIMENT_STATE_CHANGE', condition: { state: 'COMPLETED' } },
        { triggerType: 'TRIGGER_TYPE_TASK_LOG', condition: { regex: 'CUDA out of memory' } },
      ],
    });
    assert.equal(w.status, 200, w.text);
    const e = await s.api('POST', '/api/v1/experiments', { name: 'e' });
    assert.equal((await s.api('POST', `/api/v1/experiments/${e.body.experiment.id}/state`, { state: 'COMPLETED' })).status, 200);
    const logs = await s.api('POST', '/api/v1/task/logs', { logs: [{ taskId: 't-1', agentId: 'a', log: 'RuntimeError: CUDA out of memory' }] });
    assert.equal(logs.status, 200, logs.text);
    await sink.waitFor(2);
    await until(async () => (await s.api('GET', '/api/v1/attempts')).body.attempts.length === 2, 'both attempts recorded');

    const deliveries = (await s.api('GET', '/api/v1/deliveries?eventType=TASK_LOG')).body.deliveries as { id: number; eventType: string }[];
    assert.deepEqual(deliveries.map((d) => d.eventType), ['TASK_LOG']);
    const attempts = (await s.api('GET', '/api/v1/attempts?eventType=TASK_LOG')).body.attempts as { deliveryId: number }[];
    assert.deepEqual(attempts.map((a) => a.deliveryId), [deliveries[0]!.id]);
    const viaDetermined = (await s.api('GET', '/api/v1/attempts?eventType=TRIGGER_TYPE_EXPERIMENT_STATE_CHANGE')).body.attempts as { deliveryId: number }[];
    assert.equal(viaDetermined.length, 1);
    assert.notEqual(viaDetermined[0]!.deliveryId, deliveries[0]!.id);

    for (const path of ['/api/v1/attempts?eventType=TASKLOG', '/api/v1/deliveries?eventType=state']) {
      const bad = await s.api('GET', path);
      assert.equal(bad.status, 400, `${path}: ${bad.text}`);
      assert.equal(bad.body.error.type, 'invalid_argument');
      assert.match(bad.body.error.error, /eventType must be one of EXPERIMENT_STATE_CHANGE, .*TASK_LOG, CUSTOM/);
    }
  } finally {
    await s.stop();
    await sink.close();
  }
});
