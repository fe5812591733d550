/**
 * Direct handoff: a delivery the engine has room for is written already leased by the write that creates it, and
 * sent without a claim; past its room it waits pending for a claim; a write that fails gives the room back; a
 * handoff committed after the engine stopped hands its deliveries back to the store.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startSink, startTestServer, until } from '../helpers/harness.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { openSqliteStore } from '../../src/store/open.js';
import { DeliveryWorker } from '../../src/delivery/worker.js';
import { EngineEvents } from '../../src/delivery/engine-events.js';
import { defaultPolicy } from '../../src/core/retry.js';
import { EventSource } from '../../src/sender/event-source.js';
import { ExperimentService } from '../../src/sender/experiment-service.js';
import type { OutboundRequest, Sender, SendResult } from '../../src/delivery/http-sender.js';
import type { Store } from '../../src/store/store.js';
import { SqlStore } from '../../src/store/sql-store.js';

const COMPLETED = [{ triggerType: 'TRIGGER_TYPE_EXPERIMENT_STATE_CHANGE', condition: { state: 'COMPLETED' } }];

/**
 * Counts the rows the engine gets from claims (a handed-off delivery never comes from one): every claim, alone or in
 * the transaction that records attempts (on whichever store object the group commit hands out), runs claimIn.
 */
function countClaims(): { rows: number; restore(): void } {
  const proto = SqlStore.prototype as unknown as { claimIn: (...a: unknown[]) => Promise<unknown[]> };
  const claimIn = proto.claimIn;
  const seen = {
    rows: 0,
    restore() { proto.claimIn = claimIn; },
  };
  proto.claimIn = async function (this: unknown, ...a: unknown[]) {
    const r = await claimIn.apply(this, a);
    seen.rows += r.length;
    return r;
  };
  return seen;
}

test('a new delivery is written leased and sent without a claim; past the webhook\'s room it waits for one', async (t) => {
  const clock = new FakeClock();
  const s = await startTestServer({ clock });
  const sink = await startSink();
  try {
    const claims = countClaims();
    t.after(() => claims.restore());
    const w = await s.api('POST', '/api/v1/webhooks', { url: `${sink.url}/h`, name: 'one', triggers: COMPLETED, maxConcurrency: 1 });
    assert.equal(w.status, 200, w.text);
    sink.delay(300);
    const fire = async () => {
      const e = await s.api('POST', '/api/v1/experiments', { name: 'e' });
      const r = await s.api('POST', `/api/v1/experiments/${e.body.experiment.id}/state`, { state: 'COMPLETED' });
      assert.equal(r.status, 200, r.text);
    };
    await fire();
    // Written as delivering, leased, before any claim ran: the response came after the commit that wrote it.
    const [first] = (await s.api('GET', '/api/v1/deliveries')).body.deliveries;
    assert.equal(first.status, 'delivering');
    const stored = await s.running.ctx.store.getDelivery(first.id);
    assert.equal(stored!.leaseUntil, clock.now() + s.running.ctx.config.delivery.lease_ms, 'written with its lease');
    await sink.waitFor(1);
    assert.equal(claims.rows, 0, 'the first delivery came from the handoff, not a claim');
    // maxConcurrency 1 and the first still in flight (the sink answers after 300 ms): the next two wait pending.
    await fire();
    await fire();
    const pending = (await s.api('GET', '/api/v1/deliveries?status=pending')).body.deliveries;
    assert.equal(pending.length, 2, 'no room for the webhook: left for a claim');
    await sink.waitFor(3, 10_000);
    await until(async () => (await s.api('GET', '/api/v1/deliveries?status=delivered')).body.deliveries.length === 3, 'three delivered');
    assert.equal(claims.rows, 2, 'the two that waited came from claims');
    const ids = new Set(sink.requests.map((r) => JSON.parse(r.text).event_id ?? r.headers['webhook-id']));
    assert.equal(sink.requests.length, 3, 'each sent once');
    assert.equal(ids.size, 3);
  } finally {
    await s.stop();
    await sink.close();
  }
});

/** A sender that answers 200 at once and remembers what it sent. */
class FakeSender implements Sender {
  sent: OutboundRequest[] = [];
  constructor(private readonly clock: FakeClock) {}
  async send(req: OutboundRequest): Promise<SendResult> {
    this.sent.push(req);
    return {
      outcome: 'ok', statusCode: 200, error: null, responseBody: 'ok', remoteAddress: '127.0.0.1', durationMs: 1,
      startedAt: this.clock.now(), requestHeaders: {}, responseHeaders: {}, retryAfter: null,
    };
  }
  async close(): Promise<void> {}
  async destroy(): Promise<void> {}
}

