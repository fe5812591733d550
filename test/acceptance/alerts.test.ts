/**
 * Spec §7 cases 9 (`test_log_pattern_send_webhook[match/no-match]`) and 10 (`test_custom_webhook[slack/default]`):
 * the end-to-end flows of a training job, reported over HTTP as a producer would (trial logs, state, alerts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { drained, startSink, startTestServer } from '../helpers/harness.js';
import {
  assertSigned, countByPath, createExperiment, createHook, createWorkspace, envelopeOf, hookBody, nowSec, postLogs, setState,
} from './helpers.js';

const TRIAL_LOGS = [
  '[rank=0] INFO: starting trial',
  'resources: executing action KILL after exit code 7',
  'resources: executing action KILL after exit code 7',
  'container exited: code 7',
];

for (const shouldMatch of [true, false]) {
  test(`case 9: log pattern webhooks, ${shouldMatch ? 'match' : 'no-match'}`, async () => {
    const sink = await startSink();
    const s = await startTestServer();
    try {
      const regex = shouldMatch ? 'executing.*action.*exit.*code.*7' : '(.*)cuda(.*)';
      const trig = [{ regex }];
      const slackPath = `/test/slack/path/here/${randomUUID()}`;
      const defaultPath = `/test/path/here/${randomUUID()}`;
      const specificPath = `/test/path/here/${randomUUID()}`;
      const unmatchPath = `/test/path/here/${randomUUID()}`;
      await createHook(s, { url: sink.url + slackPath, type: 'SLACK', triggers: trig });
      await createHook(s, { url: sink.url + defaultPath, triggers: trig });
      const ws = await createWorkspace(s, `webhook-test${Math.random()}`);
      await createHook(s, { url: sink.url + specificPath, mode: 'SPECIFIC', name: 'specific-webhook', workspaceId: ws.id, triggers: trig });
      await createHook(s, { url: sink.url + unmatchPath, mode: 'SPECIFIC', name: `webhook-test${Math.random()}`, workspaceId: 1, triggers: trig });

      const exp = await createExperiment(s, { name: 'noop-exit-7', workspace: ws.name, project: 'webhook-test', webhookName: ['specific-webhook'] });
      await postLogs(s, TRIAL_LOGS.map((log) => ({ taskId: `${exp.id}.1`, log, experimentId: exp.id, trialId: 1, agentId: 'agent-1' })));
      assert.equal(await setState(s, exp.id, 'ERROR'), 0);
      await drained(s);

      const got = countByPath(sink, [slackPath, defaultPath, specificPath, unmatchPath]);
      if (shouldMatch) {
        // one event per webhook although two lines match (at most one per task and trigger)
        assert.deepEqual(got, { [slackPath]: 1, [defaultPath]: 1, [specificPath]: 1, [unmatchPath]: 0 });
        assert.equal(sink.requests.length, 3);
        assert.ok(sink.byPath(defaultPath)[0]!.text.includes('TASK_LOG'));
        assert.ok(sink.byPath(slackPath)[0]!.text.includes('This log matched the regex'));
        assert.ok(sink.byPath(specificPath)[0]!.text.includes('TASK_LOG'));
        assert.equal(JSON.parse(sink.byPath(specificPath)[0]!.text).event_data.task_log.triggering_log, TRIAL_LOGS[1]);
        for (const r of sink.requests) assertSigned(r);
      } else {
        assert.deepEqual(got, { [slackPath]: 0, [defaultPath]: 0, [specificPath]: 0, [unmatchPath]: 0 });
        assert.equal(sink.requests.length, 0);
      }
    } finally {
      await s.stop();
      await sink.close();
    }
  });
}

const ALERT = { data: { title: 'end of main', description: '', level: 'LOG_LEVEL_DEBUG' } };

for (const type of ['SLACK', 'DEFAULT'] as const) {
  test(`case 10: custom webhook [${type.toLowerCase()}] — WORKSPACE mode refused, SPECIFIC fires once per alert; a control experiment gets nothing`, async () => {
    const sink = await startSink();
    const s = await startTestServer();
    try {
      const name = `custom-webhook-${type.toLowerCase()}`;
      const refused = await s.api('POST', '/api/v1/webhooks', hookBody({ url: `${sink.url}/custom`, type, name, mode: 'WORKSPACE', triggers: [{ custom: true }] }));
      assert.equal(refused.status, 400, refused.text);
      assert.match(refused.body.error.error, /^custom trigger only works on webhook with mode 'SPECIFIC'\. Got WEBHOOK_MODE_WORKSPACE/);
      assert.equal((await s.api('GET', '/api/v1/webhooks')).body.webhooks.length, 0);
      await createHook(s, { url: `${sink.url}/custom`, type, name, mode: 'SPECIFIC', triggers: [{ custom: true }] });

      const exp = await createExperiment(s, { name: 'custom-alert-exp', webhookName: [name] });
      const t0 = nowSec();
      const r = await s.api('POST', '/api/v1/webhooks/custom', { ...ALERT, experimentId: exp.id, trialId: 34 });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.body, {});
      await drained(s);
      assert.equal(sink.requests.length, 1);
      assert.equal((await s.api('GET', `/api/v1/experiments/${exp.id}`)).body.experiment.eventsFired, 1, 'the alert counts as an event of its experiment');
      const req = sink.requests[0]!;
      assert.ok(req.text.includes('end of main'));
      assert.ok(req.text.includes('DEBUG'));
      assert.ok(req.text.includes(String(exp.id)));
      assertSigned(req);
      if (type === 'DEFAULT') {
        const { eventId, ts } = envelopeOf(req, 'CUSTOM', t0);
        assert.equal(req.text, `{"event_id":"${eventId}","event_type":"CUSTOM","timestamp":${ts},"condition":{"state":"ACTIVE"},`
          + `"event_data":{"experiment":{"id":${exp.id},"state":"ACTIVE","name":"custom-alert-exp","duration":0,"resource_pool":"default",`
          + '"slots_per_trial":1,"workspace":"","project":"","trial_id":34},"custom_data":{"title":"end of main","description":"","level":"DEBUG"}}}');
      } else {
        // Determined's generateSlackPayload replaces the top block by an "Event Data" block carrying the alert's fields.
        assert.equal(req.text, '{"blocks":[{"type":"section","text":{"type":"plain_text","text":"Event Data"},"fields":['
          + '{"type":"mrkdwn","text":"*Level*: DEBUG"},{"type":"mrkdwn","text":"*Title*: end of main"},{"type":"mrkdwn","text":"*Description*: "}]}],'
          + `"attachments":[{"color":"#009bde","blocks":[{"type":"section","text":{"type":"mrkdwn","text":"custom-alert-exp (#${exp.id})"},`
          + '"fields":[{"type":"mrkdwn","text":"*Status*: ACTIVE"},{"type":"mrkdwn","text":"*Duration*: 0h 0min"},{"type":"mrkdwn","text":"*Trial ID*: 34"}]}]}]}');
      }

      // control experiments: another name, or no integrations at all
      const control = await createExperiment(s, { name: 'abc', webhookName: ['abc'] });
      const bare = await createExperiment(s, { name: 'bare' });
      for (const e of [control, bare]) {
        const c = await s.api('POST', '/api/v1/webhooks/custom', { ...ALERT, experimentId: e.id, trialId: 1 });
        assert.equal(c.status, 200, c.text);
      }
      await drained(s);
      assert.equal(sink.requests.length, 1);
    } finally {
      await s.stop();
      await sink.close();
    }
  });
}

test('case 10 (matching): custom alerts by id (same workspace or global) and by name; listed both ways fires twice; exclude silences', async () => {
  const sink = await startSink();
  const s = await startTestServer();
  try {
    const ws = await createWorkspace(s, 'alerts-ws');
    const other = await createWorkspace(s, 'other-ws');
    const hook = (path: string, name: string, workspaceId?: number) =>
      createHook(s, { url: `${sink.url}${path}`, mode: 'SPECIFIC', name, workspaceId, triggers: [{ custom: true }, { state: 'COMPLETED' }] });
    const global = await hook('/global', 'g');
    const same = await hook('/same', 'same', ws.id);
    const elsewhere = await hook('/elsewhere', 'elsewhere', other.id);
    // a workspace webhook and a global one share a name: Determined looks a name up once, and the workspace's own wins
    const sharedWs = await hook('/shared-ws', 'shared', ws.id);
    await hook('/shared-global', 'shared');
    const paths = ['/global', '/same', '/elsewhere', '/shared-ws', '/shared-global'];
    const alert = async (e: any, expected: Record<string, number>) => {
      const before = countByPath(sink, paths);
      assert.equal((await s.api('POST', '/api/v1/webhooks/custom', { ...ALERT, experimentId: e.id })).status, 200);
      await drained(s);
      const after = countByPath(sink, paths);
      assert.deepEqual(Object.fromEntries(paths.map((p) => [p, after[p]! - before[p]!])), Object.fromEntries(paths.map((p) => [p, expected[p] ?? 0])));
    };
    await alert(await createExperiment(s, { name: 'by-id', workspace: ws.name, webhookId: [global.id, same.id, elsewhere.id] }), { '/global': 1, '/same': 1 });
    await alert(await createExperiment(s, { name: 'by-name', workspace: ws.name, webhookName: ['g', 'same', 'elsewhere', 'shared'] }), { '/global': 1, '/same': 1, '/shared-ws': 1 });
    await alert(await createExperiment(s, { name: 'by-name-default-ws', webhookName: ['shared'] }), { '/shared-global': 1 });
    await alert(await createExperiment(s, { name: 'both-ways', workspace: ws.name, webhookId: [same.id, sharedWs.id], webhookName: ['same'] }), { '/same': 2, '/shared-ws': 1 });
    await alert(await createExperiment(s, { name: 'excluded', workspace: ws.name, webhookId: [same.id], webhookName: ['g'], exclude: true }), {});
    // a trial id of 0 means none: no trial_id member in the payload
    const e = await createExperiment(s, { name: 'no-trial', workspace: ws.name, webhookId: [same.id] });
    assert.equal((await s.api('POST', '/api/v1/webhooks/custom', { ...ALERT, experimentId: e.id, trialId: 0 })).status, 200);
    await drained(s);
    const last = sink.byPath('/same').at(-1)!;
    assert.equal(JSON.parse(last.text).event_data.experiment.trial_id, undefined);
    assert.ok(last.text.includes('"project":""},"custom_data":{'));
  } finally {
    await s.stop();
    await sink.close();
  }
});
