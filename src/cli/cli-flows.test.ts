/**
 * CLI tests of the receiving side against a fake API: `flows …` (definitions from files and stdin, captures, runs),
 * `runs …` and `secrets …`. What each command sends, what it prints, exit codes; a secret's value is never printed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { splitProblems } from './commands/flows.js';
import { cli, withApi } from './test-support.js';

const T = '2026-01-31T12:00:00Z';
const enc = encodeURIComponent;
const CATCH = 'http://127.0.0.1:8080/hooks/catch/k3y';

const DEFINITION = {
  name: 'Determined → email', enabled: true,
  steps: [
    { id: 'verify', type: 'verify_signature', config: { preset: 'determined' } },
    { id: 'route', type: 'paths', paths: [{ name: 'errors', when: { left: 'a', op: 'equals', right: 'b' }, steps: [{ id: 'alert', type: 'raise_alert', config: { name: 'x' } }] }] },
  ],
};
const FLOW = {
  id: 3, name: DEFINITION.name, description: '', enabled: true, catchUrl: CATCH, sampleCaptureId: null, definition: DEFINITION,
  createdAt: '2026-01-31T12:00:00.000Z', updatedAt: '2026-01-31T12:30:00.000Z',
};
const CAPTURE = {
  id: 9, flowId: 3, status: 'queued', method: 'POST', path: '/hooks/catch/k3y', query: 'a=1&b=2',
  headers: [{ name: 'Host', value: '127.0.0.1:8080' }, { name: 'X-Sig', value: 'v1,abc' }, { name: 'content-type', value: 'application/json' }, { name: 'X-Sig', value: 'v1,def' }],
  contentType: 'application/json', size: 37, body: '\n{"hello": "world",\n "more": "lines"}', bodyBase64: '...', remoteAddress: '203.0.113.5',
  receivedAt: '2026-01-31T12:00:01.000Z',
};
const RUN = {
  id: 12, flowId: 3, captureId: 9, origin: 'capture', replayOf: null, status: 'failed', error: 'step notify failed: HTTP 500',
  createdAt: '2026-01-31T12:00:01.000Z', startedAt: '2026-01-31T12:00:01.000Z', finishedAt: '2026-01-31T12:00:03.500Z', nextAttemptAt: null,
};
const STEPS = [
  { stepId: 'verify', type: 'verify_signature', status: 'succeeded', input: { preset: 'determined' }, output: { result: 'PASS', payload: { a: 1 } }, error: null, attempts: 1, startedAt: RUN.startedAt, durationMs: 4 },
  { stepId: 'notify', type: 'http_request', status: 'failed', input: { url: 'https://x.example/hook' }, output: null, error: 'HTTP 500 Internal Server Error', attempts: 3, startedAt: RUN.startedAt, durationMs: 2500 },
];

function tempDir(): { dir: string; file(name: string, text: string): string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'sy-cli-flows-'));
  return {
    dir,
    file(name, text) { const p = join(dir, name); writeFileSync(p, text); return p; },
    cleanup() { rmSync(dir, { recursive: true, force: true }); },
  };
}

test('flows create, update and import send the file (or stdin) as it is and say what is next', async () => {
  const tmp = tempDir();
  try {
    const file = tmp.file('flow.json', JSON.stringify(DEFINITION, null, 2));
    await withApi({
      'POST /api/v1/flows': [200, { flow: FLOW }],
      'PUT /api/v1/flows/3': [200, { flow: FLOW }],
      'POST /api/v1/flows/import': [200, { flow: { ...FLOW, id: 4, enabled: false } }],
    }, async (api, env) => {
      const c = await cli(['flows', 'create', '--file', file], { env });
      assert.equal(c.code, 0, c.err);
      assert.match(c.out, /^created flow 3 "Determined → email"$/m);
      assert.match(c.out, new RegExp(`^catch URL: ${CATCH}$`, 'm'));
      assert.ok(c.out.includes(`send a request: curl -X POST ${CATCH} -d '{"hello": "world"}'\n`), c.out);
      assert.match(c.out, /switchyard flows captures 3/);
      const s = await cli(['flows', 'create', '--file', '-'], { env, stdin: JSON.stringify({ name: 'from stdin', steps: [] }) });
      assert.equal(s.code, 0, s.err);
      const u = await cli(['flows', 'update', '3', '--file', file], { env });
      assert.equal(u.code, 0, u.err);
      assert.match(u.out, /^updated flow 3 "Determined → email"/);
      const i = await cli(['flows', 'import', '--file', file], { env });
      assert.equal(i.code, 0, i.err);
      assert.match(i.out, /^imported flow 4 /);
      assert.match(i.out, /the flow is off: .*switchyard flows enable 4/);
      assert.deepEqual(api.requests.map((q) => `${q.method} ${q.path}`), [
        'POST /api/v1/flows', 'POST /api/v1/flows', 'PUT /api/v1/flows/3', 'POST /api/v1/flows/import',
      ]);
      assert.deepEqual(api.requests.map((q) => q.body), [DEFINITION, { name: 'from stdin', steps: [] }, DEFINITION, DEFINITION]);
      for (const q of api.requests) assert.equal(q.headers.authorization, 'Bearer sy_test');

      // Bad input never reaches the server: exit 2.
      const missing = await cli(['flows', 'create', '--file', join(tmp.dir, 'nope.json')], { env });
      assert.equal(missing.code, 2);
      assert.match(missing.err, /cannot read .*nope\.json: no such file/);
      const notJson = await cli(['flows', 'create', '--file', tmp.file('bad.json', '{"name": ')], { env });
      assert.equal(notJson.code, 2);
      assert.match(notJson.err, /bad\.json is not valid JSON/);
      const empty = await cli(['flows', 'update', '3', '--file', '-'], { env, stdin: '' });
      assert.equal(empty.code, 2);
      assert.match(empty.err, /stdin is empty/);
      assert.equal(api.requests.length, 4);
    });
    const noToken = await cli(['flows', 'create', '--file', file], { env: { SWITCHYARD_URL: 'http://127.0.0.1:1' } });
    assert.equal(noToken.code, 1);
    assert.match(noToken.err, /no API token/);
  } finally {
    tmp.cleanup();
  }
});

test('flows list prints ID, NAME, ON, STEPS (top level) and CATCH URL; get prints the definition', async () => {
  await withApi({
    'GET /api/v1/flows': [200, { flows: [FLOW, { ...FLOW, id: 4, name: 'off one', enabled: false, definition: { name: 'off one', steps: [] }, catchUrl: `${CATCH}2` }] }],
    'GET /api/v1/flows/3': [200, { flow: { ...FLOW, sampleCaptureId: 9 } }],
  }, async (_api, env) => {
    const l = await cli(['flows', 'list'], { env });
    assert.equal(l.code, 0, l.err);
    const lines = l.out.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^ID\s+NAME\s+ON\s+STEPS\s+CATCH URL$/);
    assert.match(lines[1] ?? '', new RegExp(`^3\\s+Determined → email\\s+yes\\s+2\\s+${CATCH}$`));
    assert.match(lines[2] ?? '', new RegExp(`^4\\s+off one\\s+no\\s+0\\s+${CATCH}2$`));
    assert.equal(lines.length, 3);
    const g = await cli(['flows', 'get', '3'], { env });
    assert.equal(g.code, 0, g.err);
    assert.match(g.out, /^name: +Determined → email$/m);
    assert.match(g.out, /^on: +yes$/m);
    assert.match(g.out, new RegExp(`^catch URL: +${CATCH}$`, 'm'));
    assert.match(g.out, /^sample capture: +9$/m);
    assert.match(g.out, /^updated: +2026-01-31T12:30:00Z$/m);
    assert.ok(g.out.includes(`definition:\n${JSON.stringify(DEFINITION, null, 2)}\n`), g.out);
  });
  await withApi({ 'GET /api/v1/flows': [200, { flows: [] }] }, async (_api, env) => {
    const none = await cli(['flows', 'list'], { env });
    assert.equal(none.out, 'no flows yet; create one: switchyard flows create --file flow.json\n');
  });
});

test('flows delete, enable, disable, rotate-key, sample, run-capture and export', async () => {
  const tmp = tempDir();
  try {
    await withApi({
      'DELETE /api/v1/flows/3': [200, {}],
      'POST /api/v1/flows/3/enable': [200, { flow: FLOW }],
      'POST /api/v1/flows/3/disable': [200, { flow: { ...FLOW, enabled: false } }],
      'POST /api/v1/flows/3/rotate-key': [200, { flow: { ...FLOW, catchUrl: 'http://127.0.0.1:8080/hooks/catch/n3w' } }],
      'POST /api/v1/flows/3/sample': [200, { flow: { ...FLOW, sampleCaptureId: 9 } }],
      'POST /api/v1/flows/3/captures/9/run': [200, { run: { ...RUN, id: 13, origin: 'sample', status: 'queued' } }],
      'GET /api/v1/flows/3/export': [200, DEFINITION],
    }, async (api, env) => {
      const d = await cli(['flows', 'delete', '3'], { env });
      assert.equal(d.out, 'deleted flow 3; its catch URL now answers 404\n');
      const e = await cli(['flows', 'enable', '3'], { env });
      assert.equal(e.out, `flow 3 is on; requests to ${CATCH} run it\n`);
      const off = await cli(['flows', 'disable', '3'], { env });
      assert.match(off.out, /^flow 3 is off; .*\nturn it back on: switchyard flows enable 3\n$/);
      const r = await cli(['flows', 'rotate-key', '3'], { env });
      assert.equal(r.out, 'new catch URL of flow 3: http://127.0.0.1:8080/hooks/catch/n3w\n');
      assert.match(r.err, /^warning: the old catch URL stops working/);
      const s = await cli(['flows', 'sample', '3', '9'], { env });
      assert.match(s.out, /^capture 9 is now the sample of flow 3/);
      const rc = await cli(['flows', 'run-capture', '3', '9'], { env });
      assert.equal(rc.out, 'started run 13 of flow 3 on capture 9; follow it: switchyard runs get 13\n');
      const x = await cli(['flows', 'export', '3'], { env });
      assert.equal(x.out, `${JSON.stringify(DEFINITION, null, 2)}\n`);
      const out = join(tmp.dir, 'exported.flow.json');
      const xf = await cli(['flows', 'export', '3', '--out', out], { env });
      assert.equal(xf.code, 0, xf.err);
      assert.equal(readFileSync(out, 'utf8'), `${JSON.stringify(DEFINITION, null, 2)}\n`);
      assert.equal(xf.out, `exported flow 3 to ${out}; import it elsewhere: switchyard flows import --file ${out}\n`);
      assert.deepEqual(api.requests.map((q) => `${q.method} ${q.path} ${JSON.stringify(q.body)}`), [
        'DELETE /api/v1/flows/3 undefined', 'POST /api/v1/flows/3/enable undefined', 'POST /api/v1/flows/3/disable undefined',
        'POST /api/v1/flows/3/rotate-key undefined', 'POST /api/v1/flows/3/sample {"captureId":9}',
        'POST /api/v1/flows/3/captures/9/run undefined', 'GET /api/v1/flows/3/export undefined', 'GET /api/v1/flows/3/export undefined',
      ]);
      const bad = await cli(['flows', 'enable', 'three'], { env });
      assert.equal(bad.code, 2);
    });
  } finally {
    tmp.cleanup();
  }
});

test('flows validate prints "valid", or each problem on its own line and exits 1', async () => {
  const tmp = tempDir();
  try {
    const good = tmp.file('good.json', JSON.stringify(DEFINITION));
    const bad = tmp.file('bad.json', JSON.stringify({ name: '', steps: [{ id: 'X', type: 'nope' }] }));
    const message = 'the flow has 3 problems: name: must not be empty; steps[0].id: must match ^[a-z][a-z0-9_]{0,39}$ (a lowercase letter); ' +
      'steps[0].type: unknown step type "nope"; known types: filter, paths, http_request';
    await withApi({
      'POST /api/v1/flows/validate': [200, { valid: true }],
    }, async (api, env) => {
      const v = await cli(['flows', 'validate', '--file', good], { env });
      assert.equal(v.code, 0, v.err);
      assert.equal(v.out, 'valid\n');
      assert.deepEqual(api.requests[0]?.body, DEFINITION);
    });
    await withApi({
      'POST /api/v1/flows/validate': [400, { error: { code: 3, reason: 'InvalidArgument', error: message, type: 'invalid_flow' } }],
    }, async (api, env) => {
      const v = await cli(['flows', 'validate', '--file', bad], { env });
      assert.equal(v.code, 1);
      assert.equal(v.out, 'name: must not be empty\nsteps[0].id: must match ^[a-z][a-z0-9_]{0,39}$ (a lowercase letter)\n' +
        'steps[0].type: unknown step type "nope"; known types: filter, paths, http_request\n');
      assert.match(v.err, /^error: .*bad\.json is not a valid flow: 3 problems$/m);
      const j = await cli(['flows', 'validate', '--file', bad, '--json'], { env });
      assert.equal(j.code, 1);
      assert.equal(JSON.parse(j.out).problems.length, 3);
      // Not JSON at all: a problem too, found without asking the server.
      const n = await cli(['flows', 'validate', '--file', tmp.file('broken.json', '{')], { env });
      assert.equal(n.code, 1);
      assert.match(n.out, /^\(root\): not valid JSON: /);
      assert.equal(api.requests.length, 2);
    });
  } finally {
    tmp.cleanup();
  }
});

test('splitProblems splits only where a new JSON path starts', () => {
  assert.deepEqual(splitProblems('the flow has 1 problem: (root): not valid JSON'), ['(root): not valid JSON']);
  assert.deepEqual(splitProblems('the flow has 2 problems: steps[0].paths[1].when: is required (or mark it; really); rateLimit.perSecond: too big'),
    ['steps[0].paths[1].when: is required (or mark it; really)', 'rateLimit.perSecond: too big']);
});

test('flows captures lists the requests; flows capture shows one exactly, headers in order and case', async () => {
  const binary = { ...CAPTURE, id: 8, method: 'PUT', status: 'off', contentType: 'application/octet-stream', size: 2048, body: null, bodyBase64: 'AAEC/w==', headers: [], query: '' };
  const long = { ...CAPTURE, id: 7, body: `{"text": "${'y'.repeat(100)}"}`, size: 113 };
  await withApi({
    'GET /api/v1/flows/3/captures?limit=3&beforeId=10': [200, { captures: [CAPTURE, binary, long] }],
    'GET /api/v1/flows/3/captures': [200, { captures: [] }],
    'GET /api/v1/flows/3/captures/9': [200, { capture: CAPTURE }],
    'GET /api/v1/flows/3/captures/8': [200, { capture: binary }],
  }, async (api, env) => {
    const l = await cli(['flows', 'captures', '3', '--limit', '3', '--before-id', '10'], { env });
    assert.equal(l.code, 0, l.err);
    assert.equal(api.requests[0]?.path, '/api/v1/flows/3/captures?limit=3&beforeId=10');
    const lines = l.out.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^ID\s+RECEIVED\s+METHOD\s+STATUS\s+SIZE\s+CONTENT-TYPE\s+BODY$/);
    assert.match(lines[1] ?? '', /^9\s+2026-01-31T12:00:01Z\s+POST\s+queued\s+37 B\s+application\/json\s+\{"hello": "world",$/);
    assert.match(lines[2] ?? '', /^8\s+2026-01-31T12:00:01Z\s+PUT\s+off\s+2\.0 KiB\s+application\/octet-stream\s+\(binary, 2\.0 KiB\)$/);
    assert.match(lines[3] ?? '', /^7\s+.*\{"text": "y+…$/);
    assert.ok((lines[3] ?? '').endsWith(`{"text": "${'y'.repeat(49)}…`), lines[3]);
    assert.match(l.out, /older ones: switchyard flows captures 3 --limit 3 --before-id 7\)$/m);
    const none = await cli(['flows', 'captures', '3'], { env });
    assert.match(none.out, /^no captures yet; send a request/);

    const c = await cli(['flows', 'capture', '3', '9'], { env });
    assert.equal(c.code, 0, c.err);
    assert.match(c.out, /^method: +POST$/m);
    assert.match(c.out, /^path: +\/hooks\/catch\/k3y$/m);
    assert.match(c.out, /^query: +a=1&b=2$/m);
    assert.match(c.out, /^from: +203\.0\.113\.5$/m);
    assert.ok(c.out.includes('headers (4, as received):\n  Host: 127.0.0.1:8080\n  X-Sig: v1,abc\n  content-type: application/json\n  X-Sig: v1,def\n'), c.out);
    assert.ok(c.out.includes(`\nbody:\n${CAPTURE.body}\n`), c.out);
    assert.match(c.out, /switchyard flows sample 3 9; .*switchyard flows run-capture 3 9$/m);
    const b = await cli(['flows', 'capture', '3', '8'], { env });
    assert.match(b.out, /^headers \(0, as received\):$/m);
    assert.match(b.out, /\nbody \(binary: not UTF-8 text, so shown as base64; decode with: base64 -d\):\nAAEC\/w==\n/);
  });
});

test('flows runs and runs list send the filters; runs get shows each step', async () => {
  const runs = [RUN, { ...RUN, id: 11, status: 'succeeded', error: null, origin: 'replay', replayOf: 10 }];
  const q = `status=failed&since=${enc(T)}&until=${enc('2026-02-01T00:00:00Z')}&limit=2&beforeId=20`;
  await withApi({
    [`GET /api/v1/flows/3/runs?${q}`]: [200, { runs }],
    [`GET /api/v1/runs?flowId=3&${q}`]: [200, { runs }],
    'GET /api/v1/runs': [200, { runs: [] }],
    'GET /api/v1/runs/12': [200, { run: { ...RUN, steps: STEPS } }],
  }, async (api, env) => {
    const args = ['--status', 'failed', '--since', T, '--until', '2026-02-01', '--limit', '2', '--before-id', '20'];
    const f = await cli(['flows', 'runs', '3', ...args], { env });
    assert.equal(f.code, 0, f.err);
    const lines = f.out.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^ID\s+FLOW\s+CAPTURE\s+ORIGIN\s+STATUS\s+CREATED\s+DURATION\s+ERROR$/);
    assert.match(lines[1] ?? '', /^12\s+3\s+9\s+capture\s+failed\s+2026-01-31T12:00:01Z\s+3s\s+step notify failed: HTTP 500$/);
    assert.match(lines[2] ?? '', /^11\s+3\s+9\s+replay of 10\s+succeeded\s+2026-01-31T12:00:01Z\s+3s\s+-$/);
    assert.match(f.out, /older ones: switchyard flows runs 3 --status failed .* --before-id 11\)$/m);
    const l = await cli(['runs', 'list', '--flow', '3', ...args], { env });
    assert.equal(l.code, 0, l.err);
    assert.equal(l.out.split('\n')[1], lines[1]);
    const none = await cli(['runs', 'list'], { env });
    assert.match(none.out, /^no runs yet/);
    assert.deepEqual(api.requests.map((r) => r.path).slice(0, 3), [`/api/v1/flows/3/runs?${q}`, `/api/v1/runs?flowId=3&${q}`, '/api/v1/runs']);
    const badStatus = await cli(['runs', 'list', '--status', 'done'], { env });
    assert.equal(badStatus.code, 2);

    const g = await cli(['runs', 'get', '12'], { env });
    assert.equal(g.code, 0, g.err);
    assert.match(g.out, /^status: +failed$/m);
    assert.match(g.out, /^error: +step notify failed: HTTP 500$/m);
    assert.match(g.out, /^duration: +3s$/m);
    assert.match(g.out, /^STEP\s+TYPE\s+STATUS\s+ATTEMPTS\s+DURATION$/m);
    assert.match(g.out, /^verify\s+verify_signature\s+succeeded\s+1\s+4ms$/m);
    assert.match(g.out, /^notify\s+http_request\s+failed\s+3\s+3s$/m);
    assert.ok(g.out.includes('step verify (verify_signature): succeeded\n  input:  {"preset":"determined"}\n  output: {"result":"PASS","payload":{"a":1}}\n'), g.out);
    assert.ok(g.out.includes('step notify (http_request): failed\n  input:  {"url":"https://x.example/hook"}\n  output: null\n  error:  HTTP 500 Internal Server Error\n'), g.out);
    assert.match(g.out, /replay from the failed step: switchyard runs replay 12 --from-failed$/m);
  });
});

test('runs replay and its alias flows replay post {"fromStep"}', async () => {
  await withApi({ 'POST /api/v1/runs/12/replay': [200, { run: { ...RUN, id: 14, origin: 'replay', replayOf: 12, status: 'queued' } }] }, async (api, env) => {
    const a = await cli(['runs', 'replay', '12'], { env });
    assert.equal(a.out, 'replaying run 12 as run 14; follow it: switchyard runs get 14\n');
    const b = await cli(['flows', 'replay', '12', '--from-step', 'notify'], { env });
    assert.match(b.out, /^replaying run 12 as run 14 from step notify \(.*\); follow it: switchyard runs get 14\n$/);
    const c = await cli(['runs', 'replay', '12', '--from-failed'], { env });
    assert.match(c.out, /^replaying run 12 as run 14 from its failed step \(.*\); follow it: switchyard runs get 14\n$/);
    const d = await cli(['runs', 'replay', '12', '--from-failed', '--from-step', 'notify'], { env });
    assert.equal(d.code, 2);
    assert.match(d.err, /--from-step or --from-failed, not both/);
    assert.deepEqual(api.requests.map((q) => `${q.method} ${q.path} ${JSON.stringify(q.body)}`), [
      'POST /api/v1/runs/12/replay {}', 'POST /api/v1/runs/12/replay {"fromStep":"notify"}', 'POST /api/v1/runs/12/replay {"fromFailed":true}',
    ]);
  });
});

test('secrets set sends the value from --value, --from-env or stdin and never prints it; list and delete', async () => {
  const VALUE = 'hunter2-s3cr3t-VALUE';
  await withApi({
    'PUT /api/v1/secrets/SLACK_TOKEN': [200, {}],
    'GET /api/v1/secrets': [200, { secrets: [{ name: 'SLACK_TOKEN', createdAt: '2026-01-31T12:00:00.000Z', updatedAt: '2026-02-01T08:00:00.000Z' }] }],
    'DELETE /api/v1/secrets/SLACK_TOKEN': [200, {}],
  }, async (api, env) => {
    const runs = [
      await cli(['secrets', 'set', 'SLACK_TOKEN', '--value', VALUE], { env }),
      await cli(['secrets', 'set', 'SLACK_TOKEN', '--from-env', 'MY_TOKEN'], { env: { ...env, MY_TOKEN: VALUE } }),
      await cli(['secrets', 'set', 'SLACK_TOKEN'], { env, stdin: `${VALUE}\n` }),
      await cli(['secrets', 'set', 'SLACK_TOKEN', '--json'], { env, stdin: VALUE }),
    ];
    for (const r of runs) {
      assert.equal(r.code, 0, r.err);
      assert.ok(!r.out.includes(VALUE) && !r.err.includes(VALUE), `${r.out}${r.err}`);
    }
    assert.equal(runs[0]?.out, 'set secret SLACK_TOKEN; use it in a step\'s config as {"secret": "SLACK_TOKEN"}\n');
    assert.deepEqual(api.requests.map((q) => `${q.method} ${q.path}`), Array(4).fill('PUT /api/v1/secrets/SLACK_TOKEN'));
    assert.deepEqual(api.requests.map((q) => q.body), Array(4).fill({ value: VALUE }));

    const l = await cli(['secrets', 'list'], { env });
    assert.equal(l.code, 0, l.err);
    assert.match(l.out, /^NAME\s+CREATED\s+UPDATED\nSLACK_TOKEN\s+2026-01-31T12:00:00Z\s+2026-02-01T08:00:00Z\n$/);
    const d = await cli(['secrets', 'delete', 'SLACK_TOKEN'], { env });
    assert.match(d.out, /^deleted secret SLACK_TOKEN/);

    // Usage errors (exit 2), none of which reaches the server or prints the value.
    const n = api.requests.length;
    for (const [args, o] of [
      [['secrets', 'set', 'SLACK_TOKEN', '--value', VALUE, '--from-env', 'MY_TOKEN'], { env: { ...env, MY_TOKEN: VALUE } }],
      [['secrets', 'set', '1bad', '--value', VALUE], { env }],
      [['secrets', 'set', 'SLACK_TOKEN', '--from-env', 'UNSET_VAR'], { env }],
      [['secrets', 'set', 'SLACK_TOKEN'], { env, stdin: '\n' }],
    ] as [string[], { env: Record<string, string>; stdin?: string }][]) {
      const r = await cli(args, o);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
      assert.ok(!r.out.includes(VALUE) && !r.err.includes(VALUE), `${r.out}${r.err}`);
    }
    assert.equal(api.requests.length, n);
  });
});
