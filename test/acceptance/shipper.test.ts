/**
 * Spec §7 cases 1, 2 and 7 (`shipper_test.go`, `TestDequeueEvents`): signing, and the outbox delivering every event
 * across a restart of the server on the same data dir.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { signDetermined, verifyDetermined } from '../../src/core/signing/determined.js';
import { drained, startSink, startTestServer, type SinkRequest } from '../helpers/harness.js';
import { assertSigned, createExperiment, createHook, envelopeOf, nowSec, setState, SIGNING_KEY } from './helpers.js';

test('case 1: payload signature generation (vector from shipper_test.go and the §4.1 extra vector)', () => {
  const body = '{"id":1,"state":"COMPLETED","name":"test-name","duration":1,"resource_pool":"default","slots_per_trial":1,"workspace":"workspace","project":"project"}';
  const sig = '899cc042278415da7d91605ffefe81376d64a4d842aa5663cd614f497f88910f';
  assert.equal(signDetermined(SIGNING_KEY, 1666890081, body), sig);
  assert.equal(verifyDetermined(SIGNING_KEY, '1666890081', sig, Buffer.from(body)), true);
  assert.equal(verifyDetermined(SIGNING_KEY, '1666890082', sig, Buffer.from(body)), false);
  const example = '{"event_id":"4cd26e62-60c6-4a8b-8d03-7629091a4ef5","event_type":"EXPERIMENT_STATE_CHANGE","timestamp":1665689991,"condition":{"state":"COMPLETED"},"event_data":{"experiment":{"id":41,"state":"COMPLETED","name":"cifar10_pytorch_const","duration":41,"resource_pool":"default","slots_per_trial":2,"workspace":"test workspace","project":"test project"}}}';
  assert.equal(signDetermined(SIGNING_KEY, 1665689991, example), 'f9d11abd048dffb85367b8274f7035c7039e4ec1954eccf3c73a6e5d40dcfb8c');
});

/** The experiment id of a DEFAULT state-change body, after checking the body is exactly what Go would write. */
function experimentOf(r: SinkRequest, names: Map<number, string>): { id: number; eventId: string } {
  const { eventId, ts } = envelopeOf(r, 'EXPERIMENT_STATE_CHANGE');
  const id = (JSON.parse(r.text) as any).event_data.experiment.id as number;
  const name = names.get(id);
  assert.ok(name, `unknown experiment ${id}`);
  const expected = `{"event_id":"${eventId}","event_type":"EXPERIMENT_STATE_CHANGE","timestamp":${ts},"condition":{"state":"COMPLETED"},`
    + `"event_data":{"experiment":{"id":${id},"state":"COMPLETED","name":"${name}","duration":0,"resource_pool":"default",`
    + `"slots_per_trial":1,"workspace":"","project":""}}}`;
  assert.equal(r.text, expected);
  return { id, eventId };
}

test('case 2: TestShipper — 19 completions, duplicate triggers, restart halfway: 3 distinct signed events per experiment', async () => {
  const sink = await startSink();
  sink.delay(100); // slow receiver: events are still queued or in flight when the first server stops
  // Determined's shipper has 3 workers; with 3 requests at a time the restart surely interrupts the queue.
  const three = { patch: (c: any) => { c.delivery.concurrency = 3; } };
  let s = await startTestServer(three);
  try {
    await createHook(s, { url: `${sink.url}/a`, triggers: [{ state: 'COMPLETED' }, { state: 'COMPLETED' }] });
    await createHook(s, { url: `${sink.url}/b`, triggers: [{ state: 'COMPLETED' }, { state: 'CANCELED' }] });
    const names = new Map<number, string>();
    const ids: number[] = [];
    const complete = async (i: number): Promise<void> => {
      const e = await createExperiment(s, { name: `shipper-${i}` });
      names.set(e.id, e.name);
      ids.push(e.id);
      assert.equal(await setState(s, e.id, 'COMPLETED'), 3);
      await new Promise((r) => setTimeout(r, 5)); // "on a schedule"
    };
    const t0 = nowSec();
    for (let i = 0; i < 10; i++) await complete(i);
    s = await s.restart(); // the shipper is closed and recreated halfway
    const atRestart = sink.requests.length;
    assert.ok(atRestart < 30, `expected part of the first 30 events to be left for the restarted server, all ${atRestart} were sent`);
    for (let i = 10; i < 19; i++) await complete(i);
    await drained(s);

    assert.equal(sink.requests.length, 57);
    const perExp = new Map<number, Set<string>>();
    const perEvent = new Map<string, number>();
    for (const r of sink.requests) {
      assert.equal(r.method, 'POST');
      const t = assertSigned(r);
      assert.ok(t >= t0 && t <= nowSec(), `signature timestamp ${t}`);
      const { id, eventId } = experimentOf(r, names);
      perExp.set(id, (perExp.get(id) ?? new Set()).add(eventId));
      perEvent.set(eventId, (perEvent.get(eventId) ?? 0) + 1);
    }
    assert.deepEqual([...perExp.keys()].sort((a, b) => a - b), ids);
    for (const [id, events] of perExp) assert.equal(events.size, 3, `experiment ${id}: ${events.size} distinct event ids`);
    // Determined allows 1–3 deliveries per event; Switchyard's graceful stop finishes what is in flight, so exactly 1.
    for (const [eventId, n] of perEvent) assert.equal(n, 1, `event ${eventId} delivered ${n} times`);
    // Webhook A's two COMPLETED triggers are two events; B's CANCELED trigger never fires.
    assert.equal(sink.byPath('/a').length, 38);
    assert.equal(sink.byPath('/b').length, 19);
  } finally {
    await s.stop();
    await sink.close();
  }
});

