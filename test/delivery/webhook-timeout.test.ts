/**
 * A webhook's own timeoutMs must fit in the delivery lease (see attemptTimeoutCap): one the engine could not honour
 * is refused with a message that says the limit and how to raise it, on create and on update, instead of being cut
 * at every attempt without a word.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer } from '../helpers/harness.js';

test('a webhook timeoutMs longer than the lease allows is a 400 naming the limit; up to the limit it is kept', async () => {
  const s = await startTestServer({ patch: (c) => { c.delivery.lease_ms = 60_000; } });
  try {
    const base = { url: 'http://127.0.0.1:9/h', triggers: [{ triggerType: 'TRIGGER_TYPE_EXPERIMENT_STATE_CHANGE', condition: { state: 'COMPLETED' } }] };
    const long = await s.api('POST', '/api/v1/webhooks', { ...base, name: 'slow', timeoutMs: 120_000 });
    assert.equal(long.status, 400, long.text);
    assert.equal(long.body.error.type, 'invalid_argument');
    assert.match(long.body.error.error, /timeoutMs 120000 .* at most 55000 \(delivery\.lease_ms 60000 minus 5000 ms.*raise delivery\.lease_ms/);
    assert.equal((await s.api('GET', '/api/v1/webhooks')).body.webhooks.length, 0, 'nothing was written');

    const ok = await s.api('POST', '/api/v1/webhooks', { ...base, name: 'ok', timeoutMs: 55_000 });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.webhook.timeoutMs, 55_000);
    const id = ok.body.webhook.id;
    const patch = await s.api('PATCH', `/api/v1/webhooks/${id}`, { timeoutMs: 55_001 });
    assert.equal(patch.status, 400, patch.text);
    assert.equal((await s.api('GET', `/api/v1/webhooks/${id}`)).body.webhook.timeoutMs, 55_000, 'unchanged');
  } finally {
    await s.stop();
  }
});
