/**
 * Upgrades: a database written at an earlier migration opens with this build, keeps its rows and works with the new
 * schema (real SQLite files; each migration is applied to the rows the previous one left).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { sqliteMigrations } from './sqlite/migrations.js';
import { openSqliteStore } from './open.js';

test('0010: a database from before it gets the redeliveries index; bulk redelivery leaves out an event delivered since', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-migrate-'));
  const path = join(dir, 'db.sqlite');
  try {
    // The schema as the previous build left it (up to 0009), with an event whose dead delivery was redelivered
    // and delivered, and an event that only died.
    const old = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new Database(path) }) });
    const migrator = new Migrator({ db: old, provider: { getMigrations: async () => sqliteMigrations } });
    const { error } = await migrator.migrateTo('0009_leaner_delivery_indexes');
    assert.equal(error, undefined);
    await old.destroy();
    const raw = new Database(path);
    const indexes = (db: Database.Database) => (db.prepare(`SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'deliveries_redelivery_of'`).get() as { n: number }).n;
    assert.equal(indexes(raw), 0);
    raw.prepare(`INSERT INTO webhooks (id, url, webhook_type, workspace_id, scope_id, name, mode, created_at, updated_at)
      VALUES (1, 'http://a', 'DEFAULT', NULL, 0, 'a', 'WORKSPACE', 0, 0)`).run();
    const ins = raw.prepare(`INSERT INTO deliveries (id, event_id, webhook_id, url, event_type, payload, content_type, signed, status,
      attempts, next_attempt_at, created_at, updated_at, redelivery_of) VALUES (?, ?, 1, 'http://a', 'X', '{}', 'application/json', 1, ?, 1, 0, ?, ?, ?)`);
    ins.run(1, 'e-1', 'dead', 10, 10, null);
    ins.run(2, 'e-2', 'dead', 10, 10, null);
    ins.run(3, 'e-1', 'delivered', 500, 500, 1);
    raw.close();

    const { store } = await openSqliteStore(path);
    try {
      assert.deepEqual(await store.deadDeliveryIds(1, 0, 100, 10), [2], 'e-1 was delivered by its redelivery, made after the range');
      assert.deepEqual(await store.redeliveriesOf([1, 2]), new Map([[1, [{ id: 3, status: 'delivered' }]]]));
      assert.deepEqual((await store.outboxStats(0, { withRedelivered: true })).deadRedelivered, 1);
    } finally {
      await store.close();
    }
    const check = new Database(path, { readonly: true });
    assert.equal(indexes(check), 1);
    check.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
