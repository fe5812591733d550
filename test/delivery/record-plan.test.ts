/**
 * The sender's batched statements must be driven by the batch: the JSON array of ids (json_each) is the outer loop and
 * each delivery is looked up by its primary key. When SQLite's planner instead walked every `delivering` row through
 * the deliveries_status index and scanned the whole array for each (session 7's lease check on the record UPDATE),
 * a record cost O(rows in flight × batch): fan-out fell from ~7,300 to ~2,400 deliveries/s with nothing else wrong.
 * This test captures the statements that claiming and recording really run and checks SQLite's plan for each.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../src/store/open.js';
import type { AttemptResult, DeliveryInput } from '../../src/store/store.js';

type Method = (...args: unknown[]) => unknown;
interface PlanRow { id: number; parent: number; detail: string }
interface Db { prepare(s: string): { all(...p: unknown[]): unknown[] }; close(): void }

const require = createRequire(import.meta.url);
const Database = require('better-sqlite3') as new (path: string, o?: { readonly?: boolean }) => Db;

const T0 = 1_700_000_000_000;

/** Runs `f` while recording the text and parameters of every statement run through better-sqlite3. */
async function capturing(f: () => Promise<void>): Promise<{ sql: string; params: unknown[] }[]> {
  const probe = new Database(':memory:');
  const proto = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<string, Method>;
  probe.close();
  const seen: { sql: string; params: unknown[] }[] = [];
  const saved = new Map<string, Method>();
  for (const m of ['run', 'get', 'all', 'iterate']) {
    const orig = proto[m]!;
    saved.set(m, orig);
    proto[m] = function (this: { source: string }, ...args: unknown[]) {
      seen.push({ sql: this.source, params: (Array.isArray(args[0]) ? args[0] : args) as unknown[] });
      return orig.apply(this, args);
    };
  }
  try {
    await f();
  } finally {
    for (const [m, orig] of saved) proto[m] = orig;
  }
  return seen;
}

test('claiming and recording deliveries look each one up by id from the batch, not by status', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'record-plan-'));
  const path = join(dir, 'db.sqlite');
  const { store } = await openSqliteStore(path);
  let reader: Db | null = null;
  try {
    const w = await store.createWebhook({ url: 'http://sink', webhookType: 'DEFAULT', workspaceId: null, name: 'p', mode: 'WORKSPACE', schemes: ['determined'], swSecret: null }, [], T0);
    const input = (i: number): DeliveryInput => ({
      eventId: `e-${i}`, webhookId: w.id, url: 'http://sink', eventType: 'EXPERIMENT_STATE_CHANGE', payload: `{"i":${i}}`,
      contentType: 'application/json', signed: true, nextAttemptAt: T0,
    });
    await store.enqueueDeliveries(Array.from({ length: 300 }, (_, i) => input(i)), T0);
    const statements = await capturing(async () => {
      const claimed = await store.claimDeliveries(T0, 300, T0 + 60_000);
      assert.equal(claimed.length, 300);
      // Recorded in part, as the engine does: most delivered, one retried, one dead (the alert path reads rows too).
      const results: AttemptResult[] = claimed.slice(0, 50).map((d, i) => ({
        attempt: {
          deliveryId: d.id, webhookId: w.id, attempt: 1, startedAt: T0, durationMs: 1, statusCode: i === 0 ? 400 : i === 1 ? 503 : 200,
          outcome: i < 2 ? 'http' as const : 'ok' as const, error: i < 2 ? 'HTTP error' : null, responseBody: null, remoteAddress: '127.0.0.1',
          url: 'http://sink', requestHeaders: {}, responseHeaders: null,
        },
        status: i === 0 ? 'dead' as const : i === 1 ? 'failed' as const : 'delivered' as const,
        nextAttemptAt: i === 1 ? T0 + 5000 : null, webhook: i < 2 ? 'failing' as const : 'healthy' as const, leaseUntil: d.leaseUntil,
      }));
      const out = await store.recordAttempts(results, T0 + 10);
      assert.equal(out.deadDeliveries.length, 1, 'the dead delivery was recorded (its row was found)');
    });
    const batched = [...new Map(statements.filter((s) => /json_each/.test(s.sql) && /deliveries/.test(s.sql)).map((s) => [s.sql, s])).values()];
    assert.ok(batched.length >= 3, `the claim, the record UPDATE and the dead rows' read run batched (saw ${batched.length})`);
    reader = new Database(path, { readonly: true });
    for (const s of batched) {
      const plan = reader.prepare(`EXPLAIN QUERY PLAN ${s.sql}`).all(...s.params) as PlanRow[];
      const text = plan.map((r) => r.detail).join(' | ');
      const onDeliveries = plan.filter((r) => /^(SCAN|SEARCH) (deliveries|d)\b/.test(r.detail));
      assert.ok(onDeliveries.length > 0, `plan reads deliveries: ${text}`);
      for (const r of onDeliveries) {
        // A search by primary key needs the ids from somewhere: the batch drives it (never a scan of rows by status).
        assert.match(r.detail, /INTEGER PRIMARY KEY|USING PRIMARY KEY/, `each delivery is found by id, not by walking an index or the table:\n${s.sql}\nplan: ${text}`);
      }
    }
  } finally {
    reader?.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