test('case 7: TestDequeueEvents — one event, a full batch, and events left queued by a stopped sender are sent after restart', async () => {
  const sink = await startSink();
  let s = await startTestServer();
  try {
    await createHook(s, { url: `${sink.url}/q`, triggers: [{ state: 'COMPLETED' }] });
    // one event
    const e1 = await createExperiment(s, { name: 'dequeue-one' });
    assert.equal(await setState(s, e1.id, 'COMPLETED'), 1);
    await drained(s);
    assert.equal(sink.requests.length, 1);
    // a full batch (Determined's maxEventBatchSize = 10)
    for (let i = 0; i < 10; i++) {
      const e = await createExperiment(s, { name: `dequeue-batch-${i}` });
      await setState(s, e.id, 'COMPLETED');
    }
    await drained(s);
    assert.equal(sink.requests.length, 11);
    assert.equal(new Set(sink.requests.map((r) => envelopeOf(r, 'EXPERIMENT_STATE_CHANGE').eventId)).size, 11);

    // "rolled back, then re-dequeued": a server that does not send leaves the event queued; the next one sends it once.
    s = await s.restart({ patch: (c) => { c.delivery.enabled = false; } });
    const e2 = await createExperiment(s, { name: 'dequeue-rollback' });
    assert.equal(await setState(s, e2.id, 'COMPLETED'), 1);
    await new Promise((r) => setTimeout(r, 100));
    const pending = await s.api('GET', '/api/v1/deliveries?status=pending');
    assert.equal(pending.body.deliveries.length, 1);
    assert.equal(sink.requests.length, 11);
    const queuedEventId = pending.body.deliveries[0].eventId as string;

    s = await s.restart({ patch: () => {} });
    await drained(s);
    assert.equal(sink.requests.length, 12);
    const last = sink.requests[11]!;
    assertSigned(last);
    assert.equal(envelopeOf(last, 'EXPERIMENT_STATE_CHANGE').eventId, queuedEventId);
    assert.equal(JSON.parse(last.text).event_data.experiment.id, e2.id);
  } finally {
    await s.stop();
    await sink.close();
  }
});

test('§5 retries: a 5xx is retried with the same bytes and event id, every attempt signed; a 4xx is final', async () => {
  const sink = await startSink();
  const seen = new Set<string>();
  // the first request of each event fails with 500, later ones succeed; /gone always answers 404
  sink.respond((r) => {
    if (r.path === '/gone') return 404;
    const id = JSON.parse(r.text).event_id as string;
    if (seen.has(id)) return 200;
    seen.add(id);
    return 500;
  });
  // Determined's policy (3 attempts, ~1 s apart); Switchyard's own default policy may differ.
  const s = await startTestServer({ patch: (c) => { c.delivery.policy = 'determined'; } });
  try {
    const flaky = await createHook(s, { url: `${sink.url}/flaky`, triggers: [{ state: 'COMPLETED' }] });
    const gone = await createHook(s, { url: `${sink.url}/gone`, triggers: [{ state: 'COMPLETED' }] });
    const e = await createExperiment(s, { name: 'retry' });
    assert.equal(await setState(s, e.id, 'COMPLETED'), 2);
    await sink.waitFor(3, 8000);
    await drained(s);
    await new Promise((r) => setTimeout(r, 200));
    const flakyReqs = sink.byPath('/flaky');
    assert.equal(flakyReqs.length, 2);
    assert.deepEqual(flakyReqs[0]!.body, flakyReqs[1]!.body);
    for (const r of flakyReqs) assertSigned(r);
    assert.equal(sink.byPath('/gone').length, 1);
    const delivered = await s.api('GET', `/api/v1/deliveries?webhookId=${flaky.id}&status=delivered`);
    assert.equal(delivered.body.deliveries.length, 1);
    assert.equal(delivered.body.deliveries[0].attempts, 2);
    const dead = await s.api('GET', `/api/v1/deliveries?webhookId=${gone.id}&status=dead`);
    assert.equal(dead.body.deliveries.length, 1);
    assert.equal(dead.body.deliveries[0].attempts, 1);
  } finally {
    await s.stop();
    await sink.close();
  }
});

test('§5: events already queued keep their URL — a later PATCH of the url or DELETE of the webhook does not redirect or drop them', async () => {
  const sink = await startSink();
  let s = await startTestServer({ patch: (c) => { c.delivery.enabled = false; } });
  try {
    const moved = await createHook(s, { url: `${sink.url}/old`, triggers: [{ state: 'COMPLETED' }] });
    const removed = await createHook(s, { url: `${sink.url}/removed`, triggers: [{ state: 'COMPLETED' }] });
    const e1 = await createExperiment(s, { name: 'queued-before-edit' });
    assert.equal(await setState(s, e1.id, 'COMPLETED'), 2);
    assert.equal((await s.api('PATCH', `/api/v1/webhooks/${moved.id}`, { url: `${sink.url}/new` })).status, 200);
    assert.equal((await s.api('DELETE', `/api/v1/webhooks/${removed.id}`)).status, 200);
    const e2 = await createExperiment(s, { name: 'queued-after-edit' });
    assert.equal(await setState(s, e2.id, 'COMPLETED'), 1);

    s = await s.restart({ patch: () => {} });
    await sink.waitFor(3);
    await drained(s);
    const idOf = (path: string) => sink.byPath(path).map((r) => JSON.parse(r.text).event_data.experiment.id);
    assert.deepEqual(idOf('/old'), [e1.id]);
    assert.deepEqual(idOf('/removed'), [e1.id]);
    assert.deepEqual(idOf('/new'), [e2.id]);
    assert.equal(sink.requests.length, 3);
    for (const r of sink.requests) assertSigned(r);
  } finally {
    await s.stop();
    await sink.close();
  }
});
