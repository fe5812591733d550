/**
 * Run lease renewal, on a real SQLite store with the fake clock: a run whose step takes longer than receiver.lease_ms
 * keeps its lease while its runner executes it, so another process's claim never takes it (its step is not run
 * twice); a run nobody renews is claimed once its lease has run out.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { openSqliteStore } from '../../src/store/open.js';
import { FlowRunner } from '../../src/receiver/runner.js';
import { createHttpClient } from '../../src/receiver/services/http.js';
import { OutboundPolicy } from '../../src/delivery/ssrf.js';
import type { StepServices } from '../../src/core/flow/types.js';
import type { Store } from '../../src/store/store.js';
import { FakeClock } from '../helpers/fake-clock.js';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { until as waitUntil } from '../helpers/harness.js';

const LEASE_MS = 1000;

/** The harness's until, with the description first. */
const until = <T>(what: string, fn: () => Promise<T | undefined | null | false>, ms = 5000): Promise<T> => waitUntil(fn, what, ms);

async function queuedRun(store: Store, url: string, now: number): Promise<number> {
  const definition = { name: 'slow', enabled: true, steps: [{ id: 'slow', type: 'http_request', config: { method: 'POST', url } }] };
  const flow = await store.createFlow({ name: `slow-${now}`, description: '', enabled: true, definition, hookKey: `k${now}` }, now);
  const { runId } = await store.transaction((tx) => tx.insertCapture({
    flowId: flow.id, method: 'POST', path: '/hooks/catch/k', query: '', rawHeaders: [], body: Buffer.from('{}'), contentType: null,
    remoteAddress: '127.0.0.1', receivedAt: now, dedupKey: null,
  }, { definition }, null));
  return runId!;
}

test('a run slower than its lease keeps it while it runs: another claim never takes it, its step runs once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-lease-'));
  const { store } = await openSqliteStore(join(dir, 'db.sqlite'));
  // The step's endpoint: holds every request until the test releases it.
  const held: http.ServerResponse[] = [];
  let requests = 0;
  const sink = http.createServer((req, res) => { requests++; req.resume(); held.push(res); });
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
  const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
  const clock = new FakeClock();
  const client = createHttpClient(new OutboundPolicy(['127.0.0.0/8']));
  const refuse = () => Promise.reject(new Error('not used'));
  const services = (_s: Map<string, string>, context: StepServices['context']): StepServices => ({
    clock, context, secret: () => undefined, http: client, sendEmail: refuse, raiseAlert: refuse, runCode: refuse,
  });
  // One slot: with it busy, the runner's loop claims nothing, so only the renewal keeps the lease (a claim by the
  // runner itself would also extend it, and hide a missing renewal).
  const runner = new FlowRunner({ store, clock, log: pino({ level: 'silent' }), services, concurrency: 1, leaseMs: LEASE_MS, retryScheduleMs: [60_000] });
  try {
    const runId = await queuedRun(store, `${sinkUrl}/slow`, clock.now());
    runner.start();
    runner.wake();
    await until('the step\'s request', async () => requests === 1);
    const claimed = (await store.getRun(runId))!;
    assert.equal(claimed.status, 'running');
    assert.equal(claimed.leaseUntil, clock.now() + LEASE_MS);

    // Time passes far beyond the lease (3.6 leases); between steps the runner renews it, and another process's claim
    // (the same store call its loop makes) finds nothing to take.
    for (let i = 1; i <= 6; i++) {
      clock.advance(600);
      await until(`renewal ${i}`, async () => ((await store.getRun(runId))!.leaseUntil ?? 0) > clock.now());
      assert.deepEqual(await store.claimRuns(clock.now(), 10, clock.now() + LEASE_MS), [], `claimed by another process after ${i * 600} ms`);
    }
    assert.equal(requests, 1, 'the slow step was not started again');

    // The step finishes: the run succeeds, its step run once.
    for (const res of held.splice(0)) res.end('ok');
    await until('the run to succeed', async () => (await store.getRun(runId))!.status === 'succeeded');
    assert.equal(requests, 1);
    const [step] = await store.listRunSteps(runId);
    assert.deepEqual({ status: step!.status, attempts: step!.attempts }, { status: 'succeeded', attempts: 1 });
    await runner.stop(100);

    // Control: a run that nobody renews (its process is gone) is claimed again once its lease has run out.
    const orphan = await queuedRun(store, `${sinkUrl}/orphan`, clock.now());
    assert.deepEqual((await store.claimRuns(clock.now(), 10, clock.now() + LEASE_MS)).map((r) => r.id), [orphan]);
    clock.advance(LEASE_MS - 1);
    assert.deepEqual(await store.claimRuns(clock.now(), 10, clock.now() + LEASE_MS), []);
    clock.advance(1);
    assert.deepEqual((await store.claimRuns(clock.now(), 10, clock.now() + LEASE_MS)).map((r) => r.id), [orphan], 'an expired lease is claimed');
  } finally {
    await runner.stop(100);
    for (const res of held.splice(0)) res.end('ok');
    await client.close();
    await new Promise<void>((r) => { sink.closeAllConnections(); sink.close(() => r()); });
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
