/**
 * FIFO heads are read off an index of FIFO webhooks' open deliveries only (deliveries_fifo_open: the row's `fifo`
 * column, copied from the webhook when the row is written and whenever the mode changes). Both claims (per webhook,
 * and the scan used past 64 webhooks) must hand out a FIFO webhook's oldest open delivery and nothing behind it,
 * including for rows queued before the webhook was switched to FIFO; switched back, its rows are claimed freely.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../src/store/open.js';
import type { DeliveryInput, Store } from '../../src/store/store.js';

const T0 = 1_700_000_000_000;

for (const webhooks of [2, 70]) {
  const path = webhooks > 64 ? 'the scan over the whole queue' : 'the claim per webhook';
  test(`a FIFO webhook's head alone is claimed, for rows queued before and after the switch (${path})`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-fifo-claim-'));
    const { store } = await openSqliteStore(join(dir, 'db.sqlite'));
    try {
      const ids: number[] = [];
      for (let i = 0; i < webhooks; i++) {
        const w = await store.createWebhook({
          url: `http://127.0.0.1:9/w${i}`, webhookType: 'DEFAULT', workspaceId: null, name: `w${i}`, mode: 'WORKSPACE',
          schemes: ['determined'], swSecret: null,
        }, [{ triggerType: 'EXPERIMENT_STATE_CHANGE', condition: { state: 'COMPLETED' } }], T0);
        ids.push(w.id);
      }
      const [a, b] = [ids[0]!, ids[1]!];
      let n = 0;
      const row = (webhookId: number): DeliveryInput => ({
        eventId: `ev-${n++}`, webhookId, url: 'http://127.0.0.1:9/x', eventType: 'EXPERIMENT_STATE_CHANGE', payload: '{}',
        contentType: 'application/json', signed: true, nextAttemptAt: T0, leaseUntil: null,
      });
      const enqueue = (rows: DeliveryInput[]) => store.transaction((tx: Store) => tx.enqueueDeliveries(rows, T0));
      const before = await enqueue([row(a), row(a), row(b)]);
      assert.ok(await store.updateWebhook(a, { fifo: true }, undefined, T0));
      const after = await enqueue([row(a), row(b)]);

      const claimed = await store.claimDeliveries(T0, 100, T0 + 60_000);
      const ofA = claimed.filter((d) => d.webhookId === a).map((d) => d.id);
      assert.deepEqual(ofA, [before[0]], 'only the FIFO webhook\'s oldest open delivery');
      assert.deepEqual(claimed.filter((d) => d.webhookId === b).map((d) => d.id).sort((x, y) => x - y), [before[2], after[1]]);
      assert.deepEqual(await store.claimDeliveries(T0, 100, T0 + 60_000), [], 'nothing behind a head in flight');

      const deliver = async (d: { id: number; leaseUntil: number | null }, at: number) => store.recordAttempts([{
        attempt: {
          deliveryId: d.id, webhookId: a, attempt: 1, startedAt: at, durationMs: 1, statusCode: 200, outcome: 'ok', error: null,
          responseBody: null, remoteAddress: '127.0.0.1', url: 'http://127.0.0.1:9/x', requestHeaders: {}, responseHeaders: null,
        },
        status: 'delivered', nextAttemptAt: null, webhook: 'healthy', leaseUntil: d.leaseUntil,
      }], at);

      // Each head delivered, the next in creation order is the new head: the one queued before the switch, then
      // the one queued after it.
      await deliver(claimed.find((d) => d.id === before[0])!, T0 + 1);
      const second = await store.claimDeliveries(T0 + 2, 100, T0 + 60_000);
      assert.deepEqual(second.map((d) => d.id), [before[1]]);
      await deliver(second[0]!, T0 + 3);
      const third = await store.claimDeliveries(T0 + 4, 100, T0 + 60_000);
      assert.deepEqual(third.map((d) => d.id), [after[0]]);

      // Back to best effort, with the head in flight: what is queued behind it is claimed without waiting.
      const more = await enqueue([row(a), row(a)]);
      assert.ok(await store.updateWebhook(a, { fifo: false }, undefined, T0 + 5));
      assert.deepEqual((await store.claimDeliveries(T0 + 6, 100, T0 + 60_000)).map((d) => d.id).sort((x, y) => x - y), more);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
