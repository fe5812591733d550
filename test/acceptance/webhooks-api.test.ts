/**
 * Spec §7 cases 3 (`TestWebhooks`), 12 (`test_webhook_permission` / `test_webhook_rbac`) and 13
 * (`test_editing_webhook`): the webhook REST API over HTTP.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer } from '../helpers/harness.js';
import { createHook, createWorkspace, hookBody } from './helpers.js';

test('case 3: TestWebhooks — retrieval, creation (name, workspace, SPECIFIC), multiple triggers, deletion', async () => {
  const s = await startTestServer();
  try {
    // retrieval: two webhooks, ids in creation order, url and type as created
    const four = await createHook(s, { url: 'http://twebhook.com', type: 'SLACK', triggers: [{ state: 'COMPLETED' }] });
    const five = await createHook(s, { url: 'http://twebhooktwo.com', type: 'DEFAULT', triggers: [{ state: 'COMPLETED' }] });
    let list = await s.api('GET', '/api/v1/webhooks');
    assert.equal(list.status, 200);
    assert.equal(list.body.webhooks.length, 2);
    assert.deepEqual(list.body.webhooks.map((w: any) => w.id), [four.id, five.id]);
    const got4 = list.body.webhooks[0];
    assert.equal(got4.url, 'http://twebhook.com');
    assert.equal(got4.webhookType, 'WEBHOOK_TYPE_SLACK');
    assert.equal(list.body.webhooks[1].webhookType, 'WEBHOOK_TYPE_DEFAULT');
    // the wire shape of a global webhook (zero values emitted)
    assert.equal(got4.workspaceId, 0);
    assert.equal(got4.mode, 'WEBHOOK_MODE_WORKSPACE');
    assert.deepEqual(got4.triggers, [{ id: got4.triggers[0].id, triggerType: 'TRIGGER_TYPE_EXPERIMENT_STATE_CHANGE', condition: { state: 'COMPLETED' }, webhookId: four.id }]);

    // creation with name, workspace 1 and mode SPECIFIC: stored and returned as given
    const one = await createHook(s, { url: 'http://testwebhook.com', type: 'SLACK', name: 'test-name', workspaceId: 1, mode: 'SPECIFIC', triggers: [{ state: 'COMPLETED' }] });
    assert.equal(one.name, 'test-name');
    assert.equal(one.workspaceId, 1);
    assert.equal(one.mode, 'WEBHOOK_MODE_SPECIFIC');
    const one2 = (await s.api('GET', `/api/v1/webhooks/${one.id}`)).body.webhook;
    assert.deepEqual([one2.name, one2.workspaceId, one2.mode, one2.url], ['test-name', 1, 'WEBHOOK_MODE_SPECIFIC', 'http://testwebhook.com']);

    // multiple triggers, one METRIC_THRESHOLD_EXCEEDED with the test's condition: both persisted
    const metric = { metricName: 'validation_accuracy', metricValue: 0.95 };
    const two = await createHook(s, { url: 'http://testwebhooktwo.com', triggers: [{ state: 'COMPLETED' }, { metric }] });
    list = await s.api('GET', '/api/v1/webhooks');
    const two2 = list.body.webhooks.find((w: any) => w.id === two.id);
    assert.equal(two2.triggers.length, 2);
    assert.deepEqual(two2.triggers.map((t: any) => [t.triggerType, t.condition, t.webhookId]), [
      ['TRIGGER_TYPE_EXPERIMENT_STATE_CHANGE', { state: 'COMPLETED' }, two.id],
      ['TRIGGER_TYPE_METRIC_THRESHOLD_EXCEEDED', metric, two.id],
    ]);

    // deletion
    const three = await createHook(s, { url: 'http://testwebhookthree.com', type: 'SLACK', triggers: [{ state: 'COMPLETED' }] });
    const del = await s.api('DELETE', `/api/v1/webhooks/${three.id}`);
    assert.equal(del.status, 200);
    assert.deepEqual(del.body, {});
    list = await s.api('GET', '/api/v1/webhooks');
    assert.deepEqual(list.body.webhooks.map((w: any) => w.id), [four.id, five.id, one.id, two.id]);
    assert.equal((await s.api('GET', `/api/v1/webhooks/${three.id}`)).status, 404);
    assert.equal((await s.api('DELETE', `/api/v1/webhooks/${three.id}`)).status, 404);

    // WebhookFromProto ignores the webhook's and the triggers' ids; jsonpb input: snake_case names, enums as numbers
    const given = await s.api('POST', '/api/v1/webhooks', {
      id: 1000, url: 'http://testwebhook.com/snake', webhook_type: 2, name: 'snake', workspace_id: 0, mode: 2,
      triggers: [{ id: 1001, webhook_id: 1000, trigger_type: 4 }, { trigger_type: 'TRIGGER_TYPE_EXPERIMENT_STATE_CHANGE', condition: { state: 'ERROR' } }],
    });
    assert.equal(given.status, 200, given.text);
    const snake = given.body.webhook;
    assert.notEqual(snake.id, 1000);
    assert.deepEqual([snake.webhookType, snake.mode, snake.workspaceId, snake.name], ['WEBHOOK_TYPE_SLACK', 'WEBHOOK_MODE_SPECIFIC', 0, 'snake']);
    assert.deepEqual(snake.triggers.map((t: any) => [t.triggerType, t.condition, t.webhookId, t.id === 1001]), [
      ['TRIGGER_TYPE_CUSTOM', {}, snake.id, false], // a missing condition becomes {}
      ['TRIGGER_TYPE_EXPERIMENT_STATE_CHANGE', { state: 'ERROR' }, snake.id, false],
    ]);
    assert.equal((await s.api('DELETE', `/api/v1/webhooks/${snake.id}`)).status, 200);

    // PostWebhook validation, in Determined's order and words
    const noTriggers = await s.api('POST', '/api/v1/webhooks', { ...hookBody({ url: 'http://x.example', triggers: [] }) });
    assert.equal(noTriggers.status, 400);
    assert.match(noTriggers.body.error.error, /^at least one trigger required/);
    const badUrl = await s.api('POST', '/api/v1/webhooks', hookBody({ url: '', triggers: [{ state: 'COMPLETED' }] }));
    assert.equal(badUrl.status, 400);
    assert.match(badUrl.body.error.error, /^valid url required/);
    const twoKeys = await s.api('POST', '/api/v1/webhooks', {
      url: 'http://x.example', webhookType: 'WEBHOOK_TYPE_DEFAULT', triggers: [{ triggerType: 'TRIGGER_TYPE_TASK_LOG', condition: { regex: 'a', b: 1 } }],
    });
    assert.equal(twoKeys.status, 400);
    assert.match(twoKeys.body.error.error, /^webhook task log condition must have one key got /);
    assert.equal((await s.api('GET', '/api/v1/webhooks')).body.webhooks.length, 4);
  } finally {
    await s.stop();
  }
});

test('case 12: permissions — a user token cannot create or delete global webhooks (403), can in a workspace; all list globals; no token is 401', async () => {
  const s = await startTestServer();
  try {
    const tok = await s.api('POST', '/api/v1/tokens', { name: 'user1', role: 'user' });
    assert.equal(tok.status, 200, tok.text);
    const user: string = tok.body.secret;
    const trig = [{ state: 'COMPLETED' }];

    // non-admin cannot create a global webhook
    const denied = await s.api('POST', '/api/v1/webhooks', hookBody({ url: 'http://localhost/u', triggers: trig }), { token: user });
    assert.equal(denied.status, 403, denied.text);
    assert.equal(denied.body.error.reason, 'PermissionDenied');
    assert.equal(denied.body.error.code, 7);
    assert.match(denied.body.error.error, /non admin users can't edit global webhooks/);
    // authorization comes first (§2.1): an invalid global webhook is still a 403 for a non-admin
    const deniedFirst = await s.api('POST', '/api/v1/webhooks', hookBody({ url: 'http://localhost/u', triggers: [] }), { token: user });
    assert.equal(deniedFirst.status, 403, deniedFirst.text);
    // PostWebhookEventData only needs an authenticated caller
    const e = (await s.api('POST', '/api/v1/experiments', { name: 'user-alerts' })).body.experiment;
    assert.equal((await s.api('POST', '/api/v1/webhooks/custom', { data: { title: 't', level: 'LOG_LEVEL_INFO' }, experimentId: e.id }, { token: user })).status, 200);
    // admin can
    const global = await createHook(s, { url: 'http://localhost/g', triggers: trig });
    // non-admin sees global webhooks
    const seen = await s.api('GET', '/api/v1/webhooks', undefined, { token: user });
    assert.equal(seen.status, 200);
    assert.deepEqual(seen.body.webhooks.map((w: any) => w.id), [global.id]);

    // a user may create, list and delete webhooks in a workspace
    const ws = await createWorkspace(s, 'workspace_aug');
    const mine = await createHook(s, { url: 'http://localhost/w', workspaceId: ws.id, triggers: trig }, user);
    assert.equal(mine.workspaceId, ws.id);
    const both = await s.api('GET', '/api/v1/webhooks', undefined, { token: user });
    assert.deepEqual(both.body.webhooks.map((w: any) => w.id), [global.id, mine.id]);
    const admins = await s.api('GET', '/api/v1/webhooks');
    assert.deepEqual(admins.body.webhooks.map((w: any) => w.id), [global.id, mine.id]);

    // nobody but an admin edits, tests or deletes a global webhook
    assert.equal((await s.api('DELETE', `/api/v1/webhooks/${global.id}`, undefined, { token: user })).status, 403);
    assert.equal((await s.api('PATCH', `/api/v1/webhooks/${global.id}`, { url: 'http://localhost/x' }, { token: user })).status, 403);
    assert.equal((await s.api('POST', `/api/v1/webhooks/${global.id}/test`, undefined, { token: user })).status, 403);
    assert.equal((await s.api('GET', `/api/v1/webhooks/${global.id}`)).body.webhook.url, 'http://localhost/g');

    // no token, or an unknown one: 401
    for (const token of [null, 'sy_not_a_real_token']) {
      for (const [m, p, b] of [['GET', '/api/v1/webhooks'], ['POST', '/api/v1/webhooks', hookBody({ url: 'http://localhost/n', triggers: trig })], ['DELETE', `/api/v1/webhooks/${global.id}`]] as const) {
        const r = await s.api(m, p, b, { token });
        assert.equal(r.status, 401, `${m} ${p} with token ${token}`);
        assert.equal(r.body.error.reason, 'Unauthenticated');
      }
    }

    // admin deletes the global webhook; the user deletes their workspace webhook
    assert.equal((await s.api('DELETE', `/api/v1/webhooks/${global.id}`)).status, 200);
    const del = await s.api('DELETE', `/api/v1/webhooks/${mine.id}`, undefined, { token: user });
    assert.equal(del.status, 200, del.text);
    assert.deepEqual((await s.api('GET', '/api/v1/webhooks')).body.webhooks, []);
  } finally {
    await s.stop();
  }
});

test('case 13: test_editing_webhook — PATCH the url of a global DEFAULT and a SPECIFIC webhook; GET shows it; unknown id 404', async () => {
  const s = await startTestServer();
  try {
    const ws = await createWorkspace(s, 'edit-ws');
    const plain = await createHook(s, { url: 'http://localhost:5009/old', triggers: [{ state: 'COMPLETED' }] });
    const specific = await createHook(s, { url: 'http://localhost:5009/old-specific', name: 'edit-me', workspaceId: ws.id, mode: 'SPECIFIC', triggers: [{ state: 'COMPLETED' }] });
    for (const [w, url] of [[plain, 'http://localhost:5010/new'], [specific, 'http://localhost:5010/new-specific']] as const) {
      const r = await s.api('PATCH', `/api/v1/webhooks/${w.id}`, { url });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.body, {});
      const got = (await s.api('GET', `/api/v1/webhooks/${w.id}`)).body.webhook;
      assert.equal(got.url, url);
      // nothing else changed
      assert.deepEqual({ ...got, url: w.url, updatedAt: w.updatedAt }, w);
    }
    const list = await s.api('GET', '/api/v1/webhooks');
    assert.deepEqual(list.body.webhooks.map((w: any) => w.url), ['http://localhost:5010/new', 'http://localhost:5010/new-specific']);

    const missing = await s.api('PATCH', '/api/v1/webhooks/999999', { url: 'http://localhost/x' });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.reason, 'NotFound');
    const badUrl = await s.api('PATCH', `/api/v1/webhooks/${plain.id}`, { url: 'not a url' });
    assert.equal(badUrl.status, 400);
    assert.equal((await s.api('GET', `/api/v1/webhooks/${plain.id}`)).body.webhook.url, 'http://localhost:5010/new');
  } finally {
    await s.stop();
  }
});
