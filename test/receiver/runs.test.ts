/**
 * Runs, on a fake clock, with real HTTP sinks: every accepted capture becomes a run whose steps are recorded; a
 * failed action step is retried on the autoreplay schedule (300 s, then 1800 s…); a permanent failure is not; replay
 * from the failed step reuses the steps before it, replay from the start reruns all; a filter stops a run; runs are
 * filtered by status and time; secrets reach the step that names them and nothing else (API, run records).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSink, startTestServer, type Sink, type TestServer, until } from '../helpers/harness.js';
import { FakeClock } from '../helpers/fake-clock.js';

const clock = new FakeClock();
let s: TestServer;
let sink: Sink;
/** Per path: the statuses to answer, one per request (the last one repeats). */
const script = new Map<string, number[]>();

before(async () => {
  sink = await startSink();
  sink.respond((r) => {
    const list = script.get(r.path) ?? [200];
    return list.length > 1 ? list.shift()! : list[0]!;
  });
  s = await startTestServer({ clock });
});
after(async () => {
  await s.stop();
  await sink.close();
});

const settle = () => new Promise((r) => setTimeout(r, 150));

async function createFlow(def: Record<string, unknown>): Promise<{ id: number; catchUrl: string }> {
  const r = await s.api('POST', '/api/v1/flows', def);
  assert.equal(r.status, 200, r.text);
  return r.body.flow;
}
async function capture(flow: { catchUrl: string }, json: unknown): Promise<{ captureId: number; runId: number }> {
  const r = await fetch(flow.catchUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(json) });
  assert.equal(r.status, 200);
  return (await r.json()) as { captureId: number; runId: number };
}
const getRun = async (id: number) => (await s.api('GET', `/api/v1/runs/${id}`)).body.run;
const runReaches = (id: number, status: string, what = `run ${id} ${status}`) =>
  until(async () => { const r = await getRun(id); return r.status === status && r; }, what);
const wake = () => s.running.ctx.runner.wake();
const httpStep = (id: string, path: string, extra: Record<string, unknown> = {}) =>
  ({ id, type: 'http_request', config: { method: 'POST', url: `${sink.url}${path}`, ...extra } });

test('a failed action step is retried on the autoreplay schedule (+300 s, +1800 s), then succeeds', async () => {
  script.set('/retry', [503, 503, 200]);
  const flow = await createFlow({ name: 'retry', steps: [httpStep('call', '/retry', { body: { n: '{{capture.json.n}}' } })] });
  const t0 = clock.now();
  const { runId } = await capture(flow, { n: 1 });
  let run = await runReaches(runId, 'retrying');
  assert.equal(run.nextAttemptAt, new Date(t0 + 300_000).toISOString());
  assert.match(run.error, /attempt 1 of 6/);
  assert.deepEqual([run.steps[0].status, run.steps[0].attempts], ['retrying', 1]);
  assert.match(run.steps[0].error, /503/);
  assert.equal(run.steps[0].output.status, 503, 'the failed response is recorded');
  assert.equal(sink.byPath('/retry').length, 1);

  clock.advance(299_000);
  wake();
  await settle();
  assert.equal(sink.byPath('/retry').length, 1, 'not before its time');
  assert.equal((await getRun(runId)).status, 'retrying');

  clock.advance(1_000);
  wake();
  await until(async () => sink.byPath('/retry').length === 2, 'the second attempt');
  run = await until(async () => { const r = await getRun(runId); return r.steps[0].attempts === 2 && r.status === 'retrying' && r; }, 'attempt 2 recorded');
  assert.equal(run.nextAttemptAt, new Date(t0 + 300_000 + 1_800_000).toISOString());

  clock.advance(1_800_000);
  wake();
  run = await runReaches(runId, 'succeeded');
  assert.equal(sink.byPath('/retry').length, 3);
  const step = run.steps[0];
  assert.deepEqual([step.status, step.attempts, step.error, step.output.status], ['succeeded', 3, null, 200]);
  assert.equal(step.startedAt, new Date(t0 + 2_100_000).toISOString(), 'the last attempt ran on schedule');
  assert.deepEqual(step.input, { method: 'POST', url: `${sink.url}/retry`, body: { n: 1 } });
  assert.equal(typeof step.durationMs, 'number');
  assert.equal(run.finishedAt, new Date(t0 + 2_100_000).toISOString());
  assert.equal(JSON.parse(sink.byPath('/retry')[2]!.text).n, 1);
});

