/**
 * The seed, end to end, with real parts: a Determined webhook delivers to a Switchyard catch hook; the flow verifies
 * the signature and routes: PASS → an email with the experiment's information (received by a real SMTP server),
 * otherwise → an alert whose reason a human can act on. Then the same with the seed's own Python code step, repaired,
 * reading the signing key from a secret (never from the flow definition).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer, until } from '../helpers/harness.js';
import { startSmtpSink } from '../helpers/smtp.js';
import { SEED_SNIPPET_REPAIRED } from '../../src/sandbox/seed-snippet.js';
import { DEMO_FLOW } from '../../src/demo.js';

const SEED_FLOW = DEMO_FLOW;

async function setup(s: TestServer, flow: unknown) {
  assert.equal((await s.api('PUT', '/api/v1/secrets/DET_WEBHOOKS_SIGNING_KEY', { value: 'testsigningkey' })).status, 200);
  const f = await s.api('POST', '/api/v1/flows', flow);
  assert.equal(f.status, 200, f.text);
  const wh = await s.api('POST', '/api/v1/webhooks', {
    url: f.body.flow.catchUrl, name: 'to-switchyard',
    triggers: [{ triggerType: 'TRIGGER_TYPE_EXPERIMENT_STATE_CHANGE', condition: { state: 'COMPLETED' } }],
  });
  assert.equal(wh.status, 200, wh.text);
  return f.body.flow as { id: number; catchUrl: string };
}

test('seed flow: a real Determined delivery is verified and emailed; a tampered one raises an alert with the reason', async () => {
  const smtp = await startSmtpSink();
  const s = await startTestServer({ env: { SWITCHYARD_SMTP_HOST: '127.0.0.1', SWITCHYARD_SMTP_PORT: String(smtp.port) } });
  try {
    const flow = await setup(s, SEED_FLOW);
    assert.equal((await s.api('POST', '/api/v1/workspaces', { name: 'vision' })).status, 200);
    const e = await s.api('POST', '/api/v1/experiments', { name: 'cifar10 <resnet> é', workspace: 'vision', project: 'resnet sweeps', resourcePool: 'gpu' });
    assert.equal(e.status, 200, e.text);
    const id = e.body.experiment.id as number;
    await s.api('POST', `/api/v1/experiments/${id}/state`, { state: 'COMPLETED' });
    const { duration } = (await s.api('GET', `/api/v1/experiments/${id}`)).body.experiment;
    const [mail] = await smtp.waitFor(1);
    assert.deepEqual(mail!.to, ['ml-team@example.com']);
    // Exactly what the flow's templates render from the verified payload (the non-ASCII name survives the encoding).
    assert.equal(mail!.subject, `Experiment cifar10 <resnet> é (#${id}) is COMPLETED`);
    assert.equal(mail!.body.trim(), `Experiment cifar10 <resnet> é (#${id}) in workspace "vision", project "resnet sweeps", reached COMPLETED after ${duration} s on pool gpu.`);
    const runs = await until(async () => {
      const r = (await s.api('GET', `/api/v1/flows/${flow.id}/runs`)).body.runs;
      return r.length === 1 && r[0].status === 'succeeded' && r;
    }, 'a succeeded run');
    const run = (await s.api('GET', `/api/v1/runs/${runs[0].id}`)).body.run;
    assert.deepEqual(run.steps.map((x: any) => [x.stepId, x.status]), [['verify', 'succeeded'], ['route', 'succeeded'], ['email', 'succeeded']]);
    assert.equal(run.steps[0].output.result, 'PASS');
    assert.equal(run.steps[1].output.path, 'signature verified');
    assert.ok(!JSON.stringify(run).includes('testsigningkey'), 'the key never appears in the run record');

    // Test Trigger: the capture is kept exactly, headers with their original names.
    const caps = (await s.api('GET', `/api/v1/flows/${flow.id}/captures`)).body.captures;
    assert.equal(caps.length, 1);
    const cap = caps[0];
    assert.ok(cap.headers.some((h: any) => h.name === 'X-Determined-AI-Signature'));
    // Replay the captured request with one byte changed: the alert path, with a reason.
    const headers: Record<string, string> = {};
    for (const h of cap.headers) if (/^x-determined|content-type/i.test(h.name)) headers[h.name] = h.value;
    const tampered = cap.body.replace('"COMPLETED"', '"COMPLETEd"');
    const r = await fetch(flow.catchUrl, { method: 'POST', headers, body: tampered });
    assert.equal(r.status, 200);
    const { runId } = await r.json() as { runId: number };
    const bad = await until(async () => {
      const x = (await s.api('GET', `/api/v1/runs/${runId}`)).body.run;
      return x.status === 'succeeded' && x;
    }, 'the tampered request\'s run');
    assert.deepEqual(bad.steps.map((x: any) => [x.stepId, x.status]), [['verify', 'succeeded'], ['route', 'succeeded'], ['alarm', 'succeeded']]);
    assert.equal(bad.steps[0].output.code, 'wrong_key');
    assert.equal(bad.steps[1].output.path, 'not verified');
    // The alert that run raised, with the reason verification failed.
    const alert = (await s.api('GET', `/api/v1/alerts/${bad.steps[2].output.alertId}`)).body.alert;
    assert.equal(alert.kind, 'flow.alert');
    assert.equal(alert.title, 'Determined webhook signature failed');
    assert.equal(alert.message, 'no key reproduces this signature over the received body: either the signing key differs ' +
      '(check webhook_signing_key) or the body was changed in transit');
    assert.equal(smtp.mails.length, 1, 'no email for the tampered request');
  } finally {
    await s.stop();
    await smtp.close();
  }
});

test('the seed\'s own Python code step, repaired, returns PASS on a real delivery (Pyodide sandbox)', async () => {
  const s = await startTestServer();
  try {
    const flow = await setup(s, {
      name: 'seed-python',
      steps: [{
        id: 'code', type: 'code', config: {
          language: 'python', code: SEED_SNIPPET_REPAIRED, timeoutMs: 30_000,
          inputData: {
            // The key from the secret stored by setup: the flow definition (returned by the API and the export)
            // holds only its name.
            webhook_signing_key: { secret: 'DET_WEBHOOKS_SIGNING_KEY' },
            timestamp: '{{capture.headers.x-determined-ai-signature-timestamp}}',
            signature: '{{capture.headers.x-determined-ai-signature}}',
            payload: '{{capture.body}}',
          },
        },
      }],
    });
    const e = await s.api('POST', '/api/v1/experiments', { name: 'seed' });
    await s.api('POST', `/api/v1/experiments/${e.body.experiment.id}/state`, { state: 'COMPLETED' });
    const runs = await until(async () => {
      const r = (await s.api('GET', `/api/v1/flows/${flow.id}/runs`)).body.runs;
      return r.length === 1 && ['succeeded', 'failed'].includes(r[0].status) && r;
    }, 'the run', 60_000);
    const run = (await s.api('GET', `/api/v1/runs/${runs[0].id}`)).body.run;
    assert.equal(run.status, 'succeeded', JSON.stringify(run));
    assert.equal(run.steps[0].output.result, 'PASS');
    assert.equal(run.steps[0].output.payload.event_data.experiment.id, e.body.experiment.id);
    assert.equal(run.steps[0].input.inputData.webhook_signing_key, '[secret DET_WEBHOOKS_SIGNING_KEY]');
    assert.ok(!JSON.stringify(run).includes('testsigningkey'), 'the key never appears in the run record');
    for (const path of [`/api/v1/flows/${flow.id}`, `/api/v1/flows/${flow.id}/export`]) {
      assert.ok(!(await s.api('GET', path)).text.includes('testsigningkey'), `${path} does not hold the key`);
    }
  } finally {
    await s.stop();
  }
});
