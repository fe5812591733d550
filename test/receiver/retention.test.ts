/**
 * Receiver retention on a running server (config → server → store): captures and runs older than
 * receiver.retention_days go, the flow's sample stays and Test Trigger still works on it. What goes and what stays
 * in detail, and the batches, are in src/receiver/retention.test.ts.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer, until } from '../helpers/harness.js';
import { FakeClock } from '../helpers/fake-clock.js';

const clock = new FakeClock();
let s: TestServer;
before(async () => { s = await startTestServer({ clock, patch: (c) => { c.receiver.retention_days = 7; } }); });
after(async () => { await s.stop(); });

test('captures and runs older than receiver.retention_days are deleted; the sample stays and still runs', async () => {
  const created = await s.api('POST', '/api/v1/flows', { name: 'retained', steps: [{ id: 'n', type: 'noop', config: { output: '{{capture.body}}' } }] });
  assert.equal(created.status, 200, created.text);
  const flow = created.body.flow as { id: number; catchUrl: string };
  const ids: number[] = [];
  for (const body of ['one', 'two', 'three']) ids.push(((await (await fetch(flow.catchUrl, { method: 'POST', body })).json()) as any).captureId);
  const runs = async () => (await s.api('GET', `/api/v1/runs?flowId=${flow.id}`)).body.runs as any[];
  await until(async () => (await runs()).length === 3 && (await runs()).every((r) => r.status === 'succeeded'), 'the three runs');
  assert.equal((await s.api('POST', `/api/v1/flows/${flow.id}/sample`, { captureId: ids[1] })).status, 200);

  clock.advance(8 * 86_400_000);
  const fresh = ((await (await fetch(flow.catchUrl, { method: 'POST', body: 'four' })).json()) as any).captureId as number;
  await until(async () => (await runs()).some((r) => r.captureId === fresh && r.status === 'succeeded'), 'the new run');
  const t = await s.running.retention.receiver.runOnce();
  assert.deepEqual([t.captures, t.runs], [2, 3], 'two old captures with their runs, and the sample\'s old run');
  const left = (await s.api('GET', `/api/v1/flows/${flow.id}/captures`)).body.captures as any[];
  assert.deepEqual(left.map((c) => c.id), [fresh, ids[1]], 'the new capture and the sample');
  assert.deepEqual((await runs()).map((r) => r.captureId), [fresh]);
  const replay = await s.api('POST', `/api/v1/flows/${flow.id}/captures/${ids[1]}/run`);
  assert.equal(replay.status, 200, replay.text);
  const run = await until(async () => {
    const r = (await s.api('GET', `/api/v1/runs/${replay.body.run.id}`)).body.run;
    return r.status === 'succeeded' && r;
  }, 'the sample run');
  assert.equal(run.steps[0].output, 'two');
});