test('a step slower than the run lease is not started a second time by the same process', async () => {
  const flow = await createFlow({ name: 'slow-step', steps: [httpStep('call', '/slow')] });
  sink.delay(700);
  try {
    const { runId } = await capture(flow, {});
    await until(async () => sink.byPath('/slow').length === 1, 'the request');
    clock.advance(121_000); // past receiver.lease_ms (120 s) while the step still waits for its answer
    wake();
    const run = await runReaches(runId, 'succeeded');
    assert.equal(sink.byPath('/slow').length, 1, 'the run was claimed again and its step repeated');
    assert.equal(run.steps[0].attempts, 1);
  } finally {
    sink.delay(0);
  }
});

test('an action\'s record is durable before the next action runs; the last one is written with the run\'s end', async () => {
  const flow = await createFlow({ name: 'two-actions', steps: [httpStep('first', '/two-a'), httpStep('second', '/two-b')] });
  sink.delay(400);
  try {
    const { runId } = await capture(flow, {});
    await until(async () => sink.byPath('/two-b').length === 1, 'the second request');
    // The second action is in flight (its answer takes 400 ms): the first one's record is already in the store.
    const during = await s.running.ctx.store.listRunSteps(runId);
    assert.deepEqual(during.map((x) => [x.stepId, x.status]), [['first', 'succeeded']]);
    const run = await runReaches(runId, 'succeeded');
    assert.deepEqual(run.steps.map((x: { stepId: string; status: string }) => [x.stepId, x.status]), [['first', 'succeeded'], ['second', 'succeeded']]);
  } finally {
    sink.delay(0);
  }
});

test('a 400 fails the run at once: not retried, even much later', async () => {
  script.set('/bad', [400]);
  const flow = await createFlow({ name: 'permanent', steps: [httpStep('call', '/bad')] });
  const { runId } = await capture(flow, {});
  const run = await runReaches(runId, 'failed');
  assert.equal(run.nextAttemptAt, null);
  assert.match(run.error, /400/);
  assert.deepEqual([run.steps[0].status, run.steps[0].attempts], ['failed', 1]);
  clock.advance(86_400_000);
  wake();
  await settle();
  assert.equal(sink.byPath('/bad').length, 1);
  assert.equal((await getRun(runId)).status, 'failed');
});

test('replay from the failed step reuses the earlier steps\' records; replay from the start reruns every step', async () => {
  script.set('/first', [200]);
  script.set('/second', [400]);
  const flow = await createFlow({
    name: 'replay', steps: [
      httpStep('first', '/first', { body: 'one' }),
      { id: 'mid', type: 'noop', config: { output: { firstStatus: '{{steps.first.status}}', n: '{{capture.json.n}}' } } },
      httpStep('second', '/second', { body: { from: '{{steps.mid.n}}' } }),
    ],
  });
  const { runId } = await capture(flow, { n: 5 });
  const failed = await runReaches(runId, 'failed');
  assert.deepEqual(failed.steps.map((x: any) => [x.stepId, x.status]), [['first', 'succeeded'], ['mid', 'succeeded'], ['second', 'failed']]);

  script.set('/second', [200]);
  clock.advance(60_000);
  const bad = await s.api('POST', `/api/v1/runs/${runId}/replay`, { fromStep: 'nope' });
  assert.equal(bad.status, 400);
  assert.match(bad.body.error.error, /first, mid, second/);
  assert.equal((await s.api('POST', '/api/v1/runs/999999/replay', {})).body.error.type, 'run_not_found');

  const r1 = await s.api('POST', `/api/v1/runs/${runId}/replay`, { fromStep: 'second' });
  assert.equal(r1.status, 200, r1.text);
  assert.deepEqual([r1.body.run.origin, r1.body.run.replayOf, r1.body.run.captureId], ['replay', runId, failed.captureId]);
  const fromStep = await runReaches(r1.body.run.id, 'succeeded');
  assert.equal(sink.byPath('/first').length, 1, 'the step before was not run again');
  assert.equal(sink.byPath('/second').length, 2);
  for (const i of [0, 1]) {
    const { stepId, status, output, startedAt, durationMs, attempts } = fromStep.steps[i];
    const o = failed.steps[i];
    assert.deepEqual({ stepId, status, output, startedAt, durationMs, attempts }, {
      stepId: o.stepId, status: o.status, output: o.output, startedAt: o.startedAt, durationMs: o.durationMs, attempts: o.attempts,
    }, `${stepId}: the original record, copied`);
  }
  assert.equal(fromStep.steps[2].startedAt, new Date(clock.now()).toISOString());
  assert.deepEqual(JSON.parse(sink.byPath('/second')[1]!.text), { from: 5 }, 'later steps read the copied outputs');
  assert.equal((await getRun(runId)).status, 'failed', 'the original run keeps its record');

  clock.advance(60_000);
  const r2 = await s.api('POST', `/api/v1/runs/${runId}/replay`);
  assert.equal(r2.status, 200, r2.text);
  const fromStart = await runReaches(r2.body.run.id, 'succeeded');
  assert.equal(sink.byPath('/first').length, 2, 'replay from the start runs the first step again');
  assert.equal(sink.byPath('/second').length, 3);
  assert.ok(fromStart.steps.every((x: any) => x.startedAt === new Date(clock.now()).toISOString()), 'every step ran anew');

  // From the failed step, without naming it: the same as fromStep "second".
  const both = await s.api('POST', `/api/v1/runs/${runId}/replay`, { fromStep: 'second', fromFailed: true });
  assert.equal(both.status, 400, both.text);
  const none = await s.api('POST', `/api/v1/runs/${r2.body.run.id}/replay`, { fromFailed: true });
  assert.equal(none.status, 400, none.text);
  assert.equal(none.body.error.type, 'no_failed_step');
  const r3 = await s.api('POST', `/api/v1/runs/${runId}/replay`, { fromFailed: true });
  assert.equal(r3.status, 200, r3.text);
  const fromFailed = await runReaches(r3.body.run.id, 'succeeded');
  assert.equal(sink.byPath('/first').length, 2, 'the steps before the failed one were not run again');
  assert.equal(sink.byPath('/second').length, 4);
  assert.deepEqual(fromFailed.steps.map((x: any) => x.stepId), ['first', 'mid', 'second']);
});

