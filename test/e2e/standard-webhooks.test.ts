/**
 * A webhook that also signs with Standard Webhooks: deliveries carry webhook-id / webhook-timestamp /
 * webhook-signature, verified here by the reference `standardwebhooks` package; during a rotation both the new and
 * the old secret sign, so receivers holding either keep verifying.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Webhook } from 'standardwebhooks';
import { startSink, startTestServer } from '../helpers/harness.js';
import { verifyDetermined } from '../../src/core/signing/determined.js';

test('Standard Webhooks signatures verify with the reference library, across a secret rotation', async () => {
  const s = await startTestServer();
  const sink = await startSink();
  try {
    const created = await s.api('POST', '/api/v1/webhooks', {
      url: `${sink.url}/sw`, name: 'sw', signatureSchemes: ['determined', 'standard'],
      triggers: [{ triggerType: 'TRIGGER_TYPE_EXPERIMENT_STATE_CHANGE', condition: { state: 'COMPLETED' } }],
    });
    assert.equal(created.status, 200, created.text);
    const id = created.body.webhook.id;
    assert.deepEqual(created.body.webhook.signatureSchemes, ['determined', 'standard']);
    assert.match(created.body.webhook.standardWebhooks.secretPreview, /^whsec_.{4}…$/);
    assert.ok(!created.text.includes(((await s.api('GET', `/api/v1/webhooks/${id}/secret`)).body.secret)), 'the full secret is not in the webhook view');
    const { secret } = (await s.api('GET', `/api/v1/webhooks/${id}/secret`)).body;
    assert.match(secret, /^whsec_[A-Za-z0-9+/=]{40,}$/);

    const fire = async () => {
      const e = await s.api('POST', '/api/v1/experiments', { name: 'sw-exp' });
      await s.api('POST', `/api/v1/experiments/${e.body.experiment.id}/state`, { state: 'COMPLETED' });
    };
    await fire();
    const [r1] = await sink.waitFor(1);
    const headers = { 'webhook-id': r1!.headers['webhook-id'] as string, 'webhook-timestamp': r1!.headers['webhook-timestamp'] as string, 'webhook-signature': r1!.headers['webhook-signature'] as string };
    assert.equal(headers['webhook-id'], JSON.parse(r1!.text).event_id, 'webhook-id is the event id, stable across retries');
    new Webhook(secret).verify(r1!.text, headers);
    assert.ok(verifyDetermined('testsigningkey', r1!.headers['x-determined-ai-signature-timestamp'] as string, r1!.headers['x-determined-ai-signature'] as string, r1!.body), 'Determined signature still on');

    const rotated = await s.api('POST', `/api/v1/webhooks/${id}/rotate-secret`, { overlapSeconds: 3600 });
    assert.equal(rotated.status, 200, rotated.text);
    assert.equal(rotated.body.previousSecret, secret);
    assert.notEqual(rotated.body.secret, secret);
    await fire();
    const [, r2] = await sink.waitFor(2);
    const h2 = { 'webhook-id': r2!.headers['webhook-id'] as string, 'webhook-timestamp': r2!.headers['webhook-timestamp'] as string, 'webhook-signature': r2!.headers['webhook-signature'] as string };
    assert.equal(h2['webhook-signature'].split(' ').length, 2, 'two tokens while both secrets sign');
    new Webhook(secret).verify(r2!.text, h2);
    new Webhook(rotated.body.secret).verify(r2!.text, h2);
    assert.throws(() => new Webhook('whsec_' + Buffer.alloc(32, 7).toString('base64')).verify(r2!.text, h2));

    // Turning the scheme off removes the headers again.
    assert.equal((await s.api('PATCH', `/api/v1/webhooks/${id}`, { signatureSchemes: ['determined'] })).status, 200);
    await fire();
    const [, , r3] = await sink.waitFor(3);
    assert.equal(r3!.headers['webhook-signature'], undefined);
    assert.equal((await s.api('GET', `/api/v1/webhooks/${id}/secret`)).status, 400);
  } finally {
    await s.stop();
    await sink.close();
  }
});
