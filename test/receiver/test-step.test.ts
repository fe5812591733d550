/**
 * POST /api/v1/flows/{id}/test-step with a real server and a real HTTP sink: one step run on the flow's sample (or
 * newest, or a given) capture with given earlier outputs, its output/status/error/duration returned and no run
 * created; filters and paths explained; secrets redacted; errors no_capture, capture_not_found, invalid_flow.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSink, startTestServer, type Sink, type TestServer } from '../helpers/harness.js';

let s: TestServer;
let sink: Sink;
let flow: any;

before(async () => {
  sink = await startSink();
  s = await startTestServer();
  await s.api('PUT', '/api/v1/secrets/API_TOKEN', { value: 'tok-very-secret-123' });
  // Off: captures are kept for Test Trigger but not run, so any run would come from the test itself.
  flow = (await s.api('POST', '/api/v1/flows', {
    name: 'tested', enabled: false, steps: [
      { id: 'post', type: 'http_request', config: {
        method: 'POST', url: `${sink.url}/step`, headers: { Authorization: { secret: 'API_TOKEN' } },
        body: { n: '{{capture.json.n}}', verdict: '{{steps.verify.result}}' },
      } },
      { id: 'legit', type: 'filter', when: { left: 'steps.verify.result', op: 'equals', right: 'PASS' } },
      { id: 'route', type: 'paths', paths: [
        { name: 'big', when: { left: 'capture.json.n', op: 'gt', right: 10 }, steps: [{ id: 'noop_big', type: 'noop' }] },
        { name: 'small', fallback: true, steps: [] },
      ] },
    ],
  })).body;
  assert.ok(flow.flow, JSON.stringify(flow));
  flow = flow.flow;
});
after(async () => { await s.stop(); await sink.close(); });

const testStep = (body: unknown, id = flow.id) => s.api('POST', `/api/v1/flows/${id}/test-step`, body);
const capture = async (body: unknown) => ((await (await fetch(flow.catchUrl, { method: 'POST', body: JSON.stringify(body) })).json()) as { captureId: number }).captureId;

test('a flow that caught nothing answers 400 no_capture', async () => {
  const r = await testStep({ stepId: 'legit' });
  assert.equal(r.status, 400, r.text);
  assert.equal(r.body.error.type, 'no_capture');
  assert.match(r.body.error.error, /has no capture to test with: send a request to its catch URL/);
});

test('an action step runs for real on the newest capture with the given earlier outputs; nothing is recorded', async () => {
  await capture({ n: 5 });
  const newest = await capture({ n: 42 });
  const r = await testStep({ stepId: 'post', steps: { verify: { result: 'PASS' } } });
  assert.equal(r.status, 200, r.text);
  const res = r.body.result;
  assert.equal(res.stepId, 'post');
  assert.equal(res.type, 'http_request');
  assert.equal(res.captureId, newest);
  assert.equal(res.status, 'succeeded');
  assert.equal(res.error, null);
  assert.equal(res.output.status, 200);
  assert.equal(typeof res.durationMs, 'number');
  assert.deepEqual(res.input.headers, { Authorization: '[secret API_TOKEN]' }, 'the input names the secret, not its value');
  assert.ok(!r.text.includes('tok-very-secret-123'), 'the secret value is not returned');
  const [req] = sink.byPath('/step');
  assert.deepEqual(JSON.parse(req!.text), { n: 42, verdict: 'PASS' });
  assert.equal(req!.headers.authorization, 'tok-very-secret-123');
  assert.equal((await s.api('GET', `/api/v1/flows/${flow.id}/runs`)).body.runs.length, 0, 'no run was created');

  // The chosen sample wins over the newest; a captureId wins over both.
  const first = (await s.api('GET', `/api/v1/flows/${flow.id}/captures`)).body.captures.at(-1).id;
  await s.api('POST', `/api/v1/flows/${flow.id}/sample`, { captureId: first });
  const sampled = await testStep({ stepId: 'route' });
  assert.equal(sampled.body.result.captureId, first);
  assert.equal(sampled.body.result.output.path, 'small');
  const given = await testStep({ stepId: 'route', captureId: newest });
  assert.deepEqual(given.body.result.output, { path: 'big', explain: [given.body.result.output.explain[0]] });
  assert.match(given.body.result.output.explain[0], /^big: yes/);
});

test('filter steps are explained; a failing action reports its error and whether a run would retry it', async () => {
  const stopped = await testStep({ stepId: 'legit', steps: { verify: { result: 'Signature cannot be verified' } } });
  assert.equal(stopped.status, 200, stopped.text);
  assert.equal(stopped.body.result.status, 'stopped');
  assert.equal(stopped.body.result.output.pass, false);
  assert.match(stopped.body.result.error, /filter legit did not pass/);
  const passed = await testStep({ stepId: 'legit', steps: { verify: { result: 'PASS' } } });
  assert.equal(passed.body.result.status, 'succeeded');

  sink.respond(503);
  try {
    const failed = await testStep({ stepId: 'post' });
    assert.equal(failed.status, 200, 'a failing step is a result, not an API error');
    assert.equal(failed.body.result.status, 'failed');
    assert.equal(failed.body.result.retryable, true);
    assert.match(failed.body.result.error, /503/);
  } finally {
    sink.respond(200);
  }
});

test('a step given in the body is validated (400 invalid_flow naming the field) and run', async () => {
  const bad = await testStep({ step: { type: 'http_request', config: { method: 'POST', url: 'ftp://example.com/x' } } });
  assert.equal(bad.status, 400, bad.text);
  assert.equal(bad.body.error.type, 'invalid_flow');
  assert.match(bad.body.error.error, /the step has 1 problem: step\.config\.url: must be an http:\/\/ or https:\/\/ URL/);
  const unknown = await testStep({ step: { type: 'teleport' } });
  assert.equal(unknown.body.error.type, 'invalid_flow');
  assert.match(unknown.body.error.error, /step\.type: unknown step type "teleport"/);

  const ok = await testStep({ step: { id: 'try', type: 'http_request', config: { method: 'PUT', url: `${sink.url}/adhoc`, body: 'n={{capture.json.n}}' } } });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.body.result.stepId, 'try');
  assert.equal(ok.body.result.status, 'succeeded');
  assert.equal(sink.byPath('/adhoc')[0]!.method, 'PUT');
});

test('bad requests answer 4xx with a stable type', async () => {
  const other = (await s.api('POST', '/api/v1/flows', { name: 'other', steps: [] })).body.flow;
  const foreign = ((await (await fetch(other.catchUrl, { method: 'POST', body: '{}' })).json()) as { captureId: number }).captureId;
  const cases: [unknown, number, string, RegExp][] = [
    [{ stepId: 'post', captureId: foreign }, 404, 'capture_not_found', new RegExp(`flow ${flow.id} has no capture ${foreign}`)],
    [{ stepId: 'post', captureId: 0 }, 400, 'invalid_argument', /body\.captureId must be between 1/],
    [{ stepId: 'nope' }, 400, 'invalid_argument', /has no step "nope"; its steps are post, legit, route, noop_big/],
    [{}, 400, 'invalid_argument', /give either body\.stepId .* or body\.step/],
    [{ stepId: 'post', step: { type: 'noop' } }, 400, 'invalid_argument', /give either/],
    [{ stepId: 'post', steps: [1] }, 400, 'invalid_argument', /body\.steps must be an object/],
    [{ stepId: 'post', extra: 1 }, 400, 'unknown_field', /unknown field "extra"/],
  ];
  for (const [body, status, type, message] of cases) {
    const r = await testStep(body);
    assert.equal(r.status, status, `${JSON.stringify(body)}: ${r.text}`);
    assert.equal(r.body.error.type, type, JSON.stringify(body));
    assert.match(r.body.error.error, message, JSON.stringify(body));
  }
  assert.equal((await testStep({ stepId: 'post' }, 9999)).body.error.type, 'flow_not_found');
});
