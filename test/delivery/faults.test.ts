/**
 * Fault tests with real processes and real sockets:
 * - 2,000 events while the server is killed with SIGKILL several times: none lost, duplicates bounded by what was
 *   claimed but unfinished at each kill;
 * - SIGTERM: attempts in flight finish, nothing is sent twice after the restart;
 * - a receiver that is down for a while, then up: every event arrives;
 * - a receiver that hangs: its attempts time out while the other webhooks keep flowing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiCaller, spawnServer, type ServerProcess } from '../helpers/process.js';
import { startSink, startTestServer } from '../helpers/harness.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { openSqliteStore } from '../../src/store/open.js';

const TOKEN = 'sy_fault_test_token_0123456789';
const COMPLETED = [{ triggerType: 'TRIGGER_TYPE_EXPERIMENT_STATE_CHANGE', condition: { state: 'COMPLETED' } }];

/** A sink that counts deliveries by event_id and answers after `delayMs`. */
async function countingSink(delayMs: number, port = 0) {
  const byEvent = new Map<string, number>();
  const experiments = new Set<number>();
  const state = { started: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => state.started++);
    req.on('end', () => setTimeout(() => {
      const body = JSON.parse(Buffer.concat(chunks).toString());
      byEvent.set(body.event_id, (byEvent.get(body.event_id) ?? 0) + 1);
      experiments.add(body.event_data.experiment.id);
      res.end('ok');
    }, delayMs));
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, byEvent, experiments, state,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

test('2,000 events, SIGKILL four times while delivering: every event delivered, duplicates bounded', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-faults-'));
  const cfg = join(dir, 'switchyard.yaml');
  const concurrency = 32;
  // A 3 s lease (so a 2.4 s attempt timeout): a killed process's claims come back soon, yet a CPU-starved machine
  // (CI runs other test files beside this one) does not time out 3 ms answers and count their retries as duplicates.
  writeFileSync(cfg, `delivery:\n  lease_ms: 3000\n  concurrency: ${concurrency}\n  batch_size: 16\n`);
  const sink = await countingSink(3);
  const env = { SWITCHYARD_ADMIN_TOKEN: TOKEN, SWITCHYARD_CONFIG: cfg };
  const args = ['--data-dir', join(dir, 'data'), '--port', '0'];
  let server: ServerProcess = await spawnServer(args, env);
  const call = apiCaller(() => server.url, TOKEN);
  const acknowledged: number[] = [];
  let kills = 0;
  let undeliveredAtKills = 0;
  try {
    await call('POST', '/api/v1/webhooks', { url: `${sink.url}/f`, name: 'fault', triggers: COMPLETED });
    const ids: number[] = [];
    for (let i = 0; i < 2000; i += 50) {
      const made = await Promise.all(Array.from({ length: 50 }, (_, j) => call('POST', '/api/v1/experiments', { name: `f-${i + j}` })));
      ids.push(...made.map((m) => m.experiment.id as number));
    }
    for (let i = 0; i < ids.length; i += 20) {
      const chunk = ids.slice(i, i + 20);
      await Promise.all(chunk.map((id) => call('POST', `/api/v1/experiments/${id}/state`, { state: 'COMPLETED' })));
      acknowledged.push(...chunk);
      if (acknowledged.length % 400 === 0 && acknowledged.length < 2000) {
        undeliveredAtKills += acknowledged.filter((id) => !sink.experiments.has(id)).length;
        await server.kill('SIGKILL');
        kills++;
        server = await spawnServer(args, env);
      }
    }
    assert.equal(kills, 4);
    assert.ok(undeliveredAtKills > 0, 'the kills happened with acknowledged events still undelivered');
    const until = Date.now() + 30_000;
    while (acknowledged.some((id) => !sink.experiments.has(id)) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    const missing = acknowledged.filter((id) => !sink.experiments.has(id));
    assert.deepEqual(missing, [], `${missing.length} acknowledged events were never delivered`);
    assert.equal(sink.byEvent.size, 2000, 'one event per experiment');
    const duplicates = [...sink.byEvent.values()].reduce((n, c) => n + c - 1, 0);
    // At-least-once: only what a killed process had claimed but not recorded can be sent again.
    assert.ok(duplicates <= kills * concurrency, `${duplicates} duplicates > ${kills} kills × ${concurrency} in flight`);
  } finally {
    await server.kill('SIGKILL');
    await sink.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

// Both engine modes: in the API's thread (the default) and in its own worker thread (`delivery.thread: true`).
for (const thread of [false, true]) test(`SIGTERM lets attempts in flight finish: exit 0, and nothing is sent again after the restart (delivery.thread: ${thread})`, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-term-'));
  const cfg = join(dir, 'switchyard.yaml');
  writeFileSync(cfg, `delivery:\n  thread: ${thread}\n`);
  const sink = await countingSink(1500);
  const env = { SWITCHYARD_ADMIN_TOKEN: TOKEN, SWITCHYARD_CONFIG: cfg };
  const args = ['--data-dir', join(dir, 'data'), '--port', '0'];
  let server = await spawnServer(args, env);
  const call = apiCaller(() => server.url, TOKEN);
  try {
    await call('POST', '/api/v1/webhooks', { url: `${sink.url}/t`, name: 'term', triggers: COMPLETED });
    for (let i = 0; i < 10; i++) {
      const e = await call('POST', '/api/v1/experiments', { name: `t-${i}` });
      await call('POST', `/api/v1/experiments/${e.experiment.id}/state`, { state: 'COMPLETED' });
    }
    for (let i = 0; i < 200 && sink.state.started < 10; i++) await new Promise((r) => setTimeout(r, 10));
    const inFlight = sink.state.started - sink.byEvent.size;
    assert.ok(inFlight > 0, 'attempts are in flight at the slow sink when SIGTERM arrives');
    const code = await server.kill('SIGTERM');
    assert.equal(code, 0);
    assert.equal(sink.byEvent.size, 10, 'the attempts in flight finished before exit');
    server = await spawnServer(args, env);
    await new Promise((r) => setTimeout(r, 700));
    assert.deepEqual([...sink.byEvent.values()], Array(10).fill(1), 'recorded as delivered: not sent again');
    const outbox = await call('GET', '/api/v1/outbox');
    assert.deepEqual([outbox.pending, outbox.delivering, outbox.failed], [0, 0, 0]);
  } finally {
    await server.kill('SIGKILL');
    await sink.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

// The three ways attempts are sent: from the sending thread (the default), from the API's thread
// (`delivery.send_thread: false`), and from the engine's own thread (`delivery.thread: true`).
for (const mode of ['send_thread: true', 'send_thread: false', 'thread: true']) test(`SIGTERM with an attempt still in flight when the grace period runs out: aborted, exit within the grace, the delivery is pending again and sent after the restart (delivery.${mode})`, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-grace-'));
  const cfg = join(dir, 'switchyard.yaml');
  const graceMs = 300;
  // A 30 s attempt timeout: without the abort, the process would wait for the hanging endpoint that long.
  writeFileSync(cfg, `delivery:\n  ${mode}\n  shutdown_grace_ms: ${graceMs}\n  timeout_ms: 30000\n`);
  // The endpoint hangs (never answers) until `hang` is turned off; it notes connections closed before an answer.
  let hang = true;
  const bodies: string[] = [];
  let abandoned = 0;
  const sink = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks).toString());
      if (!hang) res.end('ok');
    });
    res.on('close', () => { if (!res.writableFinished) abandoned++; });
  });
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
  const env = { SWITCHYARD_ADMIN_TOKEN: TOKEN, SWITCHYARD_CONFIG: cfg };
  const args = ['--data-dir', join(dir, 'data'), '--port', '0'];
  let server = await spawnServer(args, env);
  const call = apiCaller(() => server.url, TOKEN);
  try {
    await call('POST', '/api/v1/webhooks', { url: `http://127.0.0.1:${(sink.address() as AddressInfo).port}/g`, name: 'grace', triggers: COMPLETED });
    const e = await call('POST', '/api/v1/experiments', { name: 'g' });
    await call('POST', `/api/v1/experiments/${e.experiment.id}/state`, { state: 'COMPLETED' });
    for (let i = 0; i < 500 && bodies.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(bodies.length, 1, 'the attempt is in flight at the hanging endpoint');

    const t0 = Date.now();
    const exited = server.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise<'late'>((r) => setTimeout(() => r('late'), 10_000))]);
    const took = Date.now() - t0;
    if (code === 'late') await server.kill('SIGKILL');
    assert.equal(code, 0, `exit code (or still running 10 s after SIGTERM):\n${server.output()}`);
    // The grace period, then the abort and the rest of the shutdown (closing the store, the threads…).
    assert.ok(took < graceMs + 2000, `stopped ${took} ms after SIGTERM; the grace period is ${graceMs} ms`);
    for (let i = 0; i < 100 && abandoned === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(abandoned, 1, 'the request was aborted: its connection closed without an answer');

    // Handed back: pending, not leased, due; the aborted attempt is no outcome and is not recorded.
    const { store } = await openSqliteStore(join(dir, 'data', 'switchyard.db'));
    try {
      const [d] = await store.listDeliveries({ limit: 10 });
      assert.deepEqual([d!.status, d!.attempts, d!.leaseUntil], ['pending', 0, null]);
      assert.ok(d!.nextAttemptAt <= Date.now(), 'due now');
      assert.deepEqual(await store.listAttempts(d!.id), []);
    } finally {
      await store.close();
    }

    hang = false;
    server = await spawnServer(args, env);
    for (let i = 0; i < 500 && bodies.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(bodies.length, 2, 'sent again after the restart');
    assert.equal(JSON.parse(bodies[1]!).event_id, JSON.parse(bodies[0]!).event_id, 'the same event');
    let delivered: any[] = [];
    for (let i = 0; i < 200 && delivered.length === 0; i++) {
      delivered = (await call('GET', '/api/v1/deliveries?status=delivered')).deliveries;
      if (delivered.length === 0) await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(delivered.length, 1);
    assert.equal(delivered[0].attempts, 1);
  } finally {
    await server.kill('SIGKILL');
    await new Promise<void>((r) => { sink.closeAllConnections(); sink.close(() => r()); });
    rmSync(dir, { recursive: true, force: true });
  }
});

test('stopping: the engine stops claiming at once, not after the API has finished the requests in progress', async () => {
  const clock = new FakeClock();
  const s = await startTestServer({ clock });
  const sink = await startSink();
  const api = new URL(s.url);
  let socket: net.Socket | null = null;
  let stopping: Promise<void> | null = null;
  try {
    const w = await s.api('POST', '/api/v1/webhooks', { url: `${sink.url}/s`, name: 'stop', triggers: COMPLETED });
    assert.equal(w.status, 200, w.text);
    // An API request in progress: its body has not all arrived, so closing the API waits for it.
    socket = net.connect(Number(api.port), api.hostname);
    await new Promise<void>((r) => socket!.once('connect', () => r()));
    socket.write(`POST /api/v1/experiments HTTP/1.1\r\nHost: ${api.host}\r\nAuthorization: Bearer ${s.token}\r\n`
      + 'Content-Type: application/json\r\nContent-Length: 20\r\n\r\n{"name"');
    await new Promise((r) => setTimeout(r, 50));
    stopping = s.running.stop();
    // Work that comes due while the API drains (a retry, say): the stopping engine must leave it for the next start.
    const [id] = await s.running.ctx.store.enqueueDeliveries([{
      eventId: 'e-stop', webhookId: w.body.webhook.id, url: `${sink.url}/s`, eventType: 'CUSTOM', payload: '{}', contentType: 'application/json',
      signed: false, nextAttemptAt: clock.now(),
    }], clock.now());
    s.running.ctx.worker.wake();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(sink.requests.length, 0, 'nothing claimed and sent while the API drained');
    assert.equal((await s.running.ctx.store.getDelivery(id!))!.status, 'pending');
    socket.destroy();
    await stopping;
  } finally {
    socket?.destroy();
    if (!stopping) await s.stop(); else rmSync(s.dataDir, { recursive: true, force: true });
    await sink.close();
  }
});

test('a receiver down for a while, then up: every event arrives once it is up', async () => {
  const clock = new FakeClock();
  const s = await startTestServer({ clock });
  const probe = await countingSink(0);
  const port = Number(new URL(probe.url).port);
  await probe.close(); // the port is free again: the receiver is "down"
  let sink: Awaited<ReturnType<typeof countingSink>> | null = null;
  try {
    assert.equal((await s.api('POST', '/api/v1/webhooks', { url: `http://127.0.0.1:${port}/d`, name: 'down', triggers: COMPLETED })).status, 200);
    for (let i = 0; i < 20; i++) {
      const e = await s.api('POST', '/api/v1/experiments', { name: `d-${i}` });
      await s.api('POST', `/api/v1/experiments/${e.body.experiment.id}/state`, { state: 'COMPLETED' });
    }
    const failed = async () => (await s.api('GET', '/api/v1/deliveries?status=failed')).body.deliveries.length;
    for (let i = 0; i < 200 && (await failed()) < 20; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(await failed(), 20, 'every attempt failed while the receiver was down: ' + JSON.stringify((await s.api('GET', '/api/v1/deliveries?limit=100')).body.deliveries.map((d: any) => [d.status, d.attempts, d.lastError])));
    // Down for 10 minutes of (fake) time: a few more failed attempts each.
    for (const step of [6_000, 36_000, 150_000, 600_000]) {
      clock.advance(step);
      s.running.ctx.worker.wake();
      await new Promise((r) => setTimeout(r, 100));
    }
    sink = await countingSink(0, port);
    // Each delivery arrives at its next scheduled retry (30 min ±20 % at most from here).
    for (let minutes = 0; minutes < 40 && sink.byEvent.size < 20; minutes += 5) {
      clock.advance(5 * 60_000);
      s.running.ctx.worker.wake();
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(sink.byEvent.size, 20);
    assert.equal((await s.api('GET', '/api/v1/deliveries?status=delivered&limit=100')).body.deliveries.length, 20);
    const attempts = (await s.api('GET', '/api/v1/attempts?limit=1000')).body.attempts;
    assert.ok(attempts.filter((a: any) => a.outcome === 'connect').length >= 40, 'failed attempts are in the log');
  } finally {
    await s.stop();
    await sink?.close();
  }
});

test('a receiver that hangs: its attempts time out, the other webhooks keep flowing meanwhile', async () => {
  const s = await startTestServer({ env: { SWITCHYARD_DELIVERY_TIMEOUT_MS: '10000' } });
  const hang = http.createServer(() => { /* never answers */ });
  await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
  const healthy = await startSink();
  try {
    const hangUrl = `http://127.0.0.1:${(hang.address() as AddressInfo).port}/`;
    await s.api('POST', '/api/v1/webhooks', { url: hangUrl, name: 'hang', triggers: COMPLETED });
    for (let i = 0; i < 3; i++) await s.api('POST', '/api/v1/webhooks', { url: `${healthy.url}/ok${i}`, name: `ok${i}`, triggers: COMPLETED });
    const ids: number[] = [];
    for (let i = 0; i < 150; i++) ids.push((await s.api('POST', '/api/v1/experiments', { name: `h-${i}` })).body.experiment.id);
    // All 150 events at once: the hanging receiver takes its 128 slots, and the healthy ones must not wait on them.
    const posted = Date.now();
    await Promise.all(ids.map((id) => s.api('POST', `/api/v1/experiments/${id}/state`, { state: 'COMPLETED' })));
    await healthy.waitFor(450, 20_000);
    const healthyDone = Date.now() - posted;
    // 10 s leaves a loaded CI machine room for 450 deliveries, and is still well short of anything that waited on a hung slot.
    assert.ok(healthyDone < 10_000, `healthy webhooks finished in ${healthyDone} ms, before the hanging one's first timeout (10 s)`);
    const attempts = async () => (await s.api('GET', '/api/v1/attempts?webhookId=1&limit=1000')).body.attempts as any[];
    for (let i = 0; i < 1200 && (await attempts()).length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    const a = await attempts();
    assert.ok(a.length > 0 && a.every((x) => x.outcome === 'timeout'), 'the hanging receiver\'s attempts time out');
    assert.ok(a.length <= 128, `at most per_webhook_concurrency (128) attempts were in flight at the hanging receiver, saw ${a.length}`);
  } finally {
    await s.stop();
    hang.closeAllConnections();
    hang.close();
    await healthy.close();
  }
});