test('a write that fails gives the room back and sends nothing; a handoff committed after stop hands its rows back', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-handoff-'));
  const clock = new FakeClock();
  const { store } = await openSqliteStore(join(dir, 'db.sqlite'));
  const sender = new FakeSender(clock);
  const worker = new DeliveryWorker({
    store, sender, clock, log: pino({ level: 'silent' }), events: new EngineEvents(), policy: defaultPolicy,
    batchSize: 64, concurrency: 8, perWebhookConcurrency: 1, leaseMs: 60_000, defaultTimeoutMs: 5000, disableAfterMs: 0,
  });
  try {
    const w = await store.transaction(async (tx) => tx.createWebhook({
      url: 'http://127.0.0.1:9/h', webhookType: 'DEFAULT', workspaceId: null, name: 'w', mode: 'WORKSPACE',
      schemes: ['determined'], swSecret: null,
    }, [{ triggerType: 'EXPERIMENT_STATE_CHANGE', condition: { state: 'COMPLETED' } }], clock.now()));
    worker.start();
    const h1 = worker.handoff();
    assert.ok(h1.take(w), 'room for one');
    assert.equal(worker.handoff().take(w), null, 'perWebhookConcurrency 1: no room for a second');
    h1.abort();
    assert.ok(worker.handoff().take(w), 'the aborted handoff gave its slot back');
    // (that last handoff is left open on purpose: its slot stays taken)

    // Through the service: a write that rolls back after taking the delivery.
    const worker2 = new DeliveryWorker({
      store, sender, clock, log: pino({ level: 'silent' }), events: new EngineEvents(), policy: defaultPolicy,
      batchSize: 64, concurrency: 8, perWebhookConcurrency: 1, leaseMs: 60_000, defaultTimeoutMs: 5000, disableAfterMs: 0,
    });
    worker2.start();
    const source = new EventSource(clock, 'http://localhost');
    const exp = await store.transaction((tx) => tx.createExperiment({
      name: 'e', state: 'ACTIVE', workspaceId: 1, projectId: 1, workspaceName: '', projectName: '', resourcePool: 'default',
      slotsPerTrial: 1, integrations: { webhook_id: null, webhook_name: null, exclude: false }, startTime: clock.now(),
    }, clock.now()));
    const failing = { transaction: <T>(fn: (tx: Store) => Promise<T>) => store.transaction(async (tx) => { await fn(tx); throw new Error('rolled back'); }) };
    const service = new ExperimentService(store, clock, source, failing, worker2);
    await assert.rejects(service.setState(exp.id, { state: 'COMPLETED' }), /rolled back/);
    assert.equal((await store.listDeliveries({ limit: 10 })).length, 0, 'nothing written');
    assert.ok(worker2.handoff().take(w), 'the failed write gave its slot back');
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(sender.sent.length, 0, 'nothing sent');
    await worker2.stop(100);

    // A write that commits after its engine stopped: the delivery is handed back, due now, for the next start.
    const worker3 = new DeliveryWorker({
      store, sender, clock, log: pino({ level: 'silent' }), events: new EngineEvents(), policy: defaultPolicy,
      batchSize: 64, concurrency: 8, perWebhookConcurrency: 4, leaseMs: 60_000, defaultTimeoutMs: 5000, disableAfterMs: 0,
    });
    worker3.start();
    let stopping: Promise<void> | null = null;
    const stopMidWrite = { transaction: <T>(fn: (tx: Store) => Promise<T>) => store.transaction(async (tx) => { const v = await fn(tx); stopping = worker3.stop(100); return v; }) };
    const r = await new ExperimentService(store, clock, source, stopMidWrite, worker3).setState(exp.id, { state: 'COMPLETED' });
    assert.equal(r.events, 1);
    await stopping;
    await until(async () => (await store.listDeliveries({ limit: 10 }))[0]?.status === 'pending', 'the delivery handed back');
    const [d] = await store.listDeliveries({ limit: 10 });
    assert.equal(d!.leaseUntil, null);
    assert.equal(sender.sent.length, 0, 'not sent by a stopped engine');
  } finally {
    await worker.stop(100);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
