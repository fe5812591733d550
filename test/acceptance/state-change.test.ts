/**
 * Spec §7 cases 6 (`TestReportExperimentStateChanged`), 8 (`test_slack_webhook`) and 11 (`test_specific_webhook`):
 * which EXPERIMENT_STATE_CHANGE webhooks fire, and the Slack message for a completed experiment.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drained, startSink, startTestServer } from '../helpers/harness.js';
import {
  assertSigned, countByPath, createExperiment, createHook, createWorkspace, deleteAllHooks, envelopeOf, hookBody, nowSec, setState,
} from './helpers.js';

test('case 6: TestReportExperimentStateChanged — trigger counts, SPECIFIC and WORKSPACE matching, exclude (cumulative)', async () => {
  const sink = await startSink();
  const s = await startTestServer();
  const paths = ['/none', '/nomatch', '/one', '/many', '/w1', '/w2', '/w3', '/w4', '/w5'];
  const got = () => countByPath(sink, paths);
  const expect = (o: Record<string, number>) => Object.fromEntries(paths.map((p) => [p, o[p] ?? 0]));
  try {
    // no triggers: Switchyard refuses such a webhook (as Determined's API does); one with no trigger for the event type stays silent
    const noTrig = await s.api('POST', '/api/v1/webhooks', hookBody({ url: `${sink.url}/none`, triggers: [] }));
    assert.equal(noTrig.status, 400);
    await createHook(s, { url: `${sink.url}/none`, triggers: [{ regex: 'never-logged' }] });
    const e1 = await createExperiment(s, { name: 'canceled-1' });
    assert.equal(await setState(s, e1.id, 'CANCELED'), 0);

    // a COMPLETED trigger does not fire for a CANCELED experiment
    await createHook(s, { url: `${sink.url}/nomatch`, triggers: [{ state: 'COMPLETED' }] });
    const e2 = await createExperiment(s, { name: 'canceled-2' });
    assert.equal(await setState(s, e2.id, 'CANCELED'), 0);
    await drained(s);
    assert.deepEqual(got(), expect({}));
    await deleteAllHooks(s);

    // one trigger → one event
    await createHook(s, { url: `${sink.url}/one`, triggers: [{ state: 'COMPLETED' }] });
    const e3 = await createExperiment(s, { name: 'completed-1' });
    assert.equal(await setState(s, e3.id, 'COMPLETED'), 1);
    await drained(s);
    assert.deepEqual(got(), expect({ '/one': 1 }));
    await deleteAllHooks(s);

    // ten identical triggers → ten events
    await createHook(s, { url: `${sink.url}/many`, triggers: Array.from({ length: 10 }, () => ({ state: 'COMPLETED' })) });
    const e4 = await createExperiment(s, { name: 'completed-10' });
    assert.equal(await setState(s, e4.id, 'COMPLETED'), 10);
    await drained(s);
    assert.deepEqual(got(), expect({ '/one': 1, '/many': 10 }));
    assert.equal(new Set(sink.byPath('/many').map((r) => JSON.parse(r.text).event_id)).size, 10);
    // The experiment keeps its total: 10 now, and a later state change that fires nothing leaves it at 10.
    assert.equal((await s.api('GET', `/api/v1/experiments/${e4.id}`)).body.experiment.eventsFired, 10);
    assert.equal(await setState(s, e4.id, 'DELETING'), 0);
    assert.equal((await s.api('GET', '/api/v1/experiments?limit=1000')).body.experiments.find((x: { id: number }) => x.id === e4.id).eventsFired, 10);
    assert.equal((await s.api('GET', `/api/v1/experiments/${e1.id}`)).body.experiment.eventsFired, 0);
    await deleteAllHooks(s);

    // SPECIFIC webhooks: w1 in the default workspace, w2 in the experiment's workspace, w3 global
    const ws = await createWorkspace(s, 'exp-ws');
    await createHook(s, { url: `${sink.url}/w1`, name: 'name1', mode: 'SPECIFIC', workspaceId: 1, triggers: [{ state: 'COMPLETED' }] });
    await createHook(s, { url: `${sink.url}/w2`, name: 'name2', mode: 'SPECIFIC', workspaceId: ws.id, triggers: [{ state: 'COMPLETED' }] });
    await createHook(s, { url: `${sink.url}/w3`, name: 'name3', mode: 'SPECIFIC', triggers: [{ state: 'COMPLETED' }] });
    const base = { '/one': 1, '/many': 10 };
    const complete = async (e: Parameters<typeof createExperiment>[1], fired: number) => {
      const x = await createExperiment(s, e);
      assert.equal(await setState(s, x.id, 'COMPLETED'), fired, `events fired for ${e.name}`);
      await drained(s);
    };
    await complete({ name: 'specific-no-config', workspace: ws.name }, 0);
    assert.deepEqual(got(), expect({ ...base }));
    await complete({ name: 'specific-name2', workspace: ws.name, webhookName: ['name2'] }, 1);
    assert.deepEqual(got(), expect({ ...base, '/w2': 1 }));
    await complete({ name: 'specific-all', workspace: ws.name, webhookName: ['name1', 'name2', 'name3'] }, 2);
    assert.deepEqual(got(), expect({ ...base, '/w2': 2, '/w3': 1 }));

    // WORKSPACE webhooks: the default workspace's stays silent for an experiment in another workspace
    await createHook(s, { url: `${sink.url}/w4`, workspaceId: 1, triggers: [{ state: 'COMPLETED' }] });
    await createHook(s, { url: `${sink.url}/w5`, workspaceId: ws.id, triggers: [{ state: 'COMPLETED' }] });
    await complete({ name: 'workspace-hooks', workspace: ws.name }, 1);
    assert.deepEqual(got(), expect({ ...base, '/w2': 2, '/w3': 1, '/w5': 1 }));

    // exclude: true → no new events, even with every name listed
    await complete({ name: 'excluded', workspace: ws.name, webhookName: ['name1', 'name2', 'name3'], exclude: true }, 0);
    await complete({ name: 'excluded-default-ws', webhookName: ['name1', 'name2', 'name3'], exclude: true }, 0);
    assert.deepEqual(got(), expect({ ...base, '/w2': 2, '/w3': 1, '/w5': 1 }));
    for (const r of sink.requests) assertSigned(r);
  } finally {
    await s.stop();
    await sink.close();
  }
});

test('case 8: test_slack_webhook — SLACK + COMPLETED: exactly one request, the exact completed message', async () => {
  const sink = await startSink();
  const s = await startTestServer();
  try {
    const w = await createHook(s, { url: sink.url, type: 'SLACK', triggers: [{ state: 'COMPLETED' }] });
    assert.equal(w.url, sink.url);
    const e = await createExperiment(s, { name: 'noop' });
    assert.equal(await setState(s, e.id, 'RUNNING'), 0);
    assert.equal(await setState(s, e.id, 'COMPLETED'), 1);
    await drained(s);
    assert.equal(sink.requests.length, 1);
    const r = sink.requests[0]!;
    assert.equal(r.path, '/');
    assertSigned(r);
    const expected = '{"blocks":[{"type":"section","text":{"type":"plain_text","text":"Your experiment completed successfully 🎉"}}],'
      + '"attachments":[{"color":"#13B670","blocks":[{"type":"section","text":{"type":"mrkdwn","text":"✅ noop (#' + e.id + ')"},'
      + '"fields":[{"type":"mrkdwn","text":"*Status*: Completed"},{"type":"mrkdwn","text":"*Duration*: 0h 0min"}]}]}]}';
    assert.equal(r.text, expected);
    assert.deepEqual(r.body, Buffer.from(expected, 'utf8'));
    const parsed = JSON.parse(r.text);
    assert.equal(parsed.attachments[0].color, '#13B670');
    assert.deepEqual(parsed.attachments[0].blocks[0].fields[0], { type: 'mrkdwn', text: '*Status*: Completed' });
  } finally {
    await s.stop();
    await sink.close();
  }
});

test('case 8 (variants): SLACK with base URL, workspace and project links; ERROR and other states', async () => {
  const sink = await startSink();
  const s = await startTestServer({ env: { DET_WEBHOOKS_BASE_URL: 'http://determined.ai' } });
  try {
    const ws = await createWorkspace(s, 'team a');
    await createHook(s, { url: `${sink.url}/slack`, type: 'SLACK', triggers: [{ state: 'COMPLETED' }, { state: 'ERROR' }, { state: 'PAUSED' }] });
    const done = await createExperiment(s, { name: 'cifar', workspace: ws.name, project: 'vision' });
    const failed = await createExperiment(s, { name: 'mnist', workspace: ws.name });
    const paused = await createExperiment(s, { name: 'bert' });
    await setState(s, done.id, 'COMPLETED');
    await setState(s, failed.id, 'ERROR');
    await setState(s, paused.id, 'PAUSED');
    await drained(s);
    const texts = sink.byPath('/slack').map((r) => r.text);
    assert.equal(texts.length, 3);
    const link = (id: number, label: string) => `\\u003chttp://determined.ai/det/experiments/${id}/overview | ${label} (#${id})\\u003e`;
    assert.ok(texts.includes('{"blocks":[{"type":"section","text":{"type":"plain_text","text":"Your experiment completed successfully 🎉"}}],'
      + `"attachments":[{"color":"#13B670","blocks":[{"type":"section","text":{"type":"mrkdwn","text":"✅ ${link(done.id, 'cifar')}"},`
      + '"fields":[{"type":"mrkdwn","text":"*Status*: Completed"},{"type":"mrkdwn","text":"*Duration*: 0h 0min"},'
      + `{"type":"mrkdwn","text":"*Workspace*: \\u003chttp://determined.ai/det/workspaces/${ws.id}/projects | team a\\u003e"},`
      + `{"type":"mrkdwn","text":"*Project*: \\u003chttp://determined.ai/det/projects/${done.projectId} | vision\\u003e"}]}]}]}`), texts.join('\n'));
    // project "" → no project field, and the workspace is printed plain (Determined resolves ids only when both are set)
    assert.ok(texts.includes('{"blocks":[{"type":"section","text":{"type":"plain_text","text":"Your experiment has stopped with errors"}}],'
      + `"attachments":[{"color":"#DD5040","blocks":[{"type":"section","text":{"type":"mrkdwn","text":"❌ ${link(failed.id, 'mnist')}"},`
      + '"fields":[{"type":"mrkdwn","text":"*Status*: Errored"},{"type":"mrkdwn","text":"*Duration*: 0h 0min"},'
      + '{"type":"mrkdwn","text":"*Workspace*: team a"}]}]}]}'), texts.join('\n'));
    assert.ok(texts.includes('{"blocks":[{"type":"section","text":{"type":"plain_text","text":"The status of your experiment is PAUSED"}}],'
      + `"attachments":[{"color":"#009bde","blocks":[{"type":"section","text":{"type":"mrkdwn","text":"${link(paused.id, 'bert')}"},`
      + '"fields":[{"type":"mrkdwn","text":"*Status*: PAUSED"},{"type":"mrkdwn","text":"*Duration*: 0h 0min"}]}]}]}'), texts.join('\n'));
  } finally {
    await s.stop();
    await sink.close();
  }
});

test('case 11: test_specific_webhook — listed by id, only the same-workspace SPECIFIC webhook receives', async () => {
  const sink1 = await startSink();
  const sink2 = await startSink();
  const s = await startTestServer();
  try {
    const ws = await createWorkspace(s, 'webhook-test-ws');
    const w1 = await createHook(s, { url: sink1.url, type: 'SLACK', mode: 'SPECIFIC', name: 'webhook_1', workspaceId: 1, triggers: [{ state: 'COMPLETED' }] });
    const w2 = await createHook(s, { url: sink2.url, type: 'SLACK', mode: 'SPECIFIC', name: 'webhook_2', workspaceId: ws.id, triggers: [{ state: 'COMPLETED' }] });
    assert.equal(w1.url, sink1.url);
    assert.equal(w2.url, sink2.url);
    const e = await createExperiment(s, { name: 'specific', workspace: ws.name, project: 'p', webhookId: [w1.id, w2.id] });
    assert.equal(await setState(s, e.id, 'COMPLETED'), 1);
    await drained(s);
    assert.equal(sink1.requests.length, 0);
    assert.equal(sink2.requests.length, 1);
    assert.match(sink2.requests[0]!.text, new RegExp(`"text":"✅ specific \\(#${e.id}\\)"`));
  } finally {
    await s.stop();
    await sink1.close();
    await sink2.close();
  }
});

test('§3.2 example: the DEFAULT state-change body byte for byte (duration from start to end, config names, slots)', async () => {
  const sink = await startSink();
  const s = await startTestServer();
  try {
    await createWorkspace(s, 'test workspace');
    await createHook(s, { url: `${sink.url}/default`, triggers: [{ state: 'COMPLETED' }] });
    await createHook(s, { url: `${sink.url}/slack`, type: 'SLACK', triggers: [{ state: 'COMPLETED' }] });
    const started = new Date(Date.now() - 3725_500).toISOString(); // 1 h 2 min 5.5 s ago
    const e = await createExperiment(s, {
      name: 'cifar10_pytorch_const', workspace: 'test workspace', project: 'test project', resourcePool: 'default', slotsPerTrial: 2, startTime: started,
    });
    const t0 = nowSec();
    assert.equal(await setState(s, e.id, 'COMPLETED'), 2);
    await drained(s);
    const d = sink.byPath('/default')[0]!;
    const { eventId, ts } = envelopeOf(d, 'EXPERIMENT_STATE_CHANGE', t0);
    assert.equal(d.text, `{"event_id":"${eventId}","event_type":"EXPERIMENT_STATE_CHANGE","timestamp":${ts},"condition":{"state":"COMPLETED"},`
      + `"event_data":{"experiment":{"id":${e.id},"state":"COMPLETED","name":"cifar10_pytorch_const","duration":3725,"resource_pool":"default",`
      + '"slots_per_trial":2,"workspace":"test workspace","project":"test project"}}}');
    assertSigned(d);
    const sl = JSON.parse(sink.byPath('/slack')[0]!.text);
    assert.deepEqual(sl.attachments[0].blocks[0].fields.map((f: any) => f.text), [
      '*Status*: Completed', '*Duration*: 1h 2min', '*Workspace*: test workspace', '*Project*: test project',
    ]);
  } finally {
    await s.stop();
    await sink.close();
  }
});
