/**
 * Bad input, part 3: authentication on every route (missing, garbage, malformed, revoked bearer tokens → 401; a
 * user-role token on admin routes → 403), and bad bodies and queries for experiments, experiment state, task logs,
 * custom alerts, workspaces, tokens and deliveries. Also: a catastrophic-backtracking regex must not stall the server
 * on a 100 KB log line, and a task-log batch that fails half way writes nothing. Every answer must follow the error
 * contract and nothing may be written (see ./bad-input-helpers.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_TOKEN } from '../helpers/harness.js';
import { API, Checker, allRoutes, assertUnchanged, seed, snapshot, validWebhook, type BadRequest, type Want } from './bad-input-helpers.js';

test('bad input to the other routes, and authentication everywhere', async (t) => {
  const d = await seed();
  const { s } = d;
  try {
    const before = await snapshot(s);
    const sinkBefore = d.sink.requests.length;
    const post = (label: string, path: string, body: unknown, want: Want = {}): BadRequest =>
      ({ label, method: 'POST', path: API + path, body, want: { status: 400, type: 'invalid_argument', ...want } });

    /** Valid bodies: were authentication skipped, each of these would write something. */
    const validBodies: Record<string, unknown> = {
      [`POST ${API}/webhooks`]: validWebhook(d.sink.url, d.workspaceId),
      [`PATCH ${API}/webhooks/${d.globalHook}`]: { name: 'renamed' },
      [`POST ${API}/webhooks/custom`]: { data: { title: 'x' }, experimentId: d.activeExp },
      [`POST ${API}/webhooks/${d.globalHook}/rotate-secret`]: {},
      [`POST ${API}/experiments`]: { name: 'sneaky' },
      [`POST ${API}/experiments/${d.activeExp}/state`]: { state: 'COMPLETED' },
      [`POST ${API}/task/logs`]: { logs: [{ taskId: 'sneaky', agentId: 'a', log: 'OOM-KILL' }] },
      [`POST ${API}/workspaces`]: { name: 'sneaky' },
      [`POST ${API}/tokens`]: { name: 'sneaky', role: 'admin' },
    };

    await t.test('every route answers 401 to a missing, malformed, unknown or revoked token', async () => {
      const c = new Checker(s);
      const auths: [string, { token?: string | null; headers?: Record<string, string> }, RegExp][] = [
        ['no Authorization header', { token: null }, /missing Authorization header: send "Authorization: Bearer <token>"/],
        ['garbage token', { token: 'garbage' }, /unknown API token/],
        ['admin token in the wrong case', { token: ADMIN_TOKEN.toUpperCase() }, /unknown API token/],
        ['admin token with a suffix', { token: `${ADMIN_TOKEN}x` }, /unknown API token/],
        ['revoked token', { token: d.revokedToken }, /API token "to revoke" was revoked/],
        ['Basic auth', { token: null, headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } }, /must be "Bearer <token>"/],
        ['Bearer without a token', { token: null, headers: { authorization: 'Bearer' } }, /must be "Bearer <token>"/],
        ['Bearer with two tokens', { token: null, headers: { authorization: `Bearer ${ADMIN_TOKEN} ${ADMIN_TOKEN}` } }, /must be "Bearer <token>"/],
        ['Token scheme', { token: null, headers: { authorization: `Token ${ADMIN_TOKEN}` } }, /must be "Bearer <token>"/],
        ['empty header', { token: null, headers: { authorization: '' } }, /missing Authorization header/],
        ['token as a cookie only', { token: null, headers: { cookie: `det_jwt=${ADMIN_TOKEN}` } }, /missing Authorization header/],
      ];
      const reqs: BadRequest[] = [];
      for (const r of allRoutes(d)) {
        for (const [label, o, match] of auths) {
          reqs.push({ label, method: r.method, path: r.path, body: validBodies[`${r.method} ${r.path}`], ...o, want: { status: 401, type: 'unauthenticated', match } });
        }
      }
      await c.all(reqs);
      c.assertClean();
      assert.ok(c.sent >= 250, `sent ${c.sent}`);
    });

    await t.test('a user-role token is refused (403) on admin routes and on global webhooks', async () => {
      const c = new Checker(s);
      const u = d.userToken;
      const want = (match: RegExp): Want => ({ status: 403, type: 'permission_denied', match });
      const admin = /needs an admin token; token "a user" has role user/;
      const global = /non admin users can't edit global webhooks/;
      await c.all([
        { label: 'list tokens', method: 'GET', path: `${API}/tokens`, token: u, want: want(admin) },
        { label: 'create token', method: 'POST', path: `${API}/tokens`, body: { name: 'mine', role: 'admin' }, token: u, want: want(admin) },
        { label: 'revoke own token', method: 'DELETE', path: `${API}/tokens/${d.userTokenId}`, token: u, want: want(admin) },
        { label: 'revoke admin token', method: 'DELETE', path: `${API}/tokens/1`, token: u, want: want(admin) },
        { label: 'signing key', method: 'GET', path: `${API}/keys/signing`, token: u, want: want(admin) },
        { label: 'master config', method: 'GET', path: `${API}/master/config`, token: u, want: want(admin) },
        { label: 'create global webhook', method: 'POST', path: `${API}/webhooks`, body: { ...validWebhook(d.sink.url, 0), name: 'user-global' }, token: u, want: want(global) },
        { label: 'patch global webhook', method: 'PATCH', path: `${API}/webhooks/${d.globalHook}`, body: { name: 'renamed' }, token: u, want: want(global) },
        { label: 'delete global webhook', method: 'DELETE', path: `${API}/webhooks/${d.globalHook}`, token: u, want: want(global) },
        { label: 'test global webhook', method: 'POST', path: `${API}/webhooks/${d.globalHook}/test`, token: u, want: want(global) },
        { label: 'read global secret', method: 'GET', path: `${API}/webhooks/${d.globalHook}/secret`, token: u, want: want(global) },
        { label: 'rotate global secret', method: 'POST', path: `${API}/webhooks/${d.globalHook}/rotate-secret`, token: u, want: want(global) },
        { label: 'patch another global webhook', method: 'PATCH', path: `${API}/webhooks/${d.logHook}`, body: { url: 'https://example.com/y' }, token: u, want: want(global) },
      ]);
      c.assertClean();
    });

    await t.test('POST /experiments', async () => {
      const c = new Checker(s);
      const e = (label: string, body: unknown, want: Want = {}) => post(label, '/experiments', body, want);
      await c.all([
        e('no name', { workspace: 'team-a' }, { match: /^experiment\.name is required$/ }),
        e('empty name', { name: '' }, { match: /cannot be empty/ }), e('blank name', { name: '  ' }, { match: /cannot be empty/ }),
        e('name number', { name: 5 }, { match: /experiment\.name must be a string, got number 5/ }), e('name too long', { name: 'e'.repeat(256) }),
        e('unknown workspace', { name: 'x', workspace: 'nope' }, { status: 404, type: 'workspace_not_found', match: /workspace "nope" not found; create it first/ }),
        e('workspace number', { name: 'x', workspace: 2 }), e('project array', { name: 'x', project: [] }), e('resourcePool object', { name: 'x', resourcePool: {} }),
        e('negative slots', { name: 'x', slotsPerTrial: -1 }, { match: /slotsPerTrial must be between 0 and 1000000, got -1/ }),
        e('fractional slots', { name: 'x', slotsPerTrial: 1.5 }), e('slots in exponent form', { name: 'x', slotsPerTrial: '1e3' }),
        e('too many slots', { name: 'x', slotsPerTrial: 1_000_001 }), e('slots word', { name: 'x', slots_per_trial: 'two' }),
        e('both spellings of slots', { name: 'x', slotsPerTrial: 1, slots_per_trial: 1 }, { match: /gives both "slotsPerTrial" and "slots_per_trial"/ }),
        e('integrations array', { name: 'x', integrations: [] }), e('integrations string', { name: 'x', integrations: 'webhooks' }),
        e('integrations unknown key', { name: 'x', integrations: { slack: {} } }, { type: 'unknown_field', match: /integrations has an unknown field "slack"/ }),
        e('webhooks array', { name: 'x', integrations: { webhooks: [] } }),
        e('webhooks unknown key', { name: 'x', integrations: { webhooks: { webhook_ids: [1] } } }, { type: 'unknown_field' }),
        e('webhook_id string', { name: 'x', integrations: { webhooks: { webhook_id: 'x' } } }, { match: /webhook_id must be an array of webhook ids/ }),
        e('webhook_id zero', { name: 'x', integrations: { webhooks: { webhook_id: [0] } } }), e('webhook_id negative', { name: 'x', integrations: { webhooks: { webhook_id: [-1] } } }),
        e('webhook_id fraction', { name: 'x', integrations: { webhooks: { webhook_id: [1.5] } } }), e('webhook_id strings', { name: 'x', integrations: { webhooks: { webhook_id: ['1'] } } }),
        e('webhook_name numbers', { name: 'x', integrations: { webhooks: { webhook_name: [1] } } }, { match: /webhook_name must be an array of webhook names/ }),
        e('webhook_name string', { name: 'x', integrations: { webhooks: { webhook_name: 'hook' } } }),
        e('exclude string', { name: 'x', integrations: { webhooks: { exclude: 'yes' } } }, { match: /exclude must be true or false/ }),
        e('startTime words', { name: 'x', startTime: 'yesterday' }, { match: /startTime must be an RFC 3339 time/ }),
        e('startTime impossible date', { name: 'x', startTime: '2020-13-45T00:00:00Z' }), e('startTime date only', { name: 'x', startTime: '2020-01-01' }),
        e('startTime number', { name: 'x', startTime: 1700000000 }), e('startTime in the future', { name: 'x', startTime: '2999-01-01T00:00:00Z' }, { match: /in the future/ }),
        e('unknown field', { name: 'x', config: {} }, { type: 'unknown_field', match: /experiment has an unknown field "config"; known fields: name, workspace/ }),
        e('state is not settable', { name: 'x', state: 'COMPLETED' }, { type: 'unknown_field' }),
      ]);
      c.assertClean();
    });

    await t.test('POST /experiments/{id}/state: unknown states and invalid transitions', async () => {
      const c = new Checker(s);
      const st = (label: string, body: unknown, want: Want = {}, id = d.activeExp) => post(label, `/experiments/${id}/state`, body, want);
      const reqs: BadRequest[] = [];
      for (const state of ['DONE', 'STATE_DONE', 'completed!', '', '   ', 'STATE_', 'STATE_STATE_COMPLETED', 'COMPLETED;DROP TABLE', 'RUNNING_', 'ERRORED', 'KILLED', 'STOPPING']) {
        reqs.push(st(`state ${JSON.stringify(state)}`, { state }, { type: 'invalid_state', match: /is not an experiment state; use one of ACTIVE, CANCELED, COMPLETED, ERROR, PAUSED/ }));
      }
      for (const state of [5, 0, true, [], {}, ['COMPLETED']]) {
        reqs.push(st(`state ${JSON.stringify(state)}`, { state }, { type: 'invalid_state', match: /state must be a string naming an experiment state/ }));
      }
      reqs.push(
        st('no state', {}, { match: /state is required, e\.g\. \{"state": "COMPLETED"\}/ }), st('null state', { state: null }, { match: /state is required/ }),
        st('State capitalised', { State: 'COMPLETED' }, { type: 'unknown_field' }), st('extra field', { state: 'COMPLETED', reason: 'x' }, { type: 'unknown_field' }),
        st('ended experiment back to ACTIVE', { state: 'ACTIVE' }, { type: 'invalid_transition', match: /has ended \(COMPLETED\); it can only move to DELETING/ }, d.completedExp),
        st('ended experiment to RUNNING', { state: 'STATE_RUNNING' }, { type: 'invalid_transition' }, d.completedExp),
        st('ended experiment to ERROR', { state: 'ERROR' }, { type: 'invalid_transition' }, d.completedExp),
      );
      await c.all(reqs);
      c.assertClean();
    });

    await t.test('POST /task/logs', async () => {
      const c = new Checker(s);
      const L = (o: Record<string, unknown>) => ({ taskId: 'task-x', agentId: 'agent-1', log: 'a line', ...o });
      const logs = (label: string, body: unknown, want: Want = {}) => post(label, '/task/logs', body, want);
      await c.all([
        logs('no logs', {}, { match: /^logs must be an array of task logs, got nothing$/ }), logs('logs string', { logs: 'x' }),
        logs('logs object', { logs: {} }), logs('logs [null]', { logs: [null] }, { match: /logs\[0\] must be a JSON object, got null/ }), logs('logs [5]', { logs: [5] }),
        logs('empty log object', { logs: [{}] }, { match: /logs\[0\]\.taskId is required/ }),
        logs('empty taskId', { logs: [L({ taskId: '' })] }, { match: /taskId cannot be empty/ }), logs('numeric taskId', { logs: [L({ taskId: 5 })] }),
        logs('no agentId', { logs: [{ taskId: 't', log: 'x' }] }, { match: /logs\[0\]\.agentId is required/ }), logs('numeric agentId', { logs: [L({ agentId: 5 })] }),
        logs('no log', { logs: [{ taskId: 't', agentId: 'a' }] }, { match: /logs\[0\]\.log is required/ }), logs('numeric log', { logs: [L({ log: 5 })] }),
        logs('experimentId word', { logs: [L({ experimentId: 'x' })] }), logs('experimentId 0', { logs: [L({ experimentId: 0 })] }),
        logs('trialId negative', { logs: [L({ trialId: -1 })] }), logs('taskType number', { logs: [L({ taskType: 5 })] }),
        logs('workspaceId 0', { logs: [L({ workspaceId: 0 })] }), logs('unknown field', { logs: [L({ message: 'x' })] }, { type: 'unknown_field', match: /logs\[0\] has an unknown field "message"/ }),
        logs('both spellings', { logs: [L({ task_id: 'task-x' })] }, { match: /gives both "taskId" and "task_id"/ }),
        logs('too many lines', { logs: Array.from({ length: 5001 }, () => ({ taskId: 't', agentId: 'a', log: 'x' })) }, { match: /at most 5000 logs per request, got 5001/ }),
        logs('unknown experiment', { logs: [L({ experimentId: 999999 })] }, { status: 404, type: 'experiment_not_found' }),
        logs('unknown workspace', { logs: [L({ workspaceId: 999 })] }, { status: 404, type: 'workspace_not_found' }),
        // Batches that fail half way: the first task's line matches a trigger, the second task fails.
        logs('second task has an unknown experiment', { logs: [L({ taskId: 'pw-1', log: 'OOM-KILL now' }), L({ taskId: 'pw-2', experimentId: 999999 })] }, { status: 404, type: 'experiment_not_found' }),
        logs('second task has an unknown workspace', { logs: [L({ taskId: 'pw-1', log: 'OOM-KILL now' }), L({ taskId: 'pw-3', workspaceId: 999 })] }, { status: 404, type: 'workspace_not_found' }),
        logs('second line has no agent', { logs: [L({ taskId: 'pw-1', log: 'OOM-KILL now' }), { taskId: 'pw-4', log: 'x' }] }, { match: /logs\[1\]\.agentId is required/ }),
      ]);
      c.assertClean();
    });

    await t.test('POST /webhooks/custom', async () => {
      const c = new Checker(s);
      const cu = (label: string, body: unknown, want: Want = {}) => post(label, '/webhooks/custom', body, want);
      const x = d.activeExp;
      await c.all([
        cu('no data', { experimentId: x }, { match: /data is required: .*, got nothing/ }), cu('data string', { data: 'hi', experimentId: x }),
        cu('data array', { data: [], experimentId: x }), cu('level unknown', { data: { level: 'LOG_LEVEL_LOUD' }, experimentId: x }, { match: /data\.level: "LOG_LEVEL_LOUD" is not a valid value; use one of LOG_LEVEL_UNSPECIFIED/ }),
        cu('level 9', { data: { level: 9 }, experimentId: x }), cu('level object', { data: { level: {} }, experimentId: x }),
        cu('title number', { data: { title: 5 }, experimentId: x }, { match: /data\.title must be a string/ }), cu('description array', { data: { description: [] }, experimentId: x }),
        cu('data unknown field', { data: { message: 'x' }, experimentId: x }, { type: 'unknown_field', match: /data has an unknown field "message"/ }),
        cu('no experimentId', { data: { title: 't' } }, { match: /experimentId is required/ }), cu('experimentId 0', { data: {}, experimentId: 0 }),
        cu('experimentId negative', { data: {}, experimentId: -3 }), cu('experimentId word', { data: {}, experimentId: 'abc' }),
        cu('unknown experiment', { data: {}, experimentId: 999999 }, { status: 404, type: 'experiment_not_found', match: /experiment 999999 not found/ }),
        cu('trialId negative', { data: {}, experimentId: x, trialId: -1 }), cu('trialId word', { data: {}, experimentId: x, trialId: 'x' }),
        cu('unknown field', { data: {}, experimentId: x, trial: 1 }, { type: 'unknown_field' }),
        cu('both spellings', { data: {}, experimentId: x, experiment_id: x }, { match: /gives both/ }),
      ]);
      c.assertClean();
    });

    await t.test('POST /workspaces and POST /tokens', async () => {
      const c = new Checker(s);
      const ws = (label: string, body: unknown, want: Want = {}) => post(label, '/workspaces', body, want);
      const tok = (label: string, body: unknown, want: Want = {}) => post(label, '/tokens', body, want);
      await c.all([
        ws('no name', {}, { match: /^workspace\.name is required$/ }), ws('empty name', { name: '' }, { match: /cannot be empty/ }), ws('blank name', { name: ' \t ' }),
        ws('name number', { name: 1 }), ws('name too long', { name: 'w'.repeat(256) }), ws('id given', { name: 'x', id: 3 }, { type: 'unknown_field' }),
        ws('taken name', { name: 'team-a' }, { status: 409, type: 'workspace_name_taken', match: /a workspace named "team-a" already exists/ }),
        ws('taken name, padded', { name: '  team-a ' }, { status: 409, type: 'workspace_name_taken' }),
        ws('the default workspace', { name: 'Uncategorized' }, { status: 409, type: 'workspace_name_taken' }),
        tok('no name', { role: 'user' }, { match: /^token\.name is required$/ }), tok('empty name', { name: '' }), tok('name array', { name: ['a'] }),
        tok('unknown role', { name: 'x', role: 'root' }, { match: /token\.role must be "admin" or "user", got "root"/ }), tok('role in capitals', { name: 'x', role: 'ADMIN' }),
        tok('role number', { name: 'x', role: 1 }), tok('expiry', { name: 'x', expiresAt: '2030-01-01T00:00:00Z' }, { type: 'unknown_field' }),
      ]);
      c.assertClean();
      await c.all(Array.from({ length: 12 }, (_, i) => ws(`parallel duplicate ${i}`, { name: 'team-a' }, { status: 409, type: 'workspace_name_taken' })), 12);
      c.assertClean();
    });

    await t.test('bad query parameters on GET /deliveries and GET /experiments', async () => {
      const c = new Checker(s);
      const get = (label: string, path: string, want: Want = {}): BadRequest => ({ label, method: 'GET', path: API + path, want: { status: 400, type: 'invalid_argument', ...want } });
      await c.all([
        get('unknown status', '/deliveries?status=nope', { match: /status must be one of pending, delivering, delivered, failed, dead/ }),
        get('status in capitals', '/deliveries?status=PENDING'), get('two statuses', '/deliveries?status=pending&status=dead'),
        get('negative limit', '/deliveries?limit=-1', { match: /limit must be a positive whole number/ }), get('word limit', '/deliveries?limit=abc'),
        get('fractional limit', '/deliveries?limit=1.5'), get('exponent limit', '/deliveries?limit=1e3'), get('huge limit', '/deliveries?limit=99999999999'),
        get('two limits', '/deliveries?limit=1&limit=2'), get('word beforeId', '/deliveries?beforeId=x'), get('negative webhookId', '/deliveries?webhookId=-1'),
        get('word webhookId', '/deliveries?webhookId=abc'),
        get('word limit', '/experiments?limit=x', { match: /limit must be a whole number from 0 to 1000/ }), get('limit over 1000', '/experiments?limit=1001'),
        get('negative offset', '/experiments?offset=-1'), get('word offset', '/experiments?offset=abc'), get('huge offset', '/experiments?offset=10000000000'),
      ]);
      c.assertClean();
    });

    await t.test('a catastrophic-backtracking regex was accepted and does not stall the server on a 100 KB line', async () => {
      // `(a+)+$` (seeded on a global TASK_LOG trigger) against "aaaa…a!" takes exponential time in a backtracking engine.
      const hook = (await s.api('GET', `${API}/webhooks/${d.logHook}`)).body.webhook;
      assert.deepEqual(hook.triggers[0].condition, { regex: '(a+)+$' });
      const line = `${'a'.repeat(100_000)}!`;
      const t0 = performance.now();
      const [r, health] = await Promise.all([
        s.api('POST', `${API}/task/logs`, { logs: [{ taskId: 'backtrack', agentId: 'agent-1', log: line }, { taskId: 'backtrack', agentId: 'agent-2', log: line }] }),
        fetch(`${s.url}/health`),
      ]);
      const ms = performance.now() - t0;
      assert.equal(r.status, 200, r.text);
      assert.equal(health.status, 200);
      assert.ok(ms < 2000, `the log line took ${Math.round(ms)} ms`);
    });

    await t.test('nothing was written, nothing was sent, and the server still answers', async () => {
      await assertUnchanged(s, before);
      assert.equal(d.sink.requests.length, sinkBefore, 'a bad request made Switchyard send a webhook');
    });

    await t.test('afterwards, the valid requests the bad ones imitated work', async () => {
      // The half-failed batches left no TASK_LOG dedup row behind: task pw-1 still fires its trigger once.
      const r = await s.api('POST', `${API}/task/logs`, { logs: [{ taskId: 'pw-1', agentId: 'agent-1', log: 'OOM-KILL now' }] });
      assert.equal(r.status, 200, r.text);
      const deliveries = (await s.api('GET', `${API}/deliveries?webhookId=${d.logHook}`)).body.deliveries as { eventType: string }[];
      assert.equal(deliveries.length, 2, 'the seed delivery and one for pw-1');
      // The catastrophic pattern does match when the line ends in a's.
      const m = await s.api('POST', `${API}/task/logs`, { logs: [{ taskId: 'backtrack-2', agentId: 'a', log: `b${'a'.repeat(100_000)}` }] });
      assert.equal(m.status, 200, m.text);
      assert.equal((await s.api('GET', `${API}/deliveries?webhookId=${d.logHook}`)).body.deliveries.length, 3);
      // Unknown states are refused, Determined's proto names are accepted.
      const st = await s.api('POST', `${API}/experiments/${d.activeExp}/state`, { state: 'STATE_COMPLETED' });
      assert.equal(st.status, 200, st.text);
      assert.equal(st.body.experiment.state, 'STATE_COMPLETED');
      const ws = await s.api('POST', `${API}/workspaces`, { name: 'sneaky' });
      assert.equal(ws.status, 200, ws.text);
    });
  } finally {
    await d.stop();
  }
});
