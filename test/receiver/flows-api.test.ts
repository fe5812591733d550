/**
 * The flows API with a real server: bad definitions answer 400 `invalid_flow` naming each problem's JSON path;
 * names are unique (409), unknown ids 404; PATCH merges and PUT replaces; export then import round-trips; validate.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/harness.js';

let s: TestServer;
before(async () => { s = await startTestServer(); });
after(async () => { await s.stop(); });

const BAD: [string, unknown, RegExp][] = [
  ['unknown step type', { name: 'bad', steps: [{ id: 'x', type: 'teleport' }] }, /steps\[0\]\.type: unknown step type "teleport"/],
  ['duplicate ids, nested', {
    name: 'bad', steps: [{ id: 'x', type: 'noop' }, { id: 'p', type: 'paths', paths: [{ name: 'b', fallback: true, steps: [{ id: 'x', type: 'noop' }] }] }],
  }, /steps\[1\]\.paths\[0\]\.steps\[0\]\.id: duplicate step id "x" \(already used at steps\[0\]\.id\)/],
  ['a path without when', { name: 'bad', steps: [{ id: 'p', type: 'paths', paths: [{ name: 'b', steps: [] }] }] }, /steps\[0\]\.paths\[0\]\.when: is required/],
  ['a bad condition op', {
    name: 'bad', steps: [{ id: 'f', type: 'filter', when: { left: 'capture.method', op: 'is', right: 'POST' } }],
  }, /steps\[0\]\.when\.op: must be one of equals, /],
  ['a bad email in a non-template field', {
    name: 'bad', steps: [{ id: 'm', type: 'send_email', config: { to: 'not-an-email', subject: 's', text: 't' } }],
  }, /steps\[0\]\.config\.to: must be an email address/],
  ['an RE2-invalid matches regex', {
    name: 'bad', steps: [{ id: 'f', type: 'filter', when: { all: [{ left: 'capture.body', op: 'exists' }, { left: 'capture.body', op: 'matches', right: '(?=ahead)' }] } }],
  }, /steps\[0\]\.when\.all\[1\]\.right: invalid RE2 regular expression/],
  ['an unknown top-level field', { name: 'bad', steps: [], colour: 'red' }, /colour: unknown field/],
  ['a constant dedup key', { name: 'bad', steps: [], dedup: { key: 'same', windowSeconds: 10 } }, /dedup\.key: must contain a \{\{placeholder\}\}/],
  ['a static response status out of range', { name: 'bad', steps: [], response: { status: 99 } }, /response\.status: /],
  ['not an object', [1, 2], /\(root\): must be an object/],
];

test('bad definitions answer 400 invalid_flow with the JSON path of each problem (create and validate)', async () => {
  for (const [what, def, message] of BAD) {
    for (const path of ['/api/v1/flows', '/api/v1/flows/validate']) {
      const r = await s.api('POST', path, def);
      assert.equal(r.status, 400, `${what} via ${path}: ${r.text}`);
      assert.equal(r.body.error.type, 'invalid_flow', what);
      assert.equal(r.body.error.reason, 'InvalidArgument');
      assert.match(r.body.error.error, message, what);
    }
  }
  // Several problems at once: all reported.
  const many = await s.api('POST', '/api/v1/flows/validate', {
    name: '', steps: [{ id: 'Bad Id', type: 'noop' }, { id: 'f', type: 'filter' }],
  });
  assert.equal(many.status, 400);
  assert.match(many.body.error.error, /the flow has 3 problems/);
  assert.match(many.body.error.error, /name: /);
  assert.match(many.body.error.error, /steps\[0\]\.id: must match/);
  assert.match(many.body.error.error, /steps\[1\]\.when: is required/);
  assert.equal((await s.api('GET', '/api/v1/flows')).body.flows.length, 0, 'nothing was created');
  const badJson = await s.api('POST', '/api/v1/flows', undefined, { raw: '{"name": ' });
  assert.equal(badJson.body.error.type, 'invalid_json');
});

test('validate accepts a good definition (templates in checked fields are left for run time) and stores nothing', async () => {
  const r = await s.api('POST', '/api/v1/flows/validate', {
    name: 'ok', steps: [
      { id: 'm', type: 'send_email', config: { to: '{{capture.json.to}}', subject: 'hi', text: 't' } },
      { id: 'f', type: 'filter', when: { left: 'capture.body', op: 'matches', right: '^{{capture.queryParams.p}}' } },
    ],
  });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.body, { valid: true });
  assert.equal((await s.api('GET', '/api/v1/flows')).body.flows.length, 0);
});

test('names are unique: create, rename and concurrent creates answer 409 flow_name_taken', async () => {
  const a = await s.api('POST', '/api/v1/flows', { name: 'unique-a', steps: [] });
  assert.equal(a.status, 200);
  assert.equal(a.body.flow.enabled, true, 'on by default');
  const dup = await s.api('POST', '/api/v1/flows', { name: 'unique-a', steps: [] });
  assert.equal(dup.status, 409);
  assert.equal(dup.body.error.type, 'flow_name_taken');
  const b = await s.api('POST', '/api/v1/flows', { name: 'unique-b', steps: [] });
  const rename = await s.api('PATCH', `/api/v1/flows/${b.body.flow.id}`, { name: 'unique-a' });
  assert.equal(rename.status, 409);
  assert.equal(rename.body.error.type, 'flow_name_taken');
  assert.equal((await s.api('PUT', `/api/v1/flows/${b.body.flow.id}`, { name: 'unique-a', steps: [] })).status, 409);
  // Keeping its own name is fine.
  assert.equal((await s.api('PATCH', `/api/v1/flows/${b.body.flow.id}`, { name: 'unique-b', description: 'same name' })).status, 200);
  const racing = await Promise.all(Array.from({ length: 6 }, () => s.api('POST', '/api/v1/flows', { name: 'unique-race', steps: [] })));
  assert.deepEqual(racing.map((r) => r.status).sort(), [200, 409, 409, 409, 409, 409], racing.map((r) => r.text).join('\n'));
  // A deleted flow's name is free again, and its catch URL is gone.
  const url = a.body.flow.catchUrl;
  assert.equal((await s.api('DELETE', `/api/v1/flows/${a.body.flow.id}`)).status, 200);
  assert.equal((await fetch(url, { method: 'POST', body: 'x' })).status, 404);
  assert.equal((await s.api('POST', '/api/v1/flows', { name: 'unique-a', steps: [] })).status, 200);
});

test('unknown ids answer 404 with the stable type; malformed ids 400', async () => {
  const f = (await s.api('POST', '/api/v1/flows', { name: 'ids', steps: [] })).body.flow;
  const cases: [string, string, unknown, string][] = [
    ['GET', '/api/v1/flows/9999', undefined, 'flow_not_found'],
    ['PUT', '/api/v1/flows/9999', { name: 'x', steps: [] }, 'flow_not_found'],
    ['PATCH', '/api/v1/flows/9999', { description: 'x' }, 'flow_not_found'],
    ['DELETE', '/api/v1/flows/9999', undefined, 'flow_not_found'],
    ['POST', '/api/v1/flows/9999/enable', undefined, 'flow_not_found'],
    ['POST', '/api/v1/flows/9999/disable', undefined, 'flow_not_found'],
    ['POST', '/api/v1/flows/9999/rotate-key', undefined, 'flow_not_found'],
    ['GET', '/api/v1/flows/9999/export', undefined, 'flow_not_found'],
    ['GET', '/api/v1/flows/9999/captures', undefined, 'flow_not_found'],
    ['GET', '/api/v1/flows/9999/runs', undefined, 'flow_not_found'],
    ['POST', '/api/v1/flows/9999/sample', { captureId: 1 }, 'flow_not_found'],
    ['GET', `/api/v1/flows/${f.id}/captures/9999`, undefined, 'capture_not_found'],
    ['POST', `/api/v1/flows/${f.id}/captures/9999/run`, undefined, 'capture_not_found'],
    ['GET', '/api/v1/runs/9999', undefined, 'run_not_found'],
    ['POST', '/api/v1/runs/9999/replay', {}, 'run_not_found'],
  ];
  for (const [method, path, body, type] of cases) {
    const r = await s.api(method, path, body);
    assert.equal(r.status, 404, `${method} ${path}: ${r.text}`);
    assert.equal(r.body.error.type, type, `${method} ${path}`);
  }
  const bad = await s.api('GET', '/api/v1/flows/abc');
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.type, 'invalid_id');
});

test('PATCH merges the given fields into the definition; PUT replaces it', async () => {
  const created = await s.api('POST', '/api/v1/flows', {
    name: 'patchable', description: 'first', steps: [{ id: 'n', type: 'noop' }],
    response: { status: 202, body: 'ok' }, dedup: { key: '{{capture.headers.x-id}}', windowSeconds: 60 }, rateLimit: { perSecond: 5 },
  });
  const id = created.body.flow.id;
  const p1 = await s.api('PATCH', `/api/v1/flows/${id}`, { description: 'second', enabled: false });
  assert.equal(p1.status, 200, p1.text);
  const f1 = p1.body.flow;
  assert.deepEqual([f1.description, f1.enabled, f1.name], ['second', false, 'patchable']);
  assert.deepEqual(f1.definition, {
    name: 'patchable', description: 'second', enabled: false, steps: [{ id: 'n', type: 'noop' }],
    response: { status: 202, body: 'ok' }, dedup: { key: '{{capture.headers.x-id}}', windowSeconds: 60 }, rateLimit: { perSecond: 5 },
  });
  const p2 = await s.api('PATCH', `/api/v1/flows/${id}`, { steps: [{ id: 'a', type: 'noop' }, { id: 'b', type: 'noop' }] });
  assert.equal(p2.status, 200);
  assert.deepEqual(p2.body.flow.definition.steps.map((x: any) => x.id), ['a', 'b']);
  assert.deepEqual(p2.body.flow.definition.response, { status: 202, body: 'ok' }, 'untouched fields stay');
  assert.equal(p2.body.flow.catchUrl, created.body.flow.catchUrl, 'the catch URL does not change with an edit');
  const badPatch = await s.api('PATCH', `/api/v1/flows/${id}`, { steps: [{ id: 'x', type: 'teleport' }] });
  assert.equal(badPatch.body.error.type, 'invalid_flow');
  assert.match(badPatch.body.error.error, /steps\[0\]\.type/);
  const unknown = await s.api('PATCH', `/api/v1/flows/${id}`, { colour: 'red' });
  assert.equal(unknown.status, 400);
  assert.equal((await s.api('GET', `/api/v1/flows/${id}`)).body.flow.definition.steps.length, 2, 'a refused PATCH changes nothing');

  const put = await s.api('PUT', `/api/v1/flows/${id}`, { name: 'patchable', steps: [] });
  assert.equal(put.status, 200, put.text);
  assert.deepEqual(put.body.flow.definition, { name: 'patchable', enabled: true, steps: [] });
  assert.equal(put.body.flow.description, '');
});

test('export then import round-trips the definition (under a new name) with a fresh catch URL', async () => {
  const def = {
    name: 'exported', description: 'round trip', enabled: false,
    steps: [
      { id: 'verify', type: 'verify_signature', config: { preset: 'determined', keys: [{ secret: 'DET_KEY' }] } },
      { id: 'ok', type: 'filter', when: { left: 'steps.verify.result', op: 'equals', right: 'PASS' } },
      {
        id: 'route', type: 'paths', paths: [
          { name: 'errors', when: { left: 'capture.json.state', op: 'equals', right: 'ERROR' }, steps: [{ id: 'page', type: 'alert', config: { name: 'failed', severity: 'error', message: '{{capture.json.name}}' } }] },
          { name: 'rest', fallback: true, steps: [] },
        ],
      },
    ],
    response: { status: 200, headers: { 'X-Ack': '1' }, body: '{}' }, rateLimit: { perSecond: 10, burst: 20 },
  };
  const created = await s.api('POST', '/api/v1/flows', def);
  assert.equal(created.status, 200, created.text);
  const res = await fetch(`${s.url}/api/v1/flows/${created.body.flow.id}/export`, { headers: { authorization: `Bearer ${s.token}` } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-disposition') ?? '', /attachment; filename="exported\.flow\.json"/);
  const exported = (await res.json()) as Record<string, unknown>;
  assert.deepEqual(exported, def);

  const again = await s.api('POST', '/api/v1/flows/import', exported);
  assert.equal(again.status, 409, 'the same name is taken');
  assert.equal(again.body.error.type, 'flow_name_taken');
  const imported = await s.api('POST', '/api/v1/flows/import', { ...exported, name: 'imported' });
  assert.equal(imported.status, 200, imported.text);
  assert.deepEqual(imported.body.flow.definition, { ...def, name: 'imported' });
  assert.equal(imported.body.flow.enabled, false);
  assert.notEqual(imported.body.flow.catchUrl, created.body.flow.catchUrl);
  const reexported = (await s.api('GET', `/api/v1/flows/${imported.body.flow.id}/export`)).body;
  assert.deepEqual(reexported, { ...def, name: 'imported' });
  const badImport = await s.api('POST', '/api/v1/flows/import', { ...exported, name: 'broken', steps: [{ id: 'x', type: 'nope' }] });
  assert.equal(badImport.body.error.type, 'invalid_flow');
});
