/**
 * Receiver retention (src/receiver/retention.ts) on a real SQLite store and an injected clock: what goes by age and by
 * count, what must stay (samples, unfinished runs and their captures, captures still needed by dedup), and that the
 * work is done in bounded batches; the first pass comes soon after start.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { Store, SweepBatch } from '../store/store.js';
import { FakeClock } from '../../test/helpers/fake-clock.js';
import { FIRST_PASS_MS, startReceiverRetention, type ReceiverRetentionOptions } from './retention.js';
import { withTempStore, type TempStore } from '../../test/helpers/temp-store.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);
const log = pino({ level: 'silent' });

const withStore = (f: (store: TempStore) => Promise<void>): Promise<void> => withTempStore('retention', f);

let keys = 0;
async function flow(store: Store, name: string, definition: unknown = { steps: [] }) {
  return store.createFlow({ name, description: '', enabled: true, definition, hookKey: `key-${name}-${keys++}`.padEnd(20, 'x') }, T0);
}

/** A capture received at `at`; `run`: none, queued, or written leased (running) until `at` + 1 day. */
async function capture(store: Store, flowId: number, at: number, o: { run?: 'queued' | 'running'; body?: Buffer; dedupKey?: string } = {}) {
  const c = {
    flowId, method: 'POST', path: '/hooks/catch/x', query: '', rawHeaders: [['Content-Type', 'text/plain']] as [string, string][],
    body: o.body ?? Buffer.from('hello'), contentType: 'text/plain', remoteAddress: '127.0.0.1', receivedAt: at, dedupKey: o.dedupKey ?? null,
  };
  const run = o.run === undefined ? null : { definition: { steps: [] }, leaseUntil: o.run === 'running' ? at + DAY : null };
  const [r] = await store.transaction((tx) => tx.insertCaptures([{ c, run }]));
  return { captureId: r!.captureId, runId: r!.runId };
}

const step = (runId: number, at: number) => ({
  runId, stepId: 'a', stepType: 'noop', status: 'succeeded' as const, input: null, output: { x: 1 }, error: null, attempts: 1, startedAt: at, durationMs: 1,
});

function retention(store: Store, clock: FakeClock, o: Partial<ReceiverRetentionOptions> = {}) {
  // Passes are run by the test (runOnce); the timers are far off and stopped at the end.
  return startReceiverRetention({ store, clock, log, maxAgeMs: 30 * DAY, keepPerFlow: 10_000, firstAfterMs: 3_600_000, pauseMs: 0, ...o });
}

