/**
 * The Store contract: every implementation must pass these, on a real database, fresh per test.
 * (SQLite today; the PostgreSQL store joins the `stores` list when it exists.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from './open.js';
import type { DeliveryInput, Store } from './store.js';
import { sweepDeliveryLog } from '../delivery/sweeper.js';

const stores: { name: string; open: () => Promise<{ store: Store; cleanup: () => Promise<void> }> }[] = [
  {
    name: 'sqlite',
    open: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'store-contract-'));
      const { store } = await openSqliteStore(join(dir, 'db.sqlite'));
      return { store, cleanup: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); } };
    },
  },
];

const T0 = 1_700_000_000_000;

function delivery(i: number, at = T0): DeliveryInput {
  return {
    eventId: `e-${i}`, webhookId: null, url: `http://x/${i}`, eventType: 'EXPERIMENT_STATE_CHANGE', payload: `{"i":${i}}`,
    contentType: 'application/json', signed: true, nextAttemptAt: at,
  };
}

for (const impl of stores) {
  const it = (name: string, fn: (s: Store) => Promise<void>) => test(`${impl.name}: ${name}`, async () => {
    const { store, cleanup } = await impl.open();
    try { await fn(store); } finally { await cleanup(); }
  });

  it('settings: the first value put is kept', async (s) => {
    assert.equal(await s.putSettingIfAbsent('k', 'a'), 'a');
    assert.equal(await s.putSettingIfAbsent('k', 'b'), 'a');
    assert.equal(await s.getSetting('k'), 'a');
    assert.equal(await s.getSetting('none'), null);
  });

  it('the default workspace and project exist; projects are created once', async (s) => {
    assert.deepEqual((await s.listWorkspaces()).map((w) => [w.id, w.name]), [[1, 'Uncategorized']]);
    const p1 = await s.ensureProject(1, 'vision', T0);
    assert.equal(await s.ensureProject(1, 'vision', T0), p1);
    assert.equal(await s.ensureProject(1, 'Uncategorized', T0), 1);
  });

  it('webhooks: create with triggers, update replaces triggers, delete cascades, findTriggers filters by type and state', async (s) => {
    const w = await s.createWebhook({ url: 'http://a', webhookType: 'DEFAULT', workspaceId: null, name: 'a', mode: 'WORKSPACE', schemes: ['determined'], swSecret: null }, [
      { triggerType: 'EXPERIMENT_STATE_CHANGE', condition: { state: 'COMPLETED' } },
      { triggerType: 'TASK_LOG', condition: { regex: 'x' } },
    ], T0);
    assert.equal(w.triggers.length, 2);
    assert.equal((await s.findTriggers('EXPERIMENT_STATE_CHANGE', 'COMPLETED')).length, 1);
    assert.equal((await s.findTriggers('EXPERIMENT_STATE_CHANGE', 'ERROR')).length, 0);
    assert.equal((await s.findTriggers('TASK_LOG'))[0]!.webhook.id, w.id);
    const u = await s.updateWebhook(w.id, { url: 'http://b', schemes: ['determined', 'standard'] }, [{ triggerType: 'CUSTOM', condition: {} }], T0 + 1);
    assert.equal(u!.url, 'http://b');
    assert.deepEqual(u!.schemes, ['determined', 'standard']);
    assert.deepEqual(u!.triggers.map((t) => t.triggerType), ['CUSTOM']);
    assert.equal(await s.updateWebhook(999, { url: 'http://c' }, undefined, T0), null);
    assert.equal((await s.findWebhookByName('a', 0))!.id, w.id);
    assert.equal(await s.findWebhookByName('a', 1), null);
    assert.equal(await s.deleteWebhook(w.id), true);
    assert.equal(await s.deleteWebhook(w.id), false);
    assert.equal((await s.findTriggers('CUSTOM')).length, 0);
  });

  it('names are unique per scope (global = scope 0)', async (s) => {
    const base = { url: 'http://a', webhookType: 'DEFAULT' as const, mode: 'WORKSPACE' as const, schemes: ['determined' as const], swSecret: null };
    await s.createWebhook({ ...base, workspaceId: null, name: 'n' }, [], T0);
    await s.createWebhook({ ...base, workspaceId: 1, name: 'n' }, [], T0);
    await assert.rejects(s.createWebhook({ ...base, workspaceId: 1, name: 'n' }, [], T0));
  });

  it('a transaction that throws writes nothing', async (s) => {
    await assert.rejects(s.transaction(async (tx) => {
      await tx.createWorkspace('half', T0);
      await tx.enqueueDeliveries([delivery(1)], T0);
      throw new Error('boom');
    }));
    assert.equal(await s.getWorkspaceByName('half'), null);
    assert.equal((await s.listDeliveries({ limit: 10 })).length, 0);
  });

  it('task-log triggers fire at most once per (task, trigger)', async (s) => {
    const w = await s.createWebhook({ url: 'http://a', webhookType: 'DEFAULT', workspaceId: null, name: 'a', mode: 'WORKSPACE', schemes: ['determined'], swSecret: null },
      [{ triggerType: 'TASK_LOG', condition: { regex: 'x' } }], T0);
    await s.insertTask({ taskId: 't', taskType: 'COMMAND', experimentId: null, trialId: null, workspaceId: null, createdAt: T0 });
    await s.insertTask({ taskId: 't', taskType: 'OTHER', experimentId: null, trialId: null, workspaceId: null, createdAt: T0 });
    assert.equal((await s.getTask('t'))!.taskType, 'COMMAND');
    assert.equal(await s.claimTaskLogTrigger('t', w.triggers[0]!.id), true);
    assert.equal(await s.claimTaskLogTrigger('t', w.triggers[0]!.id), false);
  });

  it('outbox: claim leases due rows only, in order; expired leases are claimed again; results move rows on', async (s) => {
    await s.enqueueDeliveries([delivery(1), delivery(2), delivery(3, T0 + 10_000)], T0);
    const c1 = await s.claimDeliveries(T0, 10, T0 + 1000);
    assert.deepEqual(c1.map((d) => d.eventId), ['e-1', 'e-2']);
    assert.ok(c1.every((d) => d.status === 'delivering'));
    assert.equal((await s.claimDeliveries(T0 + 500, 10, T0 + 1500)).length, 0, 'leased rows are not claimed twice');
    assert.equal(await s.nextDueAt(), T0 + 1000, 'the next thing due is a lease expiry');
    const again = await s.claimDeliveries(T0 + 1000, 10, T0 + 2000);
    assert.deepEqual(again.map((d) => d.eventId), ['e-1', 'e-2'], 'a dead worker\'s rows come back after the lease');
    const attempt = (id: number, n: number) => ({
      deliveryId: id, webhookId: null, attempt: n, startedAt: T0, durationMs: 3, statusCode: 500, outcome: 'http' as const,
      error: 'HTTP 500', responseBody: 'no', remoteAddress: null, url: 'http://x', requestHeaders: { a: 'b' }, responseHeaders: null,
    });
    await s.recordAttempts([
      { attempt: { ...attempt(again[0]!.id, 1), statusCode: 200, outcome: 'ok', error: null }, status: 'delivered', nextAttemptAt: null, webhook: 'healthy' },
      { attempt: attempt(again[1]!.id, 1), status: 'failed', nextAttemptAt: T0 + 5000, webhook: 'failing' },
    ], T0 + 1001);
    assert.equal((await s.getDelivery(again[0]!.id))!.status, 'delivered');
    const failed = (await s.getDelivery(again[1]!.id))!;
    assert.deepEqual([failed.status, failed.attempts, failed.lastStatus, failed.nextAttemptAt], ['failed', 1, 500, T0 + 5000]);
    assert.equal((await s.listAttempts(failed.id)).length, 1);
    assert.equal(await s.nextDueAt(), T0 + 5000);
    const c3 = await s.claimDeliveries(T0 + 10_000, 10, T0 + 20_000);
    assert.deepEqual(c3.map((d) => d.eventId), ['e-2', 'e-3']);
    await s.releaseDeliveries(c3.map((d) => d.id), T0 + 10_001);
    const released = await s.listDeliveries({ limit: 10 });
    assert.deepEqual(released.map((d) => [d.eventId, d.status]), [['e-3', 'pending'], ['e-2', 'failed'], ['e-1', 'delivered']]);
    assert.deepEqual((await s.listDeliveries({ limit: 10, status: 'failed' })).map((d) => d.eventId), ['e-2']);
  });

  it('a result that comes back after its delivery was handed back or claimed again is logged but moves nothing', async (s) => {
    const [id] = await s.enqueueDeliveries([delivery(1)], T0);
    const result = (leaseUntil: number, status: 'delivered' | 'dead') => ({
      attempt: { deliveryId: id!, webhookId: null, attempt: 1, startedAt: T0, durationMs: 1, statusCode: status === 'delivered' ? 200 : 400, outcome: status === 'delivered' ? 'ok' as const : 'http' as const, error: null, responseBody: null, remoteAddress: null, url: 'http://x/1', requestHeaders: {}, responseHeaders: null },
      status, nextAttemptAt: null, webhook: 'failing' as const, leaseUntil,
    });
    const [c1] = await s.claimDeliveries(T0, 10, T0 + 1000);
    await s.releaseDeliveries([id!], T0 + 1);
    await s.recordAttempts([result(c1!.leaseUntil!, 'dead')], T0 + 2);
    const released = (await s.getDelivery(id!))!;
    assert.deepEqual([released.status, released.attempts, released.leaseUntil], ['pending', 0, null], 'the handed-back row stands');
    assert.equal((await s.listAttempts(id!)).length, 1, 'the attempt is in the log');
    assert.deepEqual(await s.listAlerts({ limit: 10 }), [], 'no alert for a delivery that did not die');
    const [c2] = await s.claimDeliveries(T0 + 3, 10, T0 + 1003);
    const [c3] = await s.claimDeliveries(T0 + 1003, 10, T0 + 2003);
    assert.notEqual(c3!.leaseUntil, c2!.leaseUntil);
    await s.recordAttempts([result(c2!.leaseUntil!, 'delivered')], T0 + 1004);
    assert.deepEqual([(await s.getDelivery(id!))!.status, (await s.getDelivery(id!))!.leaseUntil], ['delivering', c3!.leaseUntil], 'the newer lease stands');
    await s.recordAttempts([result(c3!.leaseUntil!, 'delivered')], T0 + 1005);
    assert.equal((await s.getDelivery(id!))!.status, 'delivered', 'the current lease\'s result is recorded');
  });

  it('savepoints: a failing operation inside a transaction rolls back alone', async (s) => {
    await s.transaction(async (tx) => {
      await tx.savepoint(async () => { await tx.createWorkspace('kept', T0); });
      await assert.rejects(tx.savepoint(async () => { await tx.createWorkspace('undone', T0); throw new Error('no'); }));
    });
    assert.ok(await s.getWorkspaceByName('kept'));
    assert.equal(await s.getWorkspaceByName('undone'), null);
  });

  it('redelivery copies the event to the webhook\'s current URL; dead ids by time range', async (s) => {
    const w = await s.createWebhook({ url: 'http://old', webhookType: 'DEFAULT', workspaceId: null, name: 'r', mode: 'WORKSPACE', schemes: ['determined'], swSecret: null }, [], T0);
    const [id] = await s.enqueueDeliveries([{ ...delivery(1), webhookId: w.id, url: 'http://old' }], T0);
    const [c] = await s.claimDeliveries(T0, 10, T0 + 1000);
    await s.recordAttempts([{ attempt: { deliveryId: c!.id, webhookId: w.id, attempt: 1, startedAt: T0, durationMs: 1, statusCode: 400, outcome: 'http', error: 'HTTP 400', responseBody: null, remoteAddress: null, url: 'http://old', requestHeaders: {}, responseHeaders: null }, status: 'dead', nextAttemptAt: null, webhook: 'failing' }], T0);
    assert.deepEqual(await s.deadDeliveryIds(w.id, T0, T0 + 1, 10), [id]);
    assert.deepEqual(await s.deadDeliveryIds(w.id, T0 + 1, T0 + 2, 10), []);
    await s.updateWebhook(w.id, { url: 'http://new' }, undefined, T0);
    const [copy] = await s.redeliver([id!], T0 + 5);
    const d = (await s.getDelivery(copy!))!;
    assert.deepEqual([d.url, d.eventId, d.status, d.attempts, d.redeliveryOf, d.payload], ['http://new', 'e-1', 'pending', 0, id, '{"i":1}']);
    assert.notEqual((await s.getWebhook(w.id))!.failingSince, null, 'a failure starts the webhook\'s failing run');
  });

  it('bulk redelivery ids: one per event, the newest of its dead deliveries in the range', async (s) => {
    const w = await s.createWebhook({ url: 'http://a', webhookType: 'DEFAULT', workspaceId: null, name: 'b', mode: 'WORKSPACE', schemes: ['determined'], swSecret: null }, [], T0);
    const kill = async (now: number) => {
      const claimed = await s.claimDeliveries(now, 10, now + 1000);
      await s.recordAttempts(claimed.map((c) => ({
        attempt: { deliveryId: c.id, webhookId: w.id, attempt: 1, startedAt: now, durationMs: 1, statusCode: 400, outcome: 'http' as const, error: 'HTTP 400', responseBody: null, remoteAddress: null, url: c.url, requestHeaders: {}, responseHeaders: null },
        status: 'dead' as const, nextAttemptAt: null, webhook: 'failing' as const,
      })), now);
    };
    const [first, second] = await s.enqueueDeliveries([{ ...delivery(1), webhookId: w.id }, { ...delivery(2), webhookId: w.id }], T0);
    await kill(T0);
    // The first event's redelivery dies too, and then a redelivery of that redelivery: three dead deliveries of e-1.
    const [again] = await s.redeliver([first!], T0 + 10);
    await kill(T0 + 10);
    const [third] = await s.redeliver([again!], T0 + 20);
    await kill(T0 + 20);
    assert.deepEqual(await s.deadDeliveryIds(w.id, T0, T0 + 30, 10), [second, third], 'each event once: e-1 by its newest');
    assert.deepEqual(await s.deadDeliveryIds(w.id, T0, T0 + 15, 10), [second, again], 'the newest within the range');
    assert.deepEqual(await s.deadDeliveryIds(w.id, T0, T0 + 30, 1), [second], 'the limit counts events');
  });

  it('bulk redelivery ids leave out an event that any of its deliveries delivered or still carries', async (s) => {
    const w = await s.createWebhook({ url: 'http://a', webhookType: 'DEFAULT', workspaceId: null, name: 'b', mode: 'WORKSPACE', schemes: ['determined'], swSecret: null }, [], T0);
    /** Ends every due delivery with this status. */
    const finish = async (now: number, status: 'dead' | 'delivered') => {
      const claimed = await s.claimDeliveries(now, 100, now + 1000);
      await s.recordAttempts(claimed.map((c) => ({
        attempt: { deliveryId: c.id, webhookId: w.id, attempt: 1, startedAt: now, durationMs: 1, statusCode: status === 'dead' ? 400 : 200, outcome: 'http' as const, error: status === 'dead' ? 'HTTP 400' : null, responseBody: null, remoteAddress: null, url: c.url, requestHeaders: {}, responseHeaders: null },
        status, nextAttemptAt: null, webhook: status === 'dead' ? 'failing' as const : 'healthy' as const,
      })), now);
    };
    const ids = await s.enqueueDeliveries([1, 2, 3, 4, 5, 6].map((i) => ({ ...delivery(i), webhookId: w.id })), T0);
    const [d1, d2, d3, d4, d5, d6] = ids;
    await finish(T0, 'dead');
    // Later, outside the range [T0, T0 + 1): e-1 redelivered and delivered; e-3 redelivered twice over, the second
    // time delivered; e-5's redelivery died; e-6 redelivered twice from the original: one died, the other delivered.
    const [r3] = await s.redeliver([d3!], T0 + 100);
    const [r5] = await s.redeliver([d5!], T0 + 100);
    const [r6a] = await s.redeliver([d6!], T0 + 100);
    await finish(T0 + 100, 'dead');
    const [r1, r6b, r33] = await s.redeliver([d1!, d6!, r3!], T0 + 200);
    await finish(T0 + 200, 'delivered');
    // e-2 redelivered and not sent yet.
    const [r2] = await s.redeliver([d2!], T0 + 300);
    assert.equal((await s.getDelivery(r2!))!.status, 'pending');
    assert.deepEqual(await Promise.all([r1, r33, r6b].map(async (id) => (await s.getDelivery(id!))!.status)), ['delivered', 'delivered', 'delivered']);
    assert.equal((await s.getDelivery(r6a!))!.status, 'dead');

    assert.deepEqual(await s.deadDeliveryIds(w.id, T0, T0 + 1, 10), [d4, d5],
      'e-4 (never redelivered) and e-5 (every delivery dead) only');
    assert.deepEqual(await s.deadDeliveryIds(w.id, T0 + 100, T0 + 101, 10), [r5],
      'a dead redelivery whose sibling delivered (e-6) or whose own redelivery delivered (e-3) is left out too');
    assert.deepEqual(await s.deadDeliveryIds(w.id, T0, T0 + 1000, 10), [d4, r5], 'over the whole history: each event once');
    assert.deepEqual(await s.redeliveriesOf([d6!, r3!, d4!]), new Map([
      [d6!, [{ id: r6a, status: 'dead' }, { id: r6b, status: 'delivered' }]],
      [r3!, [{ id: r33, status: 'delivered' }]],
    ]));
    assert.deepEqual(await s.redeliveriesOf([]), new Map());
  });

  it('recording attempts raises their alerts in the same transaction, with their notifications', async (s) => {
    await s.createAlertChannel({ name: 'ops', kind: 'http', config: { url: 'http://alerts', method: 'POST' }, secret: null, filter: null, enabled: true }, T0);
    const w = await s.createWebhook({ url: 'http://a', webhookType: 'DEFAULT', workspaceId: null, name: 'gone', mode: 'WORKSPACE', schemes: ['determined'], swSecret: null }, [], T0);
    const [id] = await s.enqueueDeliveries([{ ...delivery(1), webhookId: w.id, url: 'http://a' }], T0);
    const [c] = await s.claimDeliveries(T0, 10, T0 + 1000);
    const gone = {
      attempt: { deliveryId: c!.id, webhookId: w.id, attempt: 1, startedAt: T0, durationMs: 1, statusCode: 410, outcome: 'http' as const, error: 'HTTP 410', responseBody: null, remoteAddress: null, url: 'http://a', requestHeaders: {}, responseHeaders: null },
      status: 'dead' as const, nextAttemptAt: null, webhook: { disable: 'the endpoint answered 410 Gone' },
    };
    // A transaction that does not commit (a crash, say) leaves neither the record nor the alerts.
    await assert.rejects(s.transaction(async (tx) => { await tx.recordAttempts([gone], T0); throw new Error('no commit'); }));
    assert.equal((await s.getDelivery(id!))!.status, 'delivering');
    assert.deepEqual(await s.listAlerts({ limit: 10 }), []);
    const out = await s.recordAttempts([gone], T0);
    assert.deepEqual(out.deadDeliveries, [{ deliveryId: id, webhookId: w.id, eventId: 'e-1', error: 'HTTP 410' }]);
    assert.deepEqual(out.disabledWebhooks.map((x) => x.id), [w.id]);
    const alerts = await s.listAlerts({ limit: 10 });
    assert.deepEqual(alerts.map((a) => [a.kind, a.webhookId, a.deliveryId]).sort(), [['delivery.dead', w.id, id], ['webhook.disabled', w.id, null]]);
    assert.match(alerts.find((a) => a.kind === 'delivery.dead')!.message, new RegExp(`^delivery ${id} \\(event e-1\\) to http://a is dead: HTTP 410`));
    assert.equal((await s.listAlertNotifications(alerts.map((a) => a.id))).length, 2, 'one notification per alert for the channel');
  });

  it('alerts coalesce per kind and webhook until acknowledged', async (s) => {
    const a = { kind: 'delivery.dead' as const, severity: 'warning' as const, webhookId: 3, deliveryId: 1, title: 't', message: 'm1' };
    const first = await s.raiseAlert(a, T0);
    const second = await s.raiseAlert({ ...a, message: 'm2' }, T0 + 1);
    assert.equal(second.id, first.id);
    assert.equal(second.count, 2);
    assert.equal(second.message, 'm2');
    assert.notEqual((await s.raiseAlert({ ...a, webhookId: 4 }, T0)).id, first.id);
    assert.equal(await s.acknowledgeAlert(first.id, T0 + 2), true);
    assert.notEqual((await s.raiseAlert(a, T0 + 3)).id, first.id, 'a new alert after acknowledgement');
    assert.equal((await s.listAlerts({ limit: 10, open: true })).length, 2);
    assert.equal(await s.acknowledgeAlert(999, T0), false);
  });

  it('retention: finished deliveries and their attempts older than the cutoff go; so do attempts beyond the cap', async (s) => {
    const ids = await s.enqueueDeliveries([delivery(1), delivery(2), delivery(3)], T0);
    const claimed = await s.claimDeliveries(T0, 10, T0 + 1000);
    const att = (id: number) => ({ deliveryId: id, webhookId: null, attempt: 1, startedAt: T0, durationMs: 1, statusCode: 200, outcome: 'ok' as const, error: null, responseBody: null, remoteAddress: null, url: 'u', requestHeaders: {}, responseHeaders: null });
    await s.recordAttempts(claimed.slice(0, 2).map((d) => ({ attempt: att(d.id), status: 'delivered' as const, nextAttemptAt: null, webhook: 'healthy' as const })), T0);
    await s.releaseDeliveries([claimed[2]!.id], T0);
    // Batches of 2 rows: the pass goes on across batches (the open delivery is the third row looked at).
    const swept = await sweepDeliveryLog(s, { before: T0 + 1, keepAttempts: 1_000_000, batchRows: 2, pauseMs: 0 });
    assert.deepEqual([swept.deliveries, swept.attempts], [2, 2]);
    assert.ok(swept.batches >= 2, `in batches (${swept.batches})`);
    assert.deepEqual((await s.listDeliveries({ limit: 10 })).map((d) => d.id), [ids[2]], 'the open delivery stays');
  });

  it('retention by count: past the newest attempts, those of finished deliveries go; an open delivery keeps all of its own', async (s) => {
    const [done1, open, done2] = await s.enqueueDeliveries([delivery(1), delivery(2), delivery(3)], T0);
    const att = (id: number, attempt: number, ok: boolean) => ({ deliveryId: id!, webhookId: null, attempt, startedAt: T0, durationMs: 1, statusCode: ok ? 200 : 500, outcome: ok ? 'ok' as const : 'http' as const, error: null, responseBody: null, remoteAddress: null, url: 'u', requestHeaders: {}, responseHeaders: null });
    // Attempts in this order: done1's, the open delivery's two (it fails and stays open), done2's.
    await s.claimDeliveries(T0, 10, T0 + 1000);
    await s.recordAttempts([{ attempt: att(done1!, 1, true), status: 'delivered', nextAttemptAt: null, webhook: 'healthy' }], T0);
    await s.recordAttempts([{ attempt: att(open!, 1, false), status: 'failed', nextAttemptAt: T0, webhook: 'failing' }], T0);
    await s.claimDeliveries(T0, 10, T0 + 1000);
    await s.recordAttempts([{ attempt: att(open!, 2, false), status: 'failed', nextAttemptAt: T0 + 60_000, webhook: 'failing' }], T0);
    await s.recordAttempts([{ attempt: att(done2!, 1, true), status: 'delivered', nextAttemptAt: null, webhook: 'healthy' }], T0);
    // Nothing is old enough for the age cutoff; a cap of 1 leaves done2's attempt and the open delivery's two.
    const sweep = async () => {
      const t = await sweepDeliveryLog(s, { before: T0 - 1, keepAttempts: 1, batchRows: 2, pauseMs: 0 });
      return { deliveries: t.deliveries, attempts: t.attempts };
    };
    assert.deepEqual(await sweep(), { deliveries: 0, attempts: 1 });
    assert.equal((await s.listAttempts(done1!)).length, 0, 'past the cap');
    assert.equal((await s.listAttempts(open!)).length, 2, 'an open delivery keeps its attempts');
    assert.equal((await s.listAttempts(done2!)).length, 1, 'the newest attempt');
    assert.equal((await s.listDeliveries({ limit: 10 })).length, 3, 'the cap deletes attempts, not deliveries');
    assert.deepEqual(await sweep(), { deliveries: 0, attempts: 0 }, 'nothing more to delete');
  });
}
