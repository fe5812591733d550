/** Migrations that change data, on a database as the previous version left it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../open.js';

test('0009: open deliveries of webhooks deleted before it (webhook_id NULL) become dead; the rest are untouched', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'migrations-'));
  const path = join(dir, 'db.sqlite');
  try {
    const { store } = await openSqliteStore(path);
    const w = await store.createWebhook({ url: 'http://a', webhookType: 'DEFAULT', workspaceId: null, name: 'a', mode: 'WORKSPACE', schemes: ['determined'], swSecret: null }, [], 1);
    const row = (i: number, webhookId: number | null, status: string) => ({
      eventId: `e-${i}`, webhookId, url: `http://a/${i}`, eventType: 'CUSTOM', payload: '{}', contentType: null, signed: false,
      nextAttemptAt: 1, leaseUntil: status === 'delivering' ? 5 : null,
    });
    const ids = await store.enqueueDeliveries([row(1, null, 'pending'), row(2, null, 'delivering'), row(3, null, 'pending'), row(4, w.id, 'pending')], 1);
    await store.close();
    // As the previous version left it: a failed orphan and a delivered one too, and 0009 not applied yet.
    const db = new Database(path);
    db.prepare("UPDATE deliveries SET status = 'failed', attempts = 2 WHERE id = ?").run(ids[2]);
    db.prepare("INSERT INTO deliveries (event_id, webhook_id, url, event_type, payload, content_type, signed, status, attempts, next_attempt_at, created_at, updated_at) VALUES ('e-5', NULL, 'http://a/5', 'CUSTOM', '{}', NULL, 0, 'delivered', 1, 1, 1, 1)").run();
    db.prepare("DELETE FROM kysely_migration WHERE name = '0009_deleted_webhook_deliveries'").run();
    db.close();

    const { store: again } = await openSqliteStore(path);
    try {
      const all = await again.listDeliveries({ limit: 10 });
      assert.deepEqual(all.map((d) => [d.eventId, d.status, d.lastError, d.leaseUntil]).reverse(), [
        ['e-1', 'dead', 'webhook deleted', null],
        ['e-2', 'dead', 'webhook deleted', null],
        ['e-3', 'dead', 'webhook deleted', null],
        ['e-4', 'pending', null, null],
        ['e-5', 'delivered', null, null],
      ]);
    } finally {
      await again.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