test('by age: old captures go with their finished runs and steps; samples, unfinished runs and recently replayed captures stay', async () => {
  await withStore(async (store) => {
    const clock = new FakeClock(T0 + 40 * DAY);
    const a = await flow(store, 'a');
    const done = await capture(store, a.id, T0, { run: 'queued' });
    await store.finishRun(done.runId!, 'succeeded', null, T0 + 1000);
    await store.saveRunStep(step(done.runId!, T0));
    const sample = await capture(store, a.id, T0, { run: 'queued' });
    await store.finishRun(sample.runId!, 'failed', 'boom', T0 + 1000);
    await store.updateFlow(a.id, { sampleCaptureId: sample.captureId }, T0);
    const queued = await capture(store, a.id, T0, { run: 'queued' });
    const running = await capture(store, a.id, T0, { run: 'running' });
    const retrying = await capture(store, a.id, T0, { run: 'queued' });
    await store.finishRun(retrying.runId!, 'retrying', 'try again', T0 + 1000, T0 + 41 * DAY);
    const replayed = await capture(store, a.id, T0, { run: 'queued' });
    await store.finishRun(replayed.runId!, 'succeeded', null, T0 + 1000);
    const replay = await store.createRun({ flowId: a.id, captureId: replayed.captureId, origin: 'replay', replayOf: replayed.runId, definition: { steps: [] } }, T0 + 35 * DAY);
    await store.finishRun(replay.id, 'succeeded', null, T0 + 35 * DAY);
    const off = await capture(store, a.id, T0);
    const young = await capture(store, a.id, T0 + 20 * DAY, { run: 'queued' });
    await store.finishRun(young.runId!, 'succeeded', null, T0 + 20 * DAY);

    const r = retention(store, clock);
    try {
      const t = await r.runOnce();
      const gone = async (id: number) => (await store.getCapture(id)) === null;
      assert.equal(await gone(done.captureId), true, 'an old capture whose runs are all finished');
      assert.equal(await store.getRun(done.runId!), null, 'its run went with it');
      assert.deepEqual(await store.listRunSteps(done.runId!), [], 'and the run\'s steps');
      assert.equal(await gone(off.captureId), true, 'an old capture without a run');
      assert.equal(await gone(sample.captureId), false, 'the flow\'s sample stays');
      assert.equal(await store.getRun(sample.runId!), null, 'its old finished run goes on its own');
      for (const [name, c] of [['queued', queued], ['running', running], ['retrying', retrying]] as const) {
        assert.equal(await gone(c.captureId), false, `a capture whose run is ${name} stays`);
        assert.equal((await store.getRun(c.runId!))?.status, name, `the ${name} run stays`);
      }
      assert.equal(await gone(replayed.captureId), false, 'a capture replayed after the cutoff stays');
      assert.equal((await store.getRun(replay.id))?.status, 'succeeded', 'with its recent run');
      assert.equal(await store.getRun(replayed.runId!), null, 'its old run goes');
      assert.equal(await gone(young.captureId), false, 'a capture younger than the cutoff stays');
      assert.notEqual(await store.getRun(young.runId!), null);
      assert.deepEqual([t.captures, t.runs], [2, 3], 'done and off; done\'s run, the sample\'s and the replayed capture\'s old run');
      assert.deepEqual([(await r.runOnce()).captures, (await r.runOnce()).runs], [0, 0], 'a second pass finds nothing more');
      // Once the queued run has finished (long ago, as far as the cutoff is concerned), its capture goes with it.
      await store.finishRun(queued.runId!, 'succeeded', null, T0 + 2000);
      assert.deepEqual((await r.runOnce()).captures, 1);
      assert.equal(await gone(queued.captureId), true);
      assert.equal(await store.getRun(queued.runId!), null);
    } finally {
      await r.stop();
    }
  });
});

test('by age: a capture with a dedup key stays while its flow\'s dedup window still needs it', async () => {
  await withStore(async (store) => {
    const clock = new FakeClock(T0 + 10 * DAY);
    const d = await flow(store, 'dedup', { steps: [], dedup: { key: '{{capture.body}}', windowSeconds: 7 * 86_400 } });
    const plain = await flow(store, 'plain');
    const inWindow = await capture(store, d.id, T0 + 8 * DAY, { dedupKey: 'k1' });
    const unkeyed = await capture(store, d.id, T0 + 8 * DAY);
    const pastWindow = await capture(store, d.id, T0 + 2 * DAY, { dedupKey: 'k2' });
    const otherFlow = await capture(store, plain.id, T0 + 8 * DAY, { dedupKey: 'k1' });
    const r = retention(store, clock, { maxAgeMs: DAY });
    try {
      await r.runOnce();
      assert.notEqual(await store.getCapture(inWindow.captureId), null, 'inside the 7-day window');
      for (const c of [unkeyed, pastWindow, otherFlow]) assert.equal(await store.getCapture(c.captureId), null);
    } finally {
      await r.stop();
    }
  });
});

