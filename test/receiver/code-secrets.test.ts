/**
 * Code steps (Python in Pyodide, JavaScript in QuickJS) with a secret in `inputData`, through a real server: the value
 * reaches the code; the flow definition, its export, the run record and Test step show only the reference; what the
 * code returns or prints is scrubbed; an unset secret fails the step saying how to set it; a malformed reference is
 * refused when the flow is saved.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer, until } from '../helpers/harness.js';

const VALUE = 'code-step-secret-0042';
let s: TestServer;

before(async () => {
  s = await startTestServer();
  assert.equal((await s.api('PUT', '/api/v1/secrets/SIGNING_KEY', { value: VALUE })).status, 200);
});
after(async () => { await s.stop(); });

const steps = (secret: string) => [
  { id: 'py', type: 'code', config: {
    language: 'python', timeoutMs: 30_000,
    code: "print('key is', input_data['key'])\nreturn {'k': input_data['key'], 'n': len(input_data['key']), 'body': input_data['body']}",
    inputData: { key: { secret }, body: '{{capture.body}}' },
  } },
  { id: 'js', type: 'code', config: {
    language: 'javascript',
    code: 'return { k: inputData.key, n: inputData.key.length, py: inputData.py }',
    inputData: { key: { secret }, py: '{{steps.py.k}}' },
  } },
];

async function finishedRun(flowId: number): Promise<any> {
  const runs = await until(async () => {
    const r = (await s.api('GET', `/api/v1/flows/${flowId}/runs`)).body.runs;
    return r.length === 1 && ['succeeded', 'failed'].includes(r[0].status) && r;
  }, 'a finished run', 60_000);
  return (await s.api('GET', `/api/v1/runs/${runs[0].id}`)).body.run;
}

test('a secret in inputData reaches Python and JavaScript code; definition, export, run and Test step show only its name', async () => {
  const created = await s.api('POST', '/api/v1/flows', { name: 'code-secret', steps: steps('SIGNING_KEY') });
  assert.equal(created.status, 200, created.text);
  const flow = created.body.flow;
  for (const path of [`/api/v1/flows/${flow.id}`, `/api/v1/flows/${flow.id}/export`, '/api/v1/flows']) {
    const r = await s.api('GET', path);
    assert.equal(r.status, 200, r.text);
    assert.ok(r.text.includes('"secret":"SIGNING_KEY"') && !r.text.includes(VALUE), `${path} holds the reference, not the value`);
  }

  assert.equal((await fetch(flow.catchUrl, { method: 'POST', body: 'hello' })).status, 200);
  const run = await finishedRun(flow.id);
  assert.equal(run.status, 'succeeded', JSON.stringify(run));
  const [py, js] = run.steps;
  assert.deepEqual(py.input.inputData, { key: '[secret SIGNING_KEY]', body: 'hello' });
  assert.deepEqual(py.output, { k: '[secret SIGNING_KEY]', n: VALUE.length, body: 'hello' }, 'the code got the value; the record has the name');
  assert.deepEqual(js.input.inputData, { key: '[secret SIGNING_KEY]', py: '[secret SIGNING_KEY]' });
  assert.deepEqual(js.output, { k: '[secret SIGNING_KEY]', n: VALUE.length, py: '[secret SIGNING_KEY]' });
  assert.ok(!JSON.stringify(run).includes(VALUE), 'the run record never holds the value');

  // Test step: the same, nothing recorded.
  for (const stepId of ['py', 'js']) {
    const t = await s.api('POST', `/api/v1/flows/${flow.id}/test-step`, { stepId, steps: { py: { k: 'from-earlier' } } });
    assert.equal(t.status, 200, t.text);
    assert.equal(t.body.result.status, 'succeeded', t.text);
    assert.equal(t.body.result.input.inputData.key, '[secret SIGNING_KEY]');
    assert.equal(t.body.result.output.k, '[secret SIGNING_KEY]');
    assert.equal(t.body.result.output.n, VALUE.length);
    assert.ok(!t.text.includes(VALUE), 'Test step never returns the value');
  }
});

test('a code step whose secret is not set fails with the name and how to set it', async () => {
  const flow = (await s.api('POST', '/api/v1/flows', { name: 'code-missing', steps: steps('NOT_SET_YET') })).body.flow;
  await fetch(flow.catchUrl, { method: 'POST', body: 'x' });
  const run = await finishedRun(flow.id);
  assert.equal(run.status, 'failed');
  assert.deepEqual(run.steps.map((x: any) => [x.stepId, x.status]), [['py', 'failed']]);
  assert.equal(run.steps[0].error,
    'secret "NOT_SET_YET" is not set: set it with `switchyard secrets set NOT_SET_YET` or PUT /api/v1/secrets/NOT_SET_YET {"value": "…"}');
  assert.equal(run.steps[0].output, null);
});

test('a malformed secret reference in inputData is refused when the flow is saved (400 invalid_flow)', async () => {
  const r = await s.api('POST', '/api/v1/flows', { name: 'code-bad-ref', steps: [
    { id: 'py', type: 'code', config: { language: 'python', code: 'return {}', inputData: { key: { secret: 'signing-key' } } } },
  ] });
  assert.equal(r.status, 400, r.text);
  assert.equal(r.body.error.type, 'invalid_flow');
  assert.match(r.body.error.error, /steps\[0\]\.config\.inputData\.key\.secret: must be a secret name: a letter, then letters, digits and _/);
});
