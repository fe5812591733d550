/**
 * Run handoff: a capture whose flow's runner has a free slot is written with its run already leased (running) and
 * the run starts when the write commits, without a claim; with every slot taken, the run is written queued and
 * claimed when a slot frees, and no capture takes a slot while queued runs wait; a capture write that fails gives
 * the slot back; a run handed over after the runner stopped is handed back to the store, queued.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSink, startTestServer, until } from '../helpers/harness.js';
import { SqlReceiverStore } from '../../src/store/sql-receiver-store.js';
import type { RunRecord } from '../../src/store/store.js';
import type { RunHandoff } from '../../src/receiver/runner.js';

/** Counts the runs the runner gets from claims (a handed-off run never comes from one). */
function countClaims(): { rows: number; restore(): void } {
  const proto = SqlReceiverStore.prototype as unknown as { claimRuns: (...a: unknown[]) => Promise<RunRecord[]> };
  const claimRuns = proto.claimRuns;
  const seen = { rows: 0, restore() { proto.claimRuns = claimRuns; } };
  proto.claimRuns = async function (this: unknown, ...a: unknown[]) {
    const r = await claimRuns.apply(this, a);
    seen.rows += r.length;
    return r;
  };
  return seen;
}

async function post(url: string, json: unknown): Promise<{ captureId: number; runId: number }> {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(json) });
  assert.equal(r.status, 200, await r.clone().text());
  return (await r.json()) as { captureId: number; runId: number };
}

test('a run with a free slot is written leased and runs without a claim; past the slots it is queued and claimed', async (t) => {
  const sink = await startSink();
  const s = await startTestServer({ patch: (c) => { c.receiver.run_concurrency = 2; } });
  const claims = countClaims();
  t.after(() => claims.restore());
  try {
    const flow = (await s.api('POST', '/api/v1/flows', {
      name: 'handoff', steps: [{ id: 'call', type: 'http_request', config: { method: 'POST', url: `${sink.url}/run`, body: { n: '{{capture.json.n}}' } } }],
    })).body.flow;
    sink.delay(400);
    const first = await post(flow.catchUrl, { n: 1 });
    // Answered after the commit that wrote it: already running, with the runner's lease, before any claim.
    const stored = await s.running.ctx.store.getRun(first.runId);
    assert.equal(stored!.status, 'running');
    assert.ok(stored!.leaseUntil! > Date.now() + s.running.ctx.config.receiver.lease_ms - 5_000, 'written with its lease');
    assert.ok(stored!.startedAt !== null);
    await sink.waitFor(1);
    assert.equal(claims.rows, 0, 'the first run came from the handoff, not a claim');
    // Two slots: the second capture takes the other one; the third and fourth find none and wait queued.
    const more = [await post(flow.catchUrl, { n: 2 }), await post(flow.catchUrl, { n: 3 }), await post(flow.catchUrl, { n: 4 })];
    assert.equal((await s.running.ctx.store.getRun(more[0]!.runId))!.status, 'running');
    assert.equal((await s.running.ctx.store.getRun(more[2]!.runId))!.status, 'queued', 'no free slot: left for a claim');
    await until(async () => {
      const runs = await Promise.all([first, ...more].map((c) => s.running.ctx.store.getRun(c.runId)));
      return runs.every((r) => r!.status === 'succeeded');
    }, 'every run succeeded', 15_000);
    assert.equal(claims.rows, 2, 'the two that waited came from claims');
    assert.deepEqual(sink.requests.map((r) => JSON.parse(r.text).n).sort(), [1, 2, 3, 4], 'each run ran once');
  } finally {
    await s.stop();
    await sink.close();
  }
});