test('by count: a flow keeps its newest captures; older ones go with their finished runs, except a sample and unfinished runs', async () => {
  await withStore(async (store) => {
    const clock = new FakeClock(T0 + DAY);
    const f = await flow(store, 'busy');
    const small = await flow(store, 'small');
    const sample = await capture(store, f.id, T0);
    await store.updateFlow(f.id, { sampleCaptureId: sample.captureId }, T0);
    const queued = await capture(store, f.id, T0, { run: 'queued' });
    const finished = await capture(store, f.id, T0, { run: 'queued' });
    await store.finishRun(finished.runId!, 'succeeded', null, T0 + 1000);
    await store.saveRunStep(step(finished.runId!, T0));
    const plain = [await capture(store, f.id, T0), await capture(store, f.id, T0)];
    const newest: number[] = [];
    for (let i = 0; i < 100; i++) newest.push((await capture(store, f.id, T0 + i)).captureId);
    for (let i = 0; i < 50; i++) await capture(store, small.id, T0);
    const r = retention(store, clock, { keepPerFlow: 100 });
    try {
      const t = await r.runOnce();
      assert.deepEqual([t.captures, t.runs], [3, 1], 'the finished one (with its run) and the two without a run');
      for (const c of [finished, ...plain]) assert.equal(await store.getCapture(c.captureId), null);
      assert.equal(await store.getRun(finished.runId!), null);
      assert.deepEqual(await store.listRunSteps(finished.runId!), []);
      assert.notEqual(await store.getCapture(sample.captureId), null, 'the sample stays');
      assert.equal((await store.getRun(queued.runId!))?.status, 'queued', 'an unfinished run and its capture stay');
      assert.notEqual(await store.getCapture(queued.captureId), null);
      assert.deepEqual((await store.listCaptures(f.id, 100)).map((c) => c.id), [...newest].reverse(), 'Test Trigger\'s 100, untouched');
      assert.equal((await store.listCaptures(small.id, 100)).length, 50, 'a flow under the cap loses nothing');
    } finally {
      await r.stop();
    }
  });
});

test('batches are bounded in rows and in body bytes, each in its own transaction', async () => {
  await withStore(async (store) => {
    const clock = new FakeClock(T0 + 40 * DAY);
    const f = await flow(store, 'bulk');
    for (let i = 0; i < 10; i++) await capture(store, f.id, T0, { body: Buffer.alloc(300, i) });
    await capture(store, f.id, T0, { body: Buffer.alloc(5000, 1) });
    for (let i = 0; i < 3; i++) await capture(store, f.id, T0, { body: Buffer.alloc(10, i) });
    const young = await capture(store, f.id, T0 + 39 * DAY);
    const batches: SweepBatch[] = [];
    const counting = Object.create(store) as Store;
    counting.transaction = async <T>(fn: (tx: Store) => Promise<T>) => {
      const r = await store.transaction(fn);
      batches.push(r as SweepBatch);
      return r;
    };
    const r = retention(counting, clock, { batchRows: 4, batchBytes: 1000 });
    try {
      const t = await r.runOnce();
      assert.equal(t.captures, 14);
      assert.equal(t.bytes, 10 * 300 + 5000 + 30);
      assert.equal(t.batches, batches.length);
      for (const b of batches) {
        assert.ok(b.captures <= 4, `at most 4 rows: ${JSON.stringify(b)}`);
        assert.ok(b.bytes <= 1000 || b.captures === 1, `at most 1000 bytes, or one capture alone: ${JSON.stringify(b)}`);
      }
      assert.ok(batches.some((b) => b.bytes === 5000 && b.captures === 1), 'the large capture went alone');
      assert.notEqual(await store.getCapture(young.captureId), null);
    } finally {
      await r.stop();
    }
  });
});

test('the first pass comes soon after start, then one every period; stop() ends them', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
  let passes = 0;
  const store = {
    listFlows: async () => { passes++; return []; },
    transaction: async () => ({ captures: 0, runs: 0, bytes: 0, next: null }),
  } as unknown as Store;
  const r = startReceiverRetention({ store, clock: new FakeClock(), log, maxAgeMs: 30 * DAY, keepPerFlow: 100, everyMs: 600_000 });
  const settle = () => new Promise<void>((res) => setImmediate(res));
  t.mock.timers.tick(FIRST_PASS_MS - 1);
  await settle();
  assert.equal(passes, 0);
  t.mock.timers.tick(1);
  await settle();
  assert.equal(passes, 1, 'the first pass');
  assert.ok(FIRST_PASS_MS <= 60_000, 'soon: within a minute of start');
  t.mock.timers.tick(600_000);
  await settle();
  assert.equal(passes, 2, 'then periodically');
  await r.stop();
  t.mock.timers.tick(600_000);
  await settle();
  assert.equal(passes, 2, 'none after stop()');
});
