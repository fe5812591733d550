/** The delivery sweeper (src/delivery/sweeper.ts): its schedule, and its batches. What a pass deletes is in store.contract.test.ts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { AttemptResult, Store } from '../store/store.js';
import { FakeClock } from '../../test/helpers/fake-clock.js';
import { withTempStore } from '../../test/helpers/temp-store.js';
import { FIRST_SWEEP_MS, startSweeper, sweepDeliveryLog } from './sweeper.js';

const T0 = 1_700_000_000_000;

test('the first sweep comes soon after start, then one every period; stop() ends them', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
  const calls: [number, number][] = [];
  const store = {
    transaction: <T>(fn: (tx: Store) => Promise<T>) => fn(store),
    sweepDeliveries: async (o: { before: number }) => { calls.push([o.before, 0]); return { deleted: 0, attempts: 0, next: null }; },
    attemptIdBehind: async () => null,
    sweepAttempts: async () => ({ deleted: 0, next: null }),
  } as unknown as Store;
  const settle = () => new Promise((r) => setImmediate(r));
  const clock = new FakeClock();
  const s = startSweeper({ store, clock, log: pino({ level: 'silent' }), retentionMs: 1000, maxAttempts: 5000, everyMs: 600_000 });
  t.mock.timers.tick(FIRST_SWEEP_MS - 1);
  assert.equal(calls.length, 0);
  t.mock.timers.tick(1);
  assert.deepEqual(calls, [[clock.now() - 1000, 0]], 'the first sweep');
  assert.ok(FIRST_SWEEP_MS <= 60_000, 'soon: within a minute of start');
  await settle();
  t.mock.timers.tick(600_000);
  assert.equal(calls.length, 2, 'then periodically');
  await settle();
  await s.stop();
  t.mock.timers.tick(600_000);
  assert.equal(calls.length, 2, 'none after stop()');
});

test('a pass deletes in small transactions: a write made meanwhile commits between two batches, not after the pass', async () => {
  await withTempStore('sweeper', async (store) => {
    const n = 2000;
    const ids = await store.enqueueDeliveries(Array.from({ length: n }, (_, i) => ({
      eventId: `e-${i}`, webhookId: null, url: 'http://x', eventType: 'EXPERIMENT_STATE_CHANGE', payload: '{}',
      contentType: 'application/json', signed: true, nextAttemptAt: T0,
    })), T0);
    const claimed = await store.claimDeliveries(T0, n, T0 + 60_000);
    await store.recordAttempts(claimed.map((d): AttemptResult => ({
      attempt: { deliveryId: d.id, webhookId: null, attempt: 1, startedAt: T0, durationMs: 1, statusCode: 200, outcome: 'ok', error: null, responseBody: null, remoteAddress: null, url: 'http://x', requestHeaders: {}, responseHeaders: null },
      status: 'delivered', nextAttemptAt: null, webhook: 'healthy', leaseUntil: d.leaseUntil,
    })), T0);
    let passDone = 0;
    let writeDone = 0;
    let tick = 0;
    const pass = sweepDeliveryLog(store, { before: T0 + 1, keepAttempts: 1_000_000, batchRows: 100, pauseMs: 5 }).then((t) => { passDone = ++tick; return t; });
    // Issued once the pass has started (its first batch is in its transaction).
    await new Promise((r) => setTimeout(r, 1));
    const write = store.enqueueDeliveries([{
      eventId: 'late', webhookId: null, url: 'http://x', eventType: 'EXPERIMENT_STATE_CHANGE', payload: '{}',
      contentType: 'application/json', signed: true, nextAttemptAt: T0 + 10,
    }], T0 + 10).then(() => { writeDone = ++tick; });
    const [totals] = await Promise.all([pass, write]);
    assert.deepEqual([totals.deliveries, totals.attempts], [n, n], 'every finished delivery and its attempt');
    assert.ok(totals.batches >= n / 100, `${totals.batches} batches of at most 100 rows`);
    assert.ok(writeDone < passDone, 'the write did not wait for the whole pass');
    assert.deepEqual((await store.listDeliveries({ limit: 10 })).map((d) => d.eventId), ['late'], 'the new delivery stays');
    assert.equal(ids.length, n);
  });
});
