/**
 * Deliveries of a deleted webhook (webhook_id NULL; Determined sends what was queued) share one webhook's room
 * (per_webhook_concurrency), so a deleted webhook's backlog to an endpoint that hangs cannot take every slot of the
 * engine from the webhooks that remain. Both claims (per webhook, and the scan used past 64 webhooks) keep to it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { until } from '../helpers/harness.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { openSqliteStore } from '../../src/store/open.js';
import { DeliveryWorker } from '../../src/delivery/worker.js';
import { EngineEvents } from '../../src/delivery/engine-events.js';
import { defaultPolicy } from '../../src/core/retry.js';
import type { OutboundRequest, Sender, SendResult } from '../../src/delivery/http-sender.js';
import type { DeliveryInput, Store } from '../../src/store/store.js';

/** Requests to /slow never end (until released); the others are answered 200 at once. */
class SlowPathSender implements Sender {
  slow: OutboundRequest[] = [];
  fast: OutboundRequest[] = [];
  private gates: (() => void)[] = [];
  constructor(private readonly clock: FakeClock) {}
  send(req: OutboundRequest): Promise<SendResult> {
    const ok = (): SendResult => ({
      outcome: 'ok', statusCode: 200, error: null, responseBody: 'ok', remoteAddress: '127.0.0.1', durationMs: 1,
      startedAt: this.clock.now(), requestHeaders: {}, responseHeaders: {}, retryAfter: null,
    });
    if (!req.url.endsWith('/slow')) { this.fast.push(req); return Promise.resolve(ok()); }
    this.slow.push(req);
    return new Promise((resolve) => this.gates.push(() => resolve(ok())));
  }
  release(): void { for (const g of this.gates.splice(0)) g(); }
  async close(): Promise<void> {}
  async destroy(): Promise<void> { this.release(); }
}

for (const webhooks of [2, 70]) {
  const path = webhooks > 64 ? 'the scan over the whole queue' : 'the claim per webhook';
  test(`a deleted webhook's deliveries to a hanging endpoint get one webhook's room, not every slot (${path})`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-orphans-'));
    const clock = new FakeClock();
    const { store } = await openSqliteStore(join(dir, 'db.sqlite'));
    const sender = new SlowPathSender(clock);
    const worker = new DeliveryWorker({
      store, sender, clock, log: pino({ level: 'silent' }), events: new EngineEvents(), policy: defaultPolicy,
      batchSize: 64, concurrency: 4, perWebhookConcurrency: 2, leaseMs: 60_000, defaultTimeoutMs: 5000, disableAfterMs: 0,
    });
    try {
      const ids: number[] = [];
      for (let i = 0; i < webhooks; i++) {
        const w = await store.transaction(async (tx) => tx.createWebhook({
          url: i === 0 ? 'http://127.0.0.1:9/slow' : 'http://127.0.0.1:9/fast', webhookType: 'DEFAULT', workspaceId: null,
          name: `w${i}`, mode: 'WORKSPACE', schemes: ['determined'], swSecret: null,
        }, [{ triggerType: 'EXPERIMENT_STATE_CHANGE', condition: { state: 'COMPLETED' } }], clock.now()));
        ids.push(w.id);
      }
      const row = (webhookId: number, url: string, n: number): DeliveryInput => ({
        eventId: `ev-${webhookId}-${n}`, webhookId, url, eventType: 'EXPERIMENT_STATE_CHANGE', payload: '{}',
        contentType: 'application/json', signed: true, nextAttemptAt: clock.now(), leaseUntil: null,
      });
      // The slow webhook's six come first (older), then two of a healthy webhook; then the slow one is deleted.
      await store.transaction(async (tx: Store) => {
        await tx.enqueueDeliveries(Array.from({ length: 6 }, (_, n) => row(ids[0]!, 'http://127.0.0.1:9/slow', n)), clock.now());
        await tx.enqueueDeliveries([row(ids[1]!, 'http://127.0.0.1:9/fast', 0), row(ids[1]!, 'http://127.0.0.1:9/fast', 1)], clock.now());
      });
      assert.equal(await store.deleteWebhook(ids[0]!), true);
      worker.start();
      await until(async () => sender.fast.length === 2, 'the healthy webhook\'s two sent');
      assert.equal(sender.slow.length, 2, 'the deleted webhook\'s deliveries: two in flight (per_webhook_concurrency), not four');
      await until(async () => (await store.listDeliveries({ limit: 20, status: 'delivered' })).length === 2, 'the healthy ones recorded');
      // They all go out in the end, two at a time.
      sender.release();
      await until(async () => { sender.release(); return (await store.listDeliveries({ limit: 20, status: 'delivered' })).length === 8; }, 'all eight delivered');
      assert.equal(sender.slow.length, 6, 'each of the deleted webhook\'s six sent once');
    } finally {
      sender.release();
      await worker.stop(100);
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
