/**
 * The checkpoint thread copies committed WAL frames into the database file while the committing connection goes
 * on (its own automatic checkpoint is only a backstop at 10,000 pages, which these writes stay under).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStore } from './open.js';

test('the checkpoint thread moves committed pages into the database file; closing the store stops it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'checkpointer-'));
  const path = join(dir, 'db.sqlite');
  const { store } = await openSqliteStore(path, { checkpointThread: true });
  try {
    const before = statSync(path).size;
    const body = 'x'.repeat(1000);
    for (let i = 0; i < 20; i++) {
      await store.enqueueDeliveries(Array.from({ length: 100 }, (_, k) => ({
        eventId: `e-${i}-${k}`, webhookId: null, url: 'http://x/', eventType: 'EXPERIMENT_STATE_CHANGE', payload: body,
        contentType: 'application/json', signed: true, nextAttemptAt: 0,
      })), 0);
    }
    // ~2,000 KB committed: under the backstop's 10,000 pages, so only the thread can have copied it.
    const until = Date.now() + 5000;
    while (statSync(path).size < before + 1_500_000 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    assert.ok(statSync(path).size >= before + 1_500_000, `database file ${statSync(path).size} bytes (was ${before}): not checkpointed`);
    // Everything committed is readable from another connection (the WAL and the file agree).
    const other = new Database(path, { readonly: true });
    assert.equal((other.prepare('SELECT COUNT(*) AS n FROM deliveries').get() as { n: number }).n, 2000);
    other.close();
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