test('a filter that does not pass stops the run; runs are filtered by status and time', async () => {
  const flow = await createFlow({
    name: 'filtered', steps: [
      { id: 'only_go', type: 'filter', when: { left: 'capture.json.kind', op: 'equals', right: 'go' } },
      httpStep('after', '/after-filter'),
    ],
  });
  const t1 = clock.now();
  const a = await capture(flow, { kind: 'go' });
  await runReaches(a.runId, 'succeeded');
  clock.advance(600_000);
  const b = await capture(flow, { kind: 'stay' });
  const stopped = await runReaches(b.runId, 'stopped');
  assert.match(stopped.error, /only_go/);
  assert.deepEqual(stopped.steps.map((x: any) => [x.stepId, x.status]), [['only_go', 'stopped']]);
  assert.equal(stopped.steps[0].output.pass, false);
  assert.equal(sink.byPath('/after-filter').length, 1, 'the step after the filter did not run');
  clock.advance(600_000);
  const c = await capture(flow, { kind: 'go' });
  await runReaches(c.runId, 'succeeded');

  const ids = async (q: string) => ((await s.api('GET', `/api/v1/runs?flowId=${flow.id}&${q}`)).body.runs as any[]).map((r) => r.id);
  assert.deepEqual(await ids('status=succeeded'), [c.runId, a.runId]);
  assert.deepEqual(await ids('status=stopped'), [b.runId]);
  assert.deepEqual(await ids('status=failed'), []);
  const iso = (t: number) => new Date(t).toISOString();
  assert.deepEqual(await ids(`since=${iso(t1 + 300_000)}`), [c.runId, b.runId]);
  assert.deepEqual(await ids(`until=${iso(t1 + 300_000)}`), [a.runId]);
  assert.deepEqual(await ids(`since=${t1 + 300_000}&until=${t1 + 900_000}`), [b.runId], 'Unix milliseconds too');
  assert.deepEqual(await ids(`status=succeeded&since=${iso(t1 + 1)}`), [c.runId]);
  const perFlow = (await s.api('GET', `/api/v1/flows/${flow.id}/runs?status=stopped`)).body.runs;
  assert.deepEqual(perFlow.map((r: any) => r.id), [b.runId]);
  const badStatus = await s.api('GET', '/api/v1/runs?status=done');
  assert.equal(badStatus.status, 400);
  assert.equal(badStatus.body.error.type, 'invalid_argument');
  assert.equal((await s.api('GET', '/api/v1/runs?since=yesterday')).status, 400);
  assert.equal((await s.api('GET', '/api/v1/runs/424242')).body.error.type, 'run_not_found');
});

