/**
 * Determined's delivery policy (`delivery.policy: determined`) on the outbox, with an injected clock: no test sleeps for a retry. A real sink
 * answers; the fake clock decides when a retry is due.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSink, startTestServer, type Sink, type TestServer, until } from '../helpers/harness.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { verifyDetermined } from '../../src/core/signing/determined.js';

async function setup(status: (n: number) => number): Promise<{ s: TestServer; sink: Sink; clock: FakeClock; complete: () => Promise<void> }> {
  const clock = new FakeClock();
  const s = await startTestServer({ clock, env: { SWITCHYARD_DELIVERY_POLICY: 'determined' } });
  const sink = await startSink();
  sink.respond(() => status(sink.requests.length));
  const wh = await s.api('POST', '/api/v1/webhooks', {
    url: `${sink.url}/h`, name: 'r', triggers: [{ triggerType: 'TRIGGER_TYPE_EXPERIMENT_STATE_CHANGE', condition: { state: 'COMPLETED' } }],
  });
  assert.equal(wh.status, 200);
  const exp = await s.api('POST', '/api/v1/experiments', { name: 'e' });
  return {
    s, sink, clock,
    complete: async () => { assert.equal((await s.api('POST', `/api/v1/experiments/${exp.body.experiment.id}/state`, { state: 'COMPLETED' })).status, 200); },
  };
}

async function delivery(s: TestServer): Promise<any> {
  const list = await s.api('GET', '/api/v1/deliveries');
  const d = await s.api('GET', `/api/v1/deliveries/${list.body.deliveries[0].id}`);
  return d.body;
}

test('5xx retries: 3 attempts in all, then dead; same event_id, a fresh signature timestamp each attempt', async () => {
  const { s, sink, clock, complete } = await setup(() => 503);
  try {
    await complete();
    await sink.waitFor(1);
    await until(async () => (await delivery(s)).delivery.status === 'failed', 'first failure recorded');
    const first = await delivery(s);
    const wait1 = Date.parse(first.delivery.nextAttemptAt) - clock.now();
    assert.ok(wait1 >= 500 && wait1 <= 1500, `first retry waits U[0.5 s, 1.5 s], got ${wait1}`);
    // Not due yet: nothing more is sent however long we wait in real time.
    clock.advance(wait1 - 1);
    s.running.ctx.worker.wake();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(sink.requests.length, 1);
    clock.advance(1001); // due now (+1 s, so the signature timestamp, in whole seconds, moves on)
    s.running.ctx.worker.wake();
    await sink.waitFor(2);
    await until(async () => (await delivery(s)).attempts.length === 2, 'second attempt recorded');
    const second = await delivery(s);
    const wait2 = Date.parse(second.delivery.nextAttemptAt) - clock.now();
    assert.ok(wait2 >= 750 && wait2 <= 2250, `second retry waits U[0.75 s, 2.25 s], got ${wait2}`);
    clock.advance(wait2 + 1000); // due, and a second later: the timestamp, in whole seconds, moves on even when wait2 < 1 s
    s.running.ctx.worker.wake();
    await sink.waitFor(3);
    await until(async () => (await delivery(s)).delivery.status === 'dead', 'dead after 3 attempts');
    const final = await delivery(s);
    assert.equal(final.delivery.attempts, 3);
    assert.deepEqual(final.attempts.map((a: any) => a.statusCode), [503, 503, 503]);
    clock.advance(3_600_000);
    s.running.ctx.worker.wake();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(sink.requests.length, 3, 'a dead delivery is not retried');
    const ids = sink.requests.map((r) => JSON.parse(r.text).event_id);
    assert.equal(new Set(ids).size, 1, 'event_id is stable across attempts');
    const ts = sink.requests.map((r) => r.headers['x-determined-ai-signature-timestamp']);
    assert.equal(new Set(ts).size, 3, 'the signature timestamp is taken per attempt');
    for (const r of sink.requests) {
      assert.ok(verifyDetermined('testsigningkey', r.headers['x-determined-ai-signature-timestamp'] as string, r.headers['x-determined-ai-signature'] as string, r.body));
    }
  } finally {
    await s.stop();
    await sink.close();
  }
});

test('a 5xx then a 2xx: delivered on the second attempt', async () => {
  const { s, sink, clock, complete } = await setup((n) => (n === 1 ? 500 : 204));
  try {
    await complete();
    await sink.waitFor(1);
    await until(async () => (await delivery(s)).delivery.status === 'failed', 'failure recorded');
    clock.advance(1500);
    s.running.ctx.worker.wake();
    await sink.waitFor(2);
    await until(async () => (await delivery(s)).delivery.status === 'delivered', 'delivered');
    const d = await delivery(s);
    assert.deepEqual(d.attempts.map((a: any) => [a.attempt, a.statusCode, a.outcome]), [[1, 500, 'http'], [2, 204, 'ok']]);
  } finally {
    await s.stop();
    await sink.close();
  }
});

test('4xx and 3xx are final: one attempt, dead, nothing retried', async () => {
  for (const code of [400, 404, 302]) {
    const { s, sink, clock, complete } = await setup(() => code);
    try {
      await complete();
      await sink.waitFor(1);
      await until(async () => (await delivery(s)).delivery.status === 'dead', `dead after ${code}`);
      clock.advance(60_000);
      s.running.ctx.worker.wake();
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(sink.requests.length, 1, `${code} is not retried`);
      const d = await delivery(s);
      assert.equal(d.attempts[0].statusCode, code);
      if (code === 302) assert.match(d.attempts[0].error, /redirect 302 not followed/);
    } finally {
      await s.stop();
      await sink.close();
    }
  }
});

test('a receiver that is down: connection errors retry, and the attempt log says why', async () => {
  const { s, sink, clock, complete } = await setup(() => 200);
  await sink.close();
  try {
    await complete();
    await until(async () => (await delivery(s)).attempts.length === 1, 'first attempt recorded');
    for (let i = 0; i < 2; i++) {
      clock.advance(2500);
      s.running.ctx.worker.wake();
      await until(async () => (await delivery(s)).attempts.length === i + 2, `attempt ${i + 2}`);
    }
    const d = await delivery(s);
    assert.equal(d.delivery.status, 'dead');
    assert.deepEqual(d.attempts.map((a: any) => a.outcome), ['connect', 'connect', 'connect']);
    assert.match(d.attempts[0].error, /connection refused/);
  } finally {
    await s.stop();
  }
});

test('a hanging receiver: the per-attempt timeout fires and is recorded as a timeout', async () => {
  const clock = new FakeClock();
  const s = await startTestServer({ clock, env: { SWITCHYARD_DELIVERY_TIMEOUT_MS: '300', SWITCHYARD_DELIVERY_POLICY: 'determined' } });
  const http = await import('node:http');
  const hang = http.createServer(() => { /* never answers */ });
  await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
  const port = (hang.address() as import('node:net').AddressInfo).port;
  try {
    await s.api('POST', '/api/v1/webhooks', {
      url: `http://127.0.0.1:${port}/`, name: 'h', triggers: [{ triggerType: 'TRIGGER_TYPE_EXPERIMENT_STATE_CHANGE', condition: { state: 'ERROR' } }],
    });
    const e = await s.api('POST', '/api/v1/experiments', { name: 'x' });
    await s.api('POST', `/api/v1/experiments/${e.body.experiment.id}/state`, { state: 'ERROR' });
    await until(async () => (await delivery(s)).attempts.length === 1, 'timed-out attempt recorded');
    const d = await delivery(s);
    assert.equal(d.attempts[0].outcome, 'timeout');
    assert.equal(d.delivery.status, 'failed');
  } finally {
    await s.stop();
    hang.closeAllConnections();
    hang.close();
  }
});
