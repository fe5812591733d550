/**
 * A micro-benchmark of the outbox's store work alone (no HTTP, no sending): the fan-out cycle of the engine on a real
 * SQLite file with the real schema, in µs of this thread per delivery. Each round group-commits 64 events of 10
 * deliveries (one savepoint per event, as the API's group commit does), then records the attempts of the previous
 * round, two batches of 320, each with the claim that refills the engine (as DeliveryWorker.flush does).
 *
 *   node dist/bench/store-cycle.js [--mode claim|handoff] [--rounds 300] [--body-bytes 700] [--temp-store file|memory]
 *     [--exec SQL]...   (statements run after the migrations: A/B of an index or a pragma)
 *
 * `claim`: events are enqueued pending, and the records' transactions claim them (the engine without handoff).
 * `handoff`: events are enqueued already leased (Handoff), and nothing is claimed.
 */
import { parseArgs } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { openSqliteStore } from '../src/store/open.js';
import type { AttemptResult, DeliveryInput } from '../src/store/store.js';

const { values: a } = parseArgs({
  options: {
    mode: { type: 'string' }, rounds: { type: 'string' }, 'body-bytes': { type: 'string' }, 'temp-store': { type: 'string' },
    exec: { type: 'string', multiple: true },
  },
});
const mode = a.mode ?? 'handoff';
// What an attempt log row holds for a signed delivery to a node:http endpoint (as HttpSender records them).
const REQUEST_HEADERS = {
  'content-type': 'application/json', 'user-agent': 'Switchyard-Webhooks/0.1', 'X-Determined-AI-Signature': 'dGhpcyBpcyBh…',
  'x-determined-ak-timestamp': '1765116000', 'content-length': '712',
};
const RESPONSE_HEADERS = { 'content-length': '2', date: 'Mon, 07 Dec 2026 14:00:00 GMT', connection: 'keep-alive', 'keep-alive': 'timeout=5' };
if (mode !== 'claim' && mode !== 'handoff') throw new Error('--mode is claim or handoff');
const rounds = Number(a.rounds ?? 300);
const dir = mkdtempSync(join(tmpdir(), 'switchyard-store-cycle-'));
const { store } = await openSqliteStore(join(dir, 'db.sqlite'), { checkpointThread: true });
try {
  const db = (store as unknown as { db: import('kysely').Kysely<any> }).db;
  if (a['temp-store'] === 'file') await sql`PRAGMA temp_store = FILE`.execute(db);
  // A/B of schema or pragma changes: statements run after the migrations, before the cycle.
  for (const text of a.exec ?? []) await sql.raw(text).execute(db);
  const payload = JSON.stringify({ event_type: 'EXPERIMENT_STATE_CHANGE', pad: 'x'.repeat(Number(a['body-bytes'] ?? 700)) });
  const hooks: number[] = [];
  for (let i = 0; i < 10; i++) {
    const w = await store.createWebhook({
      url: `http://127.0.0.1:9/h${i}`, webhookType: 'DEFAULT', workspaceId: null, name: `w${i}`, mode: 'WORKSPACE', schemes: ['determined'], swSecret: null,
    }, [{ triggerType: 'EXPERIMENT_STATE_CHANGE', condition: { state: 'COMPLETED' } }], 0);
    hooks.push(w.id);
  }
  let now = Date.now();
  let ev = 0;
  let delivered = 0;
  const queue: { id: number; webhookId: number }[] = [];
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  for (let r = 0; r < rounds; r++) {
    now += 1;
    await store.transaction(async (tx) => {
      for (let e = 0; e < 64; e++) {
        await tx.savepoint(async () => {
          const rows: DeliveryInput[] = hooks.map((h) => ({
            eventId: `ev-${ev}-${h}`, webhookId: h, url: 'http://127.0.0.1:9/h', eventType: 'EXPERIMENT_STATE_CHANGE', payload,
            contentType: 'application/json', signed: true, nextAttemptAt: now, leaseUntil: mode === 'handoff' ? now + 60_000 : null,
          }));
          ev++;
          const ids = await tx.enqueueDeliveries(rows, now);
          if (mode === 'handoff') ids.forEach((id, i) => queue.push({ id, webhookId: rows[i]!.webhookId! }));
        });
      }
    });
    for (let k = 0; k < 2; k++) {
      const results: AttemptResult[] = queue.splice(0, 320).map((d) => ({
        attempt: {
          deliveryId: d.id, webhookId: d.webhookId, attempt: 1, startedAt: now, durationMs: 1, statusCode: 200, outcome: 'ok', error: null,
          responseBody: 'ok', remoteAddress: '127.0.0.1', url: 'http://127.0.0.1:9/h', requestHeaders: REQUEST_HEADERS,
          responseHeaders: RESPONSE_HEADERS,
        },
        status: 'delivered', nextAttemptAt: null, webhook: 'healthy',
      }));
      delivered += results.length;
      const claim = mode === 'claim' ? { limit: 320, leaseUntil: now + 60_000, opts: { excludeWebhooks: [], roomFor: () => 128 } } : undefined;
      const out = await store.recordAttempts(results, now, undefined, claim);
      for (const d of out.claimed ?? []) queue.push({ id: d.id, webhookId: d.webhookId! });
    }
  }
  const wallUs = Number(process.hrtime.bigint() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(`store-cycle ${mode}, temp_store ${a['temp-store'] ?? 'memory'}: ${delivered} deliveries, `
    + `${(wallUs / delivered).toFixed(1)} µs per delivery (${((cpu.user + cpu.system) / delivered).toFixed(1)} µs CPU, checkpoint thread included)\n`);
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