/** Answers every request with the headers it got, as JSON: a response that would leak a secret into a run record. */
async function startEcho() {
  const got: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    got.push(req.headers);
    req.resume();
    req.on('end', () => {
      res.statusCode = req.url === '/reject' ? 400 : 200;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ headers: req.headers }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, got,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

test('secrets: the step that names one gets its value; the API and run records never show it', async () => {
  const echo = await startEcho();
  const VALUE = 'sk_live_7Hq2Zr9WmXv4Tc1N';
  try {
    assert.equal((await s.api('PUT', '/api/v1/secrets/API_TOKEN', { value: VALUE })).status, 200);
    const flow = await createFlow({
      name: 'secrets', steps: [
        {
          id: 'call', type: 'http_request', config: {
            method: 'POST', url: `${echo.url}/with-secret`, body: '{{capture.body}}',
            // The author names the secret here; the sender's {"secret": …} in the capture must stay plain text.
            headers: { Authorization: { secret: 'API_TOKEN' }, 'X-From-Capture': '{{capture.json.auth}}' },
          },
        },
        { id: 'forged', type: 'http_request', config: { method: 'GET', url: `${echo.url}/forged`, headers: '{{capture.json.hdrs}}' } },
      ],
    });
    const { runId } = await capture(flow, { auth: { secret: 'API_TOKEN' }, hdrs: { 'X-Leak': { secret: 'API_TOKEN' } } });
    const run = await runReaches(runId, 'succeeded');
    assert.equal(echo.got.length, 2);
    assert.equal(echo.got[0]!.authorization, VALUE, 'the named secret was sent');
    assert.equal(echo.got[0]!['x-from-capture'], '{"secret":"API_TOKEN"}', 'a reference from the request is not resolved');
    assert.equal(echo.got[1]!['x-leak'], '{"secret":"API_TOKEN"}', 'nor one in a whole templated headers object');

    const text = JSON.stringify(run);
    assert.ok(!text.includes(VALUE), `the run record holds the value: ${text}`);
    assert.equal(run.steps[0].input.headers.Authorization, '[secret API_TOKEN]');
    assert.equal(run.steps[0].output.json.headers.authorization, '[secret API_TOKEN]', 'an echoed value is scrubbed from the output');
    for (const path of ['/api/v1/secrets', `/api/v1/flows/${flow.id}`, `/api/v1/flows/${flow.id}/export`, `/api/v1/runs?flowId=${flow.id}`, `/api/v1/flows/${flow.id}/captures`]) {
      const r = await s.api('GET', path);
      assert.equal(r.status, 200, path);
      assert.ok(!r.text.includes(VALUE), `${path} shows the secret`);
    }
    // A failure whose error text would quote the value (a server that echoes the request in its 400).
    const rejecting = await createFlow({
      name: 'secret-in-error', steps: [{ id: 'call', type: 'http_request', config: { method: 'POST', url: `${echo.url}/reject`, headers: { Authorization: { secret: 'API_TOKEN' } } } }],
    });
    const rej = await runReaches((await capture(rejecting, {})).runId, 'failed');
    assert.match(rej.steps[0].error, /400.*\[secret API_TOKEN\]/);
    assert.ok(!JSON.stringify(rej).includes(VALUE), 'nor in an error');

    const listed = (await s.api('GET', '/api/v1/secrets')).body.secrets;
    assert.deepEqual(listed.map((x: any) => x.name), ['API_TOKEN']);
    assert.deepEqual(Object.keys(listed[0]).sort(), ['createdAt', 'name', 'updatedAt']);

    // A missing secret is a permanent failure, without the value of any other secret in its error.
    const missing = await createFlow({ name: 'missing-secret', steps: [httpStep('call', '/never', { headers: { 'X-Key': { secret: 'NOT_SET' } } })] });
    const m = await capture(missing, {});
    const mr = await runReaches(m.runId, 'failed');
    assert.match(mr.error, /NOT_SET/);
    assert.equal(mr.steps[0].attempts, 1);
    assert.equal(sink.byPath('/never').length, 0);
    assert.equal((await s.api('DELETE', '/api/v1/secrets/API_TOKEN')).status, 200);
    assert.equal((await s.api('DELETE', '/api/v1/secrets/API_TOKEN')).body.error.type, 'secret_not_found');
  } finally {
    await echo.close();
  }
});