test('a capture write that fails gives the slot back; a run handed over after stop is handed back, queued', async () => {
  const s = await startTestServer({ patch: (c) => { c.receiver.run_concurrency = 1; } });
  try {
    const runner = s.running.ctx.runner;
    // Until its first claim has found the store's queue empty, the runner takes nothing (queued runs go first).
    const slot = async (): Promise<RunHandoff> => {
      let x: RunHandoff | null = null;
      await until(() => (x = runner.takeRun()) !== null, 'a free slot once the queue is known empty');
      return x!;
    };
    const h = await slot();
    assert.equal(runner.takeRun(), null, 'its only slot is reserved');
    h.abort();
    const again = runner.takeRun();
    assert.ok(again, 'given back by abort');

    // A write that fails (a flow id that does not exist breaks the captures' foreign key) aborts the handoff.
    again.abort();
    const flow = (await s.api('POST', '/api/v1/flows', { name: 'f', steps: [{ id: 'n', type: 'noop' }] })).body.flow;
    const ingress = s.running.ctx.ingress;
    const key = new URL(flow.catchUrl).pathname.split('/').pop()!;
    const cached = ingress.cachedFlow(key) ?? (await s.running.ctx.store.getFlowByKey(key));
    (ingress as unknown as { flows: Map<string, unknown> }).flows.set(key, { flow: { ...cached, id: 999_999 }, until: Date.now() + 60_000 });
    await assert.rejects(ingress.capture(key, { method: 'POST', url: '/x', rawHeaders: [], body: Buffer.from('{}'), remoteAddress: '127.0.0.1' }));
    const freed = runner.takeRun();
    assert.ok(freed, 'the failed write gave its slot back');
    freed.abort();
    ingress.invalidate();

    // Taken while running, committed after the runner stopped: the run goes back to the store, queued and due.
    const late = runner.takeRun()!;
    const r = await s.running.ctx.store.transaction((tx) => tx.insertCaptures([{
      c: { flowId: flow.id, method: 'POST', path: '/x', query: '', rawHeaders: [], body: Buffer.from('{}'), contentType: null, remoteAddress: '127.0.0.1', receivedAt: Date.now(), dedupKey: null },
      run: { definition: flow, leaseUntil: late.leaseUntil },
    }]));
    const runId = r[0]!.runId!;
    assert.equal((await s.running.ctx.store.getRun(runId))!.status, 'running');
    await runner.stop();
    late.commit((await s.running.ctx.store.getRun(runId))!, (await s.running.ctx.store.getCapture(r[0]!.captureId))!);
    await until(async () => (await s.running.ctx.store.getRun(runId))!.status === 'queued', 'handed back, queued');
  } finally {
    await s.stop();
  }
});

test('with no run waiting in the store, finishing runs cost no claims; a run left leased is still picked up', async () => {
  const s = await startTestServer();
  const proto = SqlReceiverStore.prototype as unknown as { claimRuns: (...a: unknown[]) => Promise<RunRecord[]> };
  const claimRuns = proto.claimRuns;
  let calls = 0;
  proto.claimRuns = async function (this: unknown, ...a: unknown[]) { calls++; return claimRuns.apply(this, a); };
  try {
    const runner = s.running.ctx.runner;
    await until(() => { const h = runner.takeRun(); h?.abort(); return h !== null; }, 'the queue known empty');
    const flow = (await s.api('POST', '/api/v1/flows', { name: 'quiet', steps: [{ id: 'n', type: 'noop' }] })).body.flow;
    const before = calls;
    const posted: { runId: number }[] = [];
    for (let i = 0; i < 20; i++) posted.push(await post(flow.catchUrl, { i }));
    await until(async () => (await Promise.all(posted.map((c) => s.running.ctx.store.getRun(c.runId)))).every((r) => r!.status === 'succeeded'), 'all 20 runs succeeded');
    assert.ok(calls - before <= 1, `20 handed-off runs made ${calls - before} claims (at most the periodic one)`);

    // A run whose execution ended without a word (its lease held, then expired): no wake-up announces it, and the
    // periodic claim finds it all the same.
    const now = Date.now();
    const [orphan] = await s.running.ctx.store.transaction((tx) => tx.insertCaptures([{
      c: { flowId: flow.id, method: 'POST', path: '/x', query: '', rawHeaders: [], body: Buffer.from('{}'), contentType: null, remoteAddress: '127.0.0.1', receivedAt: now, dedupKey: null },
      run: { definition: flow, leaseUntil: now - 1 },
    }]));
    await until(async () => (await s.running.ctx.store.getRun(orphan!.runId!))!.status === 'succeeded', 'the orphaned run resumed', 15_000);
  } finally {
    proto.claimRuns = claimRuns;
    await s.stop();
  }
});
