/**
 * The sending thread (delivery.send_thread): the same bytes and signatures as the in-thread sender, the engine's
 * clock for timestamps, the SSRF guard inside the thread, and a thread that dies costs an attempt, not the engine.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { ThreadedHttpSender } from '../../src/delivery/send-thread.js';
import { startSink } from '../helpers/harness.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { loadVectors } from '../helpers/vectors.js';

const log = pino({ level: 'silent' });

test('the sending thread signs like Determined (vectors), with the engine clock, and sends the body unchanged', async () => {
  const sink = await startSink();
  const v = loadVectors().determined;
  let key = v[0]!.key;
  const clock = new FakeClock(v[0]!.timestamp * 1000 + 250);
  const sender = new ThreadedHttpSender({ outboundAllow: ['127.0.0.0/8'], timeoutMs: 5000, responseBodyBytes: 1024 }, { signingKey: () => key, clock, log });
  try {
    // Several requests in one turn share one message; each gets its own result.
    const results = await Promise.all([0, 1, 2].map((i) => sender.send({
      url: `${sink.url}/x${i}`, body: v[0]!.body, contentType: 'application/json', signed: true, eventId: `e${i}`, standardSecrets: [], timestampSec: v[0]!.timestamp,
    })));
    assert.deepEqual(results.map((r) => r.outcome), ['ok', 'ok', 'ok']);
    assert.deepEqual(sink.requests.map((r) => r.path).sort(), ['/x0', '/x1', '/x2']);
    assert.equal(results[0]!.statusCode, 200);
    assert.equal(results[0]!.startedAt, clock.now(), 'startedAt is the engine clock, not the thread\'s');
    assert.equal(sink.requests[0]!.text, v[0]!.body);
    assert.equal(sink.requests[0]!.headers['x-determined-ai-signature'], v[0]!.signature);
    assert.equal(sink.requests[0]!.headers['x-determined-ai-signature-timestamp'], String(v[0]!.timestamp));
    // Key changes reach the thread; without timestampSec the signature timestamp is the engine clock's second.
    for (const vec of v) {
      key = vec.key;
      const fake = new FakeClock(vec.timestamp * 1000 + 999);
      const s2 = new ThreadedHttpSender({ outboundAllow: ['127.0.0.0/8'], timeoutMs: 5000, responseBodyBytes: 1024 }, { signingKey: () => key, clock: fake, log });
      try {
        const r = await s2.send({ url: `${sink.url}/y`, body: vec.body, contentType: 'application/json', signed: true, eventId: 'e', standardSecrets: [] });
        assert.equal(r.outcome, 'ok');
        const got = sink.requests.at(-1)!;
        assert.equal(got.headers['x-determined-ai-signature'], vec.signature, vec.source);
        assert.equal(got.headers['x-determined-ai-signature-timestamp'], String(vec.timestamp));
        assert.equal(got.text, vec.body);
      } finally {
        await s2.close();
      }
    }
    // Standard Webhooks headers are made in the thread too.
    const sw = loadVectors().standard_webhooks[0]!;
    const fake = new FakeClock(sw.timestamp! * 1000);
    const s3 = new ThreadedHttpSender({ outboundAllow: ['127.0.0.0/8'], timeoutMs: 5000, responseBodyBytes: 1024 }, { signingKey: () => 'k', clock: fake, log });
    try {
      await s3.send({ url: `${sink.url}/z`, body: sw.body, contentType: 'application/json', signed: false, eventId: sw.msg_id, standardSecrets: [sw.secret] });
      const got = sink.requests.at(-1)!;
      assert.equal(got.headers['webhook-id'], sw.msg_id);
      assert.equal(got.headers['webhook-timestamp'], String(sw.timestamp));
      assert.equal(got.headers['webhook-signature'], sw.signature);
    } finally {
      await s3.close();
    }
  } finally {
    await sender.close();
    await sink.close();
  }
});

test('the sending thread keeps the SSRF guard: loopback is refused without an allowlist', async () => {
  const sink = await startSink();
  const sender = new ThreadedHttpSender({ outboundAllow: [], timeoutMs: 5000, responseBodyBytes: 1024 }, { signingKey: () => 'k', clock: new FakeClock(), log });
  try {
    const r = await sender.send({ url: `${sink.url}/x`, body: '{}', contentType: 'application/json', signed: true, eventId: 'e', standardSecrets: [] });
    assert.equal(r.outcome, 'refused');
    assert.match(r.error ?? '', /loopback/);
    assert.equal(sink.requests.length, 0);
  } finally {
    await sender.close();
    await sink.close();
  }
});

test('a sending thread that dies fails its attempts in flight (to be retried), and the next send starts a new one', async () => {
  const sink = await startSink();
  sink.delay(5000);
  const sender = new ThreadedHttpSender({ outboundAllow: ['127.0.0.0/8'], timeoutMs: 10_000, responseBodyBytes: 1024 }, { signingKey: () => 'k', clock: new FakeClock(), log });
  try {
    const inFlight = sender.send({ url: `${sink.url}/slow`, body: '{}', contentType: 'application/json', signed: true, eventId: 'e', standardSecrets: [] });
    await sink.waitFor(1);
    await (sender as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    const r = await inFlight;
    assert.equal(r.outcome, 'other');
    assert.match(r.error ?? '', /sending thread exited/);
    sink.delay(0);
    const again = await sender.send({ url: `${sink.url}/again`, body: '{}', contentType: 'application/json', signed: true, eventId: 'e', standardSecrets: [] });
    assert.equal(again.outcome, 'ok');
  } finally {
    await sender.close();
    await sink.close();
  }
});

test('destroy (shutdown after the grace period): the thread\'s attempts in flight end now, without waiting for the endpoint', async () => {
  const sink = await startSink();
  sink.delay(30_000);
  const sender = new ThreadedHttpSender({ outboundAllow: ['127.0.0.0/8'], timeoutMs: 30_000, responseBodyBytes: 1024 }, { signingKey: () => 'k', clock: new FakeClock(), log });
  try {
    const inFlight = sender.send({ url: `${sink.url}/hang`, body: '{}', contentType: 'application/json', signed: true, eventId: 'e', standardSecrets: [] });
    await sink.waitFor(1);
    const t0 = Date.now();
    await sender.destroy('aborted: shutting down');
    const r = await inFlight;
    assert.ok(Date.now() - t0 < 1500, 'the thread was told and ended, not waited for');
    assert.deepEqual([r.outcome, r.error], ['other', 'aborted: shutting down']);
    const later = await sender.send({ url: `${sink.url}/later`, body: '{}', contentType: 'application/json', signed: true, eventId: 'e', standardSecrets: [] });
    assert.deepEqual([later.outcome, later.error], ['other', 'aborted: shutting down']);
    assert.equal(sink.requests.length, 1, 'nothing sent after destroy');
  } finally {
    await sender.close();
    await sink.close();
  }
});
