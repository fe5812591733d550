/**
 * CLI tests against a fake API (node:http, records requests, replies canned JSON): what each command sends, what it
 * prints, its exit codes; and the sink verifying Determined signatures. Real-server end-to-end tests live elsewhere.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { formatTable } from './format.js';
import { verifyDetermined } from './commands/sink.js';
import { cli, freePort, start, withApi } from './test-support.js';

const HOOK = {
  id: 7, url: 'https://hooks.example.com/x', name: 'prod-alerts', webhookType: 'WEBHOOK_TYPE_SLACK', workspaceId: 3,
  mode: 'WEBHOOK_MODE_SPECIFIC',
  triggers: [
    { id: 1, triggerType: 'TRIGGER_TYPE_EXPERIMENT_STATE_CHANGE', condition: { state: 'COMPLETED' }, webhookId: 7 },
    { id: 2, triggerType: 'TRIGGER_TYPE_TASK_LOG', condition: { regex: 'CUDA.*memory' }, webhookId: 7 },
    { id: 3, triggerType: 'TRIGGER_TYPE_CUSTOM', condition: {}, webhookId: 7 },
  ],
};

test('webhooks create sends every trigger kind, forces SPECIFIC for CUSTOM, and says what to do next', async () => {
  await withApi({ 'POST /api/v1/webhooks': [200, { webhook: HOOK }] }, async (api, env) => {
    const r = await cli(['webhooks', 'create', '--url', 'https://hooks.example.com/x', '--name', 'prod-alerts', '--type', 'slack',
      '--workspace-id', '3', '--trigger', 'COMPLETED', '--trigger', 'error', '--trigger', 'STOPPING_KILLED',
      '--trigger', 'TASKLOG:CUDA.*memory: (a|b)', '--trigger', 'CUSTOM', '--standard-webhooks'], { env });
    assert.equal(r.code, 0, r.err);
    const [req] = api.requests;
    assert.equal(req?.method, 'POST');
    assert.equal(req?.path, '/api/v1/webhooks');
    assert.equal(req?.headers.authorization, 'Bearer sy_test');
    assert.match(String(req?.headers['content-type']), /^application\/json/);
    assert.deepEqual(req?.body, {
      url: 'https://hooks.example.com/x', webhookType: 'WEBHOOK_TYPE_SLACK', name: 'prod-alerts', workspaceId: 3,
      mode: 'WEBHOOK_MODE_SPECIFIC',
      triggers: [
        { triggerType: 'TRIGGER_TYPE_EXPERIMENT_STATE_CHANGE', condition: { state: 'COMPLETED' } },
        { triggerType: 'TRIGGER_TYPE_EXPERIMENT_STATE_CHANGE', condition: { state: 'ERROR' } },
        { triggerType: 'TRIGGER_TYPE_EXPERIMENT_STATE_CHANGE', condition: { state: 'STOPPING_KILLED' } },
        { triggerType: 'TRIGGER_TYPE_TASK_LOG', condition: { regex: 'CUDA.*memory: (a|b)' } },
        { triggerType: 'TRIGGER_TYPE_CUSTOM', condition: {} },
      ],
      signatureSchemes: ['determined', 'standard'],
    });
    assert.match(r.err, /note: CUSTOM triggers need mode "specific"/);
    assert.match(r.out, /^created webhook 7 "prod-alerts"; try it: switchyard webhooks test 7$/m);
    assert.match(r.out, /--webhook-id 7/);
  });
});

test('webhooks create defaults: global, WORKSPACE, DEFAULT; the program --url is the server, the command --url the hook', async () => {
  await withApi({ 'POST /api/v1/webhooks': [200, { webhook: { id: 1, url: 'http://h/x' } }] }, async (api) => {
    const r = await cli(['--url', api.url, '--token', 'sy_flag', 'webhooks', 'create', '--url', 'http://h/x', '--trigger', 'COMPLETED']);
    assert.equal(r.code, 0, r.err);
    assert.equal(api.requests[0]?.headers.authorization, 'Bearer sy_flag');
    assert.deepEqual(api.requests[0]?.body, {
      url: 'http://h/x', webhookType: 'WEBHOOK_TYPE_DEFAULT', workspaceId: 0, mode: 'WEBHOOK_MODE_WORKSPACE',
      triggers: [{ triggerType: 'TRIGGER_TYPE_EXPERIMENT_STATE_CHANGE', condition: { state: 'COMPLETED' } }],
    });
    assert.equal(r.out, 'created webhook 1; try it: switchyard webhooks test 1\n');
  });
});

test('usage errors exit 2 and send nothing', async () => {
  await withApi({}, async (api, env) => {
    for (const args of [
      ['webhooks', 'create', '--url', 'http://h/x', '--trigger', 'SOMETIMES'],
      ['webhooks', 'create', '--url', 'http://h/x', '--trigger', 'TASKLOG'],
      ['webhooks', 'create', '--url', 'http://h/x'],
      ['webhooks', 'update', '3'],
      ['webhooks', 'get', 'abc'],
      ['webhooks', 'list', '--bogus'],
      ['frobnicate'],
      ['serve', '--port', '70000'],
      ['serve', '--port', 'eighty'],
      ['experiments', 'state', '4', 'FINISHED'],
      ['alert', '--experiment-id', '1', '--title', 't', '--level', 'loud'],
      ['logs', 'send', '--task-id', 't', '--agent-id', 'a', '--trial-id', '2', 'x'],
    ]) {
      const r = await cli(args, { env });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
      assert.match(r.err, /error: /, args.join(' '));
    }
    assert.equal(api.requests.length, 0);
  });
});

test('webhooks list prints a table; --json prints the raw response', async () => {
  const list = { webhooks: [HOOK, { ...HOOK, id: 8, name: 'all', workspaceId: 0, mode: 'WEBHOOK_MODE_WORKSPACE', webhookType: 'WEBHOOK_TYPE_DEFAULT', triggers: [HOOK.triggers[0]], paused: true }] };
  await withApi({ 'GET /api/v1/webhooks': [200, list] }, async (_api, env) => {
    const r = await cli(['webhooks', 'list'], { env });
    assert.equal(r.code, 0, r.err);
    const lines = r.out.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^ID\s+NAME\s+STATE\s+WORKSPACE\s+MODE\s+TYPE\s+URL\s+TRIGGERS$/);
    assert.match(lines[1] ?? '', /^7\s+prod-alerts\s+active\s+3\s+specific\s+slack\s+https:\/\/hooks\.example\.com\/x\s+COMPLETED, TASKLOG\(\/CUDA\.\*memory\/\), CUSTOM$/);
    assert.match(lines[2] ?? '', /^8\s+all\s+paused\s+global\s+workspace\s+default\s+/);
    assert.equal(lines[0]?.indexOf('TRIGGERS'), lines[1]?.indexOf('COMPLETED'));
    const j = await cli(['webhooks', 'list', '--json'], { env });
    assert.equal(j.out, `${JSON.stringify(list, null, 2)}\n`);
    const g = await cli(['--json', 'webhooks', 'list'], { env });
    assert.deepEqual(JSON.parse(g.out), list);
  });
});

test('webhooks get falls back to the list; update, delete and test hit their routes', async () => {
  await withApi({
    'GET /api/v1/webhooks': [200, { webhooks: [HOOK] }],
    'PATCH /api/v1/webhooks/7': [200, {}],
    'DELETE /api/v1/webhooks/7': [200, {}],
    'POST /api/v1/webhooks/7/test': [200, { completed: false }],
  }, async (api, env) => {
    const g = await cli(['webhooks', 'get', '7'], { env });
    assert.equal(g.code, 0, g.err);
    assert.match(g.out, /^triggers: +COMPLETED, TASKLOG\(\/CUDA\.\*memory\/\), CUSTOM$/m);
    assert.deepEqual(api.requests.map((q) => `${q.method} ${q.path}`), ['GET /api/v1/webhooks/7', 'GET /api/v1/webhooks']);
    const missing = await cli(['webhooks', 'get', '9'], { env });
    assert.equal(missing.err, 'error: no such route (NotFound, HTTP 404)\n');
    assert.equal(missing.code, 1);
    api.requests.length = 0;
    const u = await cli(['webhooks', 'update', '7', '--url', 'https://new.example.com/y'], { env });
    assert.equal(u.code, 0, u.err);
    const d = await cli(['webhooks', 'delete', '7'], { env });
    assert.equal(d.out, 'deleted webhook 7\n');
    const t = await cli(['webhooks', 'test', '7'], { env });
    assert.equal(t.code, 0, t.err);
    const seen = api.requests.map((q) => `${q.method} ${q.path} ${JSON.stringify(q.body)}`);
    assert.deepEqual(seen, [
      'PATCH /api/v1/webhooks/7 {"url":"https://new.example.com/y"}',
      'DELETE /api/v1/webhooks/7 undefined', 'POST /api/v1/webhooks/7/test undefined',
    ]);
    assert.equal(api.requests.at(-1)?.headers['content-type'], undefined, 'no JSON content-type without a body');
  });
});

test('experiments create and state send the expconf-shaped body and the new state', async () => {
  await withApi({
    'POST /api/v1/experiments': [200, { experiment: { id: 12, name: 'exp', state: 'STATE_ACTIVE' } }],
    'POST /api/v1/experiments/12/state': [200, { experiment: { id: 12, state: 'STATE_COMPLETED' }, eventsFired: 2 }],
    'GET /api/v1/experiments?limit=1&offset=0': [200, { experiments: [{ id: 12, name: 'exp', state: 'STATE_COMPLETED' }], pagination: { total: 3 } }],
  }, async (api, env) => {
    const c = await cli(['experiments', 'create', '--name', 'exp', '--workspace', 'ws', '--project', 'p', '--slots-per-trial', '2',
      '--webhook-id', '3', '--webhook-id', '4', '--webhook-name', 'prod-alerts'], { env });
    assert.equal(c.code, 0, c.err);
    assert.match(c.out, /created experiment 12 "exp" \(ACTIVE\); finish it: switchyard experiments state 12 COMPLETED/);
    const plain = await cli(['experiments', 'create', '--name', 'exp', '--exclude'], { env });
    assert.equal(plain.code, 0, plain.err);
    const s = await cli(['experiments', 'state', '12', 'completed'], { env });
    assert.equal(s.out, 'experiment 12 is now COMPLETED (2 webhook events queued)\n');
    const l = await cli(['experiments', 'list', '--limit', '1'], { env });
    assert.match(l.out, /^12\s+exp\s+COMPLETED\s/m);
    assert.match(l.out, /more with --offset 1/);
    assert.deepEqual(api.requests.map((q) => q.body), [
      { name: 'exp', workspace: 'ws', project: 'p', resourcePool: 'default', slotsPerTrial: 2,
        integrations: { webhooks: { webhook_id: [3, 4], webhook_name: ['prod-alerts'], exclude: false } } },
      { name: 'exp', workspace: '', project: '', resourcePool: 'default', slotsPerTrial: 1,
        integrations: { webhooks: { webhook_id: null, webhook_name: null, exclude: true } } },
      { state: 'COMPLETED' },
      undefined,
    ]);
  });
});

test('logs send: one entry per argument, or per stdin line', async () => {
  await withApi({ 'POST /api/v1/task/logs': [200, {}] }, async (api, env) => {
    const a = await cli(['logs', 'send', '--task-id', 'task-1', '--agent-id', 'agent-0', '--experiment-id', '5', '--trial-id', '6',
      '--task-type', 'TRIAL', 'epoch 1', 'CUDA out of memory'], { env });
    assert.equal(a.code, 0, a.err);
    assert.equal(a.out, 'sent 2 log lines of task task-1\n');
    const b = await cli(['logs', 'send', '--task-id', 'nb', '--agent-id', 'agent-1', '--workspace-id', '2'], { env, stdin: 'one\r\ntwo\n' });
    assert.equal(b.code, 0, b.err);
    assert.deepEqual(api.requests.map((q) => q.body), [
      { logs: [
        { taskId: 'task-1', agentId: 'agent-0', log: 'epoch 1', experimentId: 5, trialId: 6, taskType: 'TRIAL' },
        { taskId: 'task-1', agentId: 'agent-0', log: 'CUDA out of memory', experimentId: 5, trialId: 6, taskType: 'TRIAL' },
      ] },
      { logs: [
        { taskId: 'nb', agentId: 'agent-1', log: 'one', workspaceId: 2 },
        { taskId: 'nb', agentId: 'agent-1', log: 'two', workspaceId: 2 },
      ] },
    ]);
    const none = await cli(['logs', 'send', '--task-id', 'nb', '--agent-id', 'a'], { env, stdin: '' });
    assert.equal(none.code, 2);
  });
});

test('alert maps levels like core_context.alert (warn → LOG_LEVEL_WARNING)', async () => {
  await withApi({ 'POST /api/v1/webhooks/custom': [200, {}] }, async (api, env) => {
    for (const level of ['debug', 'info', 'warn', 'error']) {
      const r = await cli(['alert', '--experiment-id', '12', '--trial-id', '34', '--title', 'end of main', '--level', level], { env });
      assert.equal(r.code, 0, r.err);
    }
    const d = await cli(['alert', '--experiment-id', '12', '--title', 't', '--description', 'd'], { env });
    assert.equal(d.code, 0, d.err);
    assert.deepEqual(api.requests.map((q) => q.body), [
      ...['DEBUG', 'INFO', 'WARNING', 'ERROR'].map((l) => ({
        data: { title: 'end of main', description: '', level: `LOG_LEVEL_${l}` }, experimentId: 12, trialId: 34,
      })),
      { data: { title: 't', description: 'd', level: 'LOG_LEVEL_INFO' }, experimentId: 12, trialId: 0 },
    ]);
  });
});

test('tokens create prints the secret once; list and revoke; keys show prints only the key', async () => {
  const token = { id: 4, name: 'ci', role: 'user', prefix: 'sy_ab', createdAt: '2025-01-02T03:04:05.000Z' };
  await withApi({
    'POST /api/v1/tokens': [200, { token, secret: 'sy_abcdef123' }],
    'GET /api/v1/tokens': [200, { tokens: [{ ...token, lastUsedAt: null, revokedAt: null }, { ...token, id: 5, revokedAt: 1735700000000 }] }],
    'DELETE /api/v1/tokens/4': [200, {}],
    'GET /api/v1/keys/signing': [200, { signingKey: 'k3y' }],
  }, async (api, env) => {
    const c = await cli(['tokens', 'create', '--name', 'ci'], { env });
    assert.equal(c.code, 0, c.err);
    assert.equal(c.out, 'sy_abcdef123\n');
    assert.match(c.err, /cannot be shown again/);
    assert.deepEqual(api.requests[0]?.body, { name: 'ci', role: 'user' });
    const admin = await cli(['tokens', 'create', '--name', 'ops', '--role', 'admin', '--json'], { env });
    assert.deepEqual(JSON.parse(admin.out), { token, secret: 'sy_abcdef123' });
    assert.deepEqual(api.requests[1]?.body, { name: 'ops', role: 'admin' });
    const l = await cli(['tokens', 'list'], { env });
    assert.match(l.out, /^4\s+ci\s+user\s+sy_ab\s+2025-01-02T03:04:05Z\s+never\s+active$/m);
    assert.match(l.out, /^5\s+.*revoked 2025-01-01T/m);
    const r = await cli(['tokens', 'revoke', '4'], { env });
    assert.equal(r.code, 0, r.err);
    const k = await cli(['keys', 'show'], { env });
    assert.equal(k.out, 'k3y\n');
    assert.deepEqual(api.requests.slice(2).map((q) => `${q.method} ${q.path}`),
      ['GET /api/v1/tokens', 'DELETE /api/v1/tokens/4', 'GET /api/v1/keys/signing']);
  });
});

test('workspaces list and create', async () => {
  await withApi({
    'GET /api/v1/workspaces': [200, { workspaces: [{ id: 1, name: 'Uncategorized' }, { id: 2, name: 'ml' }] }],
    'POST /api/v1/workspaces': [200, { workspace: { id: 3, name: 'vision' } }],
  }, async (api, env) => {
    const l = await cli(['workspaces', 'list'], { env });
    assert.equal(l.out, 'ID  NAME\n1   Uncategorized\n2   ml\n');
    const c = await cli(['workspaces', 'create', 'vision'], { env });
    assert.match(c.out, /^created workspace 3 "vision"/);
    assert.deepEqual(api.requests[1]?.body, { name: 'vision' });
  });
});

test('an API error body is printed as: error: <message> (<reason>, HTTP <status>), exit 1', async () => {
  const body = { error: { code: 3, reason: 'InvalidArgument', error: 'at least one trigger required', type: 'webhook_no_triggers' } };
  await withApi({ 'POST /api/v1/webhooks': [400, body], 'GET /api/v1/webhooks': [500, 'oops'] }, async (_api, env) => {
    const r = await cli(['webhooks', 'create', '--url', 'http://h/x', '--trigger', 'ERROR'], { env });
    assert.equal(r.code, 1);
    assert.equal(r.err, 'error: at least one trigger required (InvalidArgument, HTTP 400)\n');
    const odd = await cli(['webhooks', 'list'], { env });
    assert.equal(odd.err, 'error: oops (Internal, HTTP 500)\n');
  });
});

test('connection refused and a missing token have clear messages, exit 1', async () => {
  const url = `http://127.0.0.1:${await freePort()}`;
  const r = await cli(['webhooks', 'list', '--url', url, '--token', 't']);
  assert.equal(r.code, 1);
  assert.equal(r.err, `error: cannot reach Switchyard at ${url}: is the server running? (start it with: npm start)\n`);
  const n = await cli(['webhooks', 'list', '--url', url]);
  assert.equal(n.code, 1);
  assert.match(n.err, /^error: no API token: pass --token or set SWITCHYARD_TOKEN \(the admin token was printed/);
});

// The Determined vector of shipper_test.go.
const VECTOR = {
  key: 'testsigningkey',
  t: '1666890081',
  body: '{"id":1,"state":"COMPLETED","name":"test-name","duration":1,"resource_pool":"default","slots_per_trial":1,"workspace":"workspace","project":"project"}',
  sig: '899cc042278415da7d91605ffefe81376d64a4d842aa5663cd614f497f88910f',
};

test('verifyDetermined accepts the Determined test vector and rejects changes', () => {
  const body = Buffer.from(VECTOR.body);
  const h = { 'x-determined-ai-signature-timestamp': VECTOR.t, 'x-determined-ai-signature': VECTOR.sig };
  assert.equal(verifyDetermined(VECTOR.key, h, body), 'valid');
  assert.equal(verifyDetermined(VECTOR.key, { ...h, 'x-determined-ai-signature': VECTOR.sig.toUpperCase() }, body), 'valid');
  assert.equal(verifyDetermined('otherkey', h, body), 'invalid');
  assert.equal(verifyDetermined(VECTOR.key, { ...h, 'x-determined-ai-signature-timestamp': '1666890082' }, body), 'invalid');
  assert.equal(verifyDetermined(VECTOR.key, { ...h, 'x-determined-ai-signature': 'abc' }, body), 'invalid');
  assert.equal(verifyDetermined(VECTOR.key, {}, body), 'missing');
});

test('sink prints requests, verifies a correctly and an incorrectly signed one, answers --status', async () => {
  const stop = new AbortController();
  const s = start(['sink', '--port', '0', '--signing-key', VECTOR.key, '--status', '202'], { signal: stop.signal });
  try {
    let url = '';
    for (let i = 0; i < 200 && !url; i++) {
      url = /listening on (http:\/\/\S+)/.exec(s.err.join(''))?.[1] ?? '';
      if (!url) await new Promise((r) => setTimeout(r, 10));
    }
    assert.ok(url, s.err.join(''));
    // Mixed-case header names, as Go sends them.
    const headers = { 'X-Determined-AI-Signature-Timestamp': VECTOR.t, 'X-Determined-Ai-Signature': VECTOR.sig, 'Content-Type': 'application/json; charset=UTF-8' };
    const good = await request(`${url}/hook`, { method: 'POST', headers, body: VECTOR.body });
    await good.body.text();
    assert.equal(good.statusCode, 202);
    const forged = createHmac('sha256', 'wrong').update(`${VECTOR.t},${VECTOR.body}`).digest('hex');
    const bad = await request(`${url}/hook`, { method: 'POST', headers: { ...headers, 'X-Determined-Ai-Signature': forged }, body: VECTOR.body });
    await bad.body.text();
    const out = s.out.join('');
    const [first, second] = out.split(/^#\d+ /m).filter(Boolean);
    assert.match(first ?? '', /^POST \/hook /);
    assert.match(first ?? '', /X-Determined-Ai-Signature: 899cc042/);
    assert.ok(first?.includes(VECTOR.body));
    assert.match(first ?? '', /signature: valid/);
    assert.match(second ?? '', /signature: INVALID/);
    assert.match(second ?? '', /answered 202/);
  } finally {
    stop.abort();
  }
  assert.equal(await s.done, 0);
});

test('formatTable aligns columns and shows missing values as -', () => {
  assert.equal(
    formatTable([{ a: 1, b: 'x' }, { a: 22, b: null }], [{ key: 'a', header: 'A' }, { key: 'b', header: 'BEE' }]),
    'A   BEE\n1   x\n22  -\n',
  );
});

test('bin/switchyard.js: exit codes of the real process', async () => {
  const bin = fileURLToPath(new URL('../../../bin/switchyard.js', import.meta.url));
  const exec = (args: string[], env: Record<string, string> = {}) => new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
    const p = spawn(process.execPath, [bin, ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
    let out = '';
    let err = '';
    p.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    p.stderr.on('data', (c: Buffer) => { err += c.toString(); });
    p.on('close', (code) => resolve({ code, out, err }));
  });
  assert.equal((await exec(['--help'])).code, 0);
  const unknown = await exec(['nope']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /unknown command 'nope'/);
  await withApi({ 'GET /api/v1/workspaces': [200, { workspaces: [{ id: 1, name: 'w' }] }] }, async (_api, env) => {
    const ok = await exec(['workspaces', 'list', '--json'], env);
    assert.equal(ok.code, 0, ok.err);
    assert.deepEqual(JSON.parse(ok.out), { workspaces: [{ id: 1, name: 'w' }] });
  });
  const refused = await exec(['webhooks', 'list', '--url', `http://127.0.0.1:${await freePort()}`, '--token', 't']);
  assert.equal(refused.code, 1);
  assert.match(refused.err, /cannot reach Switchyard/);
});
