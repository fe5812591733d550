/**
 * `POST /api/v1/webhooks/{id}/test` (spec §2, §3.2, §3.3, §4.1, §5): one synchronous attempt. DEFAULT is signed with
 * the payload's own timestamp; SLACK is unsigned with no Content-Type; a failing receiver is a 400 with
 * Determined's message.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSink, startTestServer } from '../helpers/harness.js';
import { assertSigned, assertUnsigned, createHook, envelopeOf, nowSec } from './helpers.js';

test('TEST endpoint, DEFAULT: signed, header timestamp == payload timestamp, body per §3.2', async () => {
  const sink = await startSink();
  const s = await startTestServer();
  try {
    const w = await createHook(s, { url: `${sink.url}/hook`, triggers: [{ state: 'COMPLETED' }] });
    const t0 = nowSec();
    const r = await s.api('POST', `/api/v1/webhooks/${w.id}/test`);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, { completed: true }); // Determined: always false (a documented Switchyard difference)
    assert.equal(sink.requests.length, 1); // synchronous: it has arrived when the call returns
    const req = sink.requests[0]!;
    assert.equal(req.method, 'POST');
    assert.equal(req.path, '/hook');
    const headerTs = assertSigned(req);
    const { eventId, ts } = envelopeOf(req, 'EXPERIMENT_STATE_CHANGE', t0);
    assert.equal(headerTs, ts);
    assert.equal(req.text, `{"event_id":"${eventId}","event_type":"EXPERIMENT_STATE_CHANGE","timestamp":${ts},"condition":{"state":"COMPLETED"},"event_data":{"data":"test"}}`);
    // not queued: no delivery rows
    assert.deepEqual((await s.api('GET', '/api/v1/deliveries')).body.deliveries, []);
    // each call is a new event
    assert.equal((await s.api('POST', `/api/v1/webhooks/${w.id}/test`)).status, 200);
    assert.equal(sink.requests.length, 2);
    assert.notEqual(envelopeOf(sink.requests[1]!, 'EXPERIMENT_STATE_CHANGE').eventId, eventId);
  } finally {
    await s.stop();
    await sink.close();
  }
});

test('TEST endpoint, SLACK: the test message, no signature headers, no Content-Type', async () => {
  const sink = await startSink();
  const s = await startTestServer();
  try {
    const w = await createHook(s, { url: `${sink.url}/slack`, type: 'SLACK', triggers: [{ state: 'COMPLETED' }] });
    const r = await s.api('POST', `/api/v1/webhooks/${w.id}/test`);
    assert.equal(r.status, 200, r.text);
    assert.equal(sink.requests.length, 1);
    const req = sink.requests[0]!;
    assert.equal(req.text, '{"blocks":[{"type":"section","text":{"type":"plain_text","text":"test"}}]}');
    assertUnsigned(req);
    assert.equal(req.headers['content-type'], undefined);
    assert.equal(req.headers['x-determined-ai-signature'], undefined);
  } finally {
    await s.stop();
    await sink.close();
  }
});

test('TEST endpoint: a failing receiver is HTTP 400 with Determined\'s message; one attempt only; 404 for an unknown id', async () => {
  const sink = await startSink();
  const s = await startTestServer();
  try {
    const w = await createHook(s, { url: `${sink.url}/fails`, triggers: [{ state: 'COMPLETED' }] });
    for (const code of [500, 404]) {
      sink.respond(code);
      const before = sink.requests.length;
      const r = await s.api('POST', `/api/v1/webhooks/${w.id}/test`);
      assert.equal(r.status, 400, r.text);
      assert.equal(r.body.error.code, 3);
      assert.equal(r.body.error.reason, 'InvalidArgument');
      const sent = sink.requests.at(-1)!;
      const { eventId } = envelopeOf(sent, 'EXPERIMENT_STATE_CHANGE');
      assert.equal(r.body.error.error, `received error from webhook server for event ${eventId} error: ${code} `);
      assert.equal(sink.requests.length, before + 1, 'no retry');
    }

    // nothing listening: Determined's transport-error message
    const closed = http.createServer();
    await new Promise<void>((res) => closed.listen(0, '127.0.0.1', res));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((res) => closed.close(() => res()));
    const dead = await createHook(s, { url: `http://127.0.0.1:${port}/gone`, triggers: [{ state: 'COMPLETED' }] });
    const r = await s.api('POST', `/api/v1/webhooks/${dead.id}/test`);
    assert.equal(r.status, 400, r.text);
    assert.match(r.body.error.error, /^error sending webhook request for event [0-9a-f-]{36} error: /);

    const missing = await s.api('POST', '/api/v1/webhooks/424242/test');
    assert.equal(missing.status, 404);
  } finally {
    await s.stop();
    await sink.close();
  }
});
