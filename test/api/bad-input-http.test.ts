/**
 * Bad input, part 1: the HTTP and JSON layer of every route. Malformed JSON (truncated, trailing garbage, NaN, single
 * quotes, BOM, huge nesting…), bodies that are not objects, empty bodies, unknown fields, oversized bodies (413),
 * invalid Content-Types, requests Node's HTTP parser rejects, bad and unknown path ids, unknown routes and methods.
 * Every answer must follow the error contract (see ./bad-input-helpers.ts), and nothing may be written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_TOKEN } from '../helpers/harness.js';
import {
  API, Checker, assertUnchanged, contractProblems, rawHttp, seed, snapshot, type BadRequest, type Seeded, type Snapshot,
} from './bad-input-helpers.js';

/** Bodies that are not JSON at all. */
const MALFORMED: [string, string][] = [
  ['truncated object', '{"name": "x"'],
  ['truncated string', '{"name": "x'],
  ['truncated after colon', '{"name":'],
  ['lone open brace', '{'],
  ['trailing garbage', '{"name": "x"} trailing'],
  ['two documents', '{}{}'],
  ['trailing comma', '{"name": "x",}'],
  ['NaN', '{"n": NaN}'],
  ['Infinity', '{"n": Infinity}'],
  ['-Infinity', '{"n": -Infinity}'],
  ['leading zero', '{"n": 01}'],
  ['hex number', '{"n": 0x10}'],
  ['single quotes', "{'name': 'x'}"],
  ['unquoted key', '{name: "x"}'],
  ['byte order mark', '\uFEFF{"name": "x"}'],
  ['raw control character in a string', '{"name": "a\u0001b"}'],
  ['raw newline in a string', '{"name": "a\nb"}'],
  ['invalid escape', '{"name": "\\x41"}'],
  ['short unicode escape', '{"name": "\\u12"}'],
  ['block comment', '{"name": "x" /* c */}'],
  ['line comment', '// c\n{"name": "x"}'],
  ['undefined', 'undefined'],
  ['bare word', 'hello'],
  ['truncated literal', 'tru'],
  ['lone closing brace', '}'],
  ['missing colon', '{"name" "x"}'],
  ['missing value', '{"name": }'],
  ['unclosed array', '[1, 2'],
  ['NUL byte', '\u0000'],
  ['form-encoded', 'name=x&role=user'],
  ['XML', '<name>x</name>'],
  ['YAML', 'name: x\n'],
  ['huge nesting, unclosed', '['.repeat(100_000)],
  ['huge nesting, closed', '['.repeat(100_000) + ']'.repeat(100_000)],
  ['deep object nesting', '{"a":'.repeat(5000) + '1' + '}'.repeat(5000)],
  ['nested one level past the limit', '{"a":'.repeat(65) + '{}' + '}'.repeat(65)],
];

/** Valid JSON that is not an object. */
const NOT_OBJECTS: [string, string][] = [
  ['array', '[]'], ['array of object', '[{}]'], ['string', '"a string"'], ['empty string', '""'], ['number', '42'],
  ['negative number', '-1.5e300'], ['true', 'true'], ['false', 'false'],
];

interface BodyRoute { method: string; path: string; /** An empty or null body is a valid request here. */ emptyOk?: boolean; /** {} is valid. */ emptyObjectOk?: boolean }

function bodyRoutes(d: Seeded): BodyRoute[] {
  return [
    { method: 'POST', path: `${API}/webhooks` },
    { method: 'PATCH', path: `${API}/webhooks/${d.globalHook}` },
    { method: 'POST', path: `${API}/webhooks/custom` },
    { method: 'POST', path: `${API}/webhooks/${d.wsHook}/rotate-secret`, emptyOk: true, emptyObjectOk: true },
    { method: 'POST', path: `${API}/experiments` },
    { method: 'POST', path: `${API}/experiments/${d.activeExp}/state` },
    { method: 'POST', path: `${API}/task/logs` },
    { method: 'POST', path: `${API}/workspaces` },
    { method: 'POST', path: `${API}/tokens` },
  ];
}

test('bad input at the HTTP and JSON layer', async (t) => {
  const d = await seed();
  const { s } = d;
  let before: Snapshot | undefined;
  try {
    before = await snapshot(s);
    const sinkBefore = d.sink.requests.length;

    await t.test('malformed JSON is a 400 invalid_json on every route that reads a body, and on bodyless routes too', async () => {
      const c = new Checker(s);
      const routes = [
        ...bodyRoutes(d),
        // Routes without a body still parse one when sent: a malformed one must stop them before they act.
        { method: 'DELETE', path: `${API}/webhooks/${d.downHook}` },
        { method: 'POST', path: `${API}/webhooks/${d.globalHook}/test` },
        { method: 'DELETE', path: `${API}/tokens/${d.userTokenId}` },
      ];
      const reqs: BadRequest[] = [];
      for (const r of routes) {
        for (const [label, raw] of MALFORMED) {
          reqs.push({ label, method: r.method, path: r.path, raw, want: { status: 400, type: 'invalid_json', match: /not valid JSON|nested more than 64 levels deep/ } });
        }
      }
      await c.all(reqs);
      c.assertClean();
      assert.ok(c.sent >= 400, `sent ${c.sent}`);
    });

    await t.test('bodies that are not JSON objects, empty bodies, {} and unknown fields are 400s', async () => {
      const c = new Checker(s);
      const reqs: BadRequest[] = [];
      for (const r of bodyRoutes(d)) {
        for (const [label, raw] of NOT_OBJECTS) {
          reqs.push({ label, method: r.method, path: r.path, raw, want: { status: 400, type: 'invalid_argument', match: /must be a JSON object, got/ } });
        }
        if (!r.emptyOk) {
          for (const [label, raw] of [['empty body', ''], ['whitespace body', '  \n\t '], ['null', 'null']] as const) {
            reqs.push({ label, method: r.method, path: r.path, raw, want: { status: 400, type: 'invalid_argument' } });
          }
        }
        if (!r.emptyObjectOk) {
          reqs.push({ label: 'empty object', method: r.method, path: r.path, body: {}, want: { status: 400, type: ['invalid_argument', 'invalid_url'] } });
        }
        reqs.push({ label: 'unknown field', method: r.method, path: r.path, body: { bogusField: 1 }, want: { type: 'unknown_field', match: /unknown field "bogusField"; known fields: / } });
        reqs.push({ label: 'unknown field __proto__', method: r.method, path: r.path, raw: '{"__proto__": {"admin": true}}', want: { type: 'unknown_field' } });
        reqs.push({ label: 'unknown field constructor', method: r.method, path: r.path, raw: '{"constructor": 1}', want: { type: 'unknown_field' } });
      }
      await c.all(reqs);
      c.assertClean();
    });

    await t.test('bodies over 1 MiB are a 413 body_too_large', async () => {
      const c = new Checker(s);
      const huge = `{"name": "${'x'.repeat(1024 * 1024 + 10)}"}`;
      const reqs: BadRequest[] = bodyRoutes(d).map((r) => ({
        label: 'oversized', method: r.method, path: r.path, raw: huge, want: { status: 413, type: 'body_too_large', match: /larger than 1048576 bytes/ },
      }));
      reqs.push({ label: 'oversized array', method: 'POST', path: `${API}/task/logs`, raw: `[${'1,'.repeat(600_000)}1]`, want: { status: 413 } });
      await c.all(reqs, 3);
      c.assertClean();
    });

    await t.test('invalid Content-Type headers are 400s (whatever the body)', async () => {
      const c = new Checker(s);
      const reqs: BadRequest[] = [];
      for (const ct of ['', ';;;', '/', 'application/', '/json', 'a b/c', '"application/json"']) {
        reqs.push({
          label: `Content-Type ${JSON.stringify(ct)}`, method: 'POST', path: `${API}/workspaces`, raw: '{"name": "ct-workspace"}',
          headers: { 'content-type': ct }, want: { status: 400, type: 'invalid_argument', match: /Content-Type/ },
        });
      }
      await c.all(reqs);
      c.assertClean();
    });

    await t.test('requests the HTTP parser rejects get the same error body', async () => {
      const H = `Host: x\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\nConnection: close\r\n`;
      const body = '{"name": "raw-workspace"}';
      const cases: [string, string][] = [
        ['Content-Length longer than the body', `POST ${API}/workspaces HTTP/1.1\r\n${H}Content-Type: application/json\r\nContent-Length: 500\r\n\r\n${body}`],
        ['two different Content-Lengths', `POST ${API}/workspaces HTTP/1.1\r\n${H}Content-Length: 25\r\nContent-Length: 3\r\n\r\n${body}`],
        ['non-numeric Content-Length', `POST ${API}/workspaces HTTP/1.1\r\n${H}Content-Length: abc\r\n\r\n${body}`],
        ['Content-Length and chunked', `POST ${API}/workspaces HTTP/1.1\r\n${H}Content-Length: 25\r\nTransfer-Encoding: chunked\r\n\r\n19\r\n${body}\r\n0\r\n\r\n`],
        ['bad chunk size', `POST ${API}/workspaces HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nzz\r\n${body}\r\n0\r\n\r\n`],
        ['unknown method token', `GARBAGE ${API}/workspaces HTTP/1.1\r\n${H}\r\n`],
        ['header without a colon', `GET ${API}/workspaces HTTP/1.1\r\n${H}NoColonHere\r\n\r\n`],
        ['headers over 16 KiB', `GET ${API}/workspaces HTTP/1.1\r\n${H}X-Big: ${'a'.repeat(20_000)}\r\n\r\n`],
        ['not HTTP at all', 'hello there\r\n\r\n'],
      ];
      const problems: string[] = [];
      for (const [label, text] of cases) {
        const r = await rawHttp(s, text);
        for (const p of contractProblems(r.status, r.body, { status: 400, type: 'invalid_argument' })) problems.push(`${label}: ${p}`);
      }
      assert.deepEqual(problems, []);
    });

    await t.test('path ids that are not positive int32s are 400 invalid_id on every route with an id', async () => {
      const c = new Checker(s);
      const idRoutes: [string, (id: string) => string, unknown?][] = [
        ['GET', (id) => `/webhooks/${id}`],
        ['PATCH', (id) => `/webhooks/${id}`, { name: 'renamed-by-bad-id' }],
        ['DELETE', (id) => `/webhooks/${id}`],
        ['POST', (id) => `/webhooks/${id}/test`],
        ['GET', (id) => `/webhooks/${id}/secret`],
        ['POST', (id) => `/webhooks/${id}/rotate-secret`, {}],
        ['GET', (id) => `/experiments/${id}`],
        ['POST', (id) => `/experiments/${id}/state`, { state: 'COMPLETED' }],
        ['DELETE', (id) => `/tokens/${id}`],
        ['GET', (id) => `/deliveries/${id}`],
      ];
      const badIds = [
        'abc', '0', '-1', '1.5', '1e3', '0x10', '+1', '%201', '1%20', '2147483648', '99999999999', '00000000001', '%EF%BC%91',
        'null', 'undefined', '1;2', '1,2', '%00', 'NaN', '-0', '1'.repeat(150), '9'.repeat(10),
      ];
      const reqs: BadRequest[] = [];
      for (const [method, path, body] of idRoutes) {
        for (const id of badIds) {
          reqs.push({ label: `id ${id.slice(0, 20)}`, method, path: API + path(id), body, want: { status: 400, type: 'invalid_id', match: /id (must be a positive whole number|is too long)/ } });
        }
        reqs.push({ label: 'bad percent-encoding', method, path: API + path('%ZZ'), body, want: { status: 400, type: 'invalid_argument', match: /percent-encod/ } });
      }
      await c.all(reqs);
      c.assertClean();
    });

    await t.test('unknown ids are 404s of the right type', async () => {
      const c = new Checker(s);
      const reqs: BadRequest[] = [];
      for (const id of ['999999', '2147483647']) {
        reqs.push(
          { label: 'get webhook', method: 'GET', path: `${API}/webhooks/${id}`, want: { status: 404, type: 'webhook_not_found', match: new RegExp(`webhook ${id} not found`) } },
          { label: 'patch webhook', method: 'PATCH', path: `${API}/webhooks/${id}`, body: { url: 'https://example.com/x' }, want: { type: 'webhook_not_found' } },
          { label: 'delete webhook', method: 'DELETE', path: `${API}/webhooks/${id}`, want: { type: 'webhook_not_found' } },
          { label: 'test webhook', method: 'POST', path: `${API}/webhooks/${id}/test`, want: { type: 'webhook_not_found' } },
          { label: 'secret', method: 'GET', path: `${API}/webhooks/${id}/secret`, want: { type: 'webhook_not_found' } },
          { label: 'rotate', method: 'POST', path: `${API}/webhooks/${id}/rotate-secret`, want: { type: 'webhook_not_found' } },
          { label: 'get experiment', method: 'GET', path: `${API}/experiments/${id}`, want: { status: 404, type: 'experiment_not_found' } },
          { label: 'experiment state', method: 'POST', path: `${API}/experiments/${id}/state`, body: { state: 'COMPLETED' }, want: { type: 'experiment_not_found' } },
          { label: 'revoke token', method: 'DELETE', path: `${API}/tokens/${id}`, want: { status: 404, type: 'token_not_found' } },
          { label: 'get delivery', method: 'GET', path: `${API}/deliveries/${id}`, want: { status: 404, type: 'delivery_not_found' } },
        );
      }
      await c.all(reqs);
      c.assertClean();
    });

    await t.test('unknown routes are 404 not_found; known paths with another method are 405 method_not_allowed', async () => {
      const c = new Checker(s);
      const w = d.globalHook;
      const notFound: [string, string][] = [
        ['GET', '/api/v1'], ['GET', '/api/v1/'], ['GET', '/api/v1/nope'], ['GET', '/api/v2/webhooks'], ['GET', `/api/v1/webhooks/${w}/nope`],
        ['POST', `/api/v1/experiments/1/state/again`], ['GET', '/api/v1/webhook'], ['GET', '/API/V1/WEBHOOKS'], ['DELETE', '/api/v1/everything'],
      ];
      const wrongMethod: [string, string][] = [
        ['PUT', '/webhooks'], ['DELETE', '/webhooks'], ['PATCH', '/webhooks'], ['PUT', `/webhooks/${w}`], ['POST', `/webhooks/${w}`],
        ['GET', `/webhooks/${w}/test`], ['DELETE', `/webhooks/${w}/secret`], ['GET', `/webhooks/${w}/rotate-secret`],
        ['DELETE', '/experiments'], ['PATCH', `/experiments/${d.activeExp}`], ['DELETE', `/experiments/${d.activeExp}`],
        ['GET', `/experiments/${d.activeExp}/state`], ['GET', '/task/logs'], ['DELETE', '/workspaces'], ['PATCH', '/tokens'],
        ['GET', `/tokens/${d.userTokenId}`], ['POST', '/deliveries'], ['DELETE', `/deliveries/${d.deliveryId}`], ['POST', '/keys/signing'],
      ];
      await c.all([
        ...notFound.map(([method, path]): BadRequest => ({ label: 'no such route', method, path, want: { status: 404, type: 'not_found', match: /no route/ } })),
        ...wrongMethod.map(([method, path]): BadRequest => ({ label: 'wrong method', method, path: API + path, body: method === 'GET' ? undefined : {}, want: { status: 405, type: 'method_not_allowed', match: /is not allowed on .*; use / } })),
      ]);
      c.assertClean();
      const res = await fetch(`${s.url}${API}/webhooks/${w}`, { method: 'PUT', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      assert.equal(res.status, 405);
      assert.equal(res.headers.get('allow'), 'GET, HEAD, PATCH, DELETE');
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    });

    await t.test('messages say what to fix', async () => {
      const c = new Checker(s);
      await c.all([
        { label: 'truncated JSON names the position', method: 'POST', path: `${API}/workspaces`, raw: '{"name": "x"', want: { match: /not valid JSON: .*position \d+/ } },
        { label: 'BOM is named', method: 'POST', path: `${API}/workspaces`, raw: '\uFEFF{"name":"x"}', want: { match: /byte order mark/ } },
        { label: 'nesting limit is named', method: 'POST', path: `${API}/webhooks`, raw: '['.repeat(1000) + ']'.repeat(1000), want: { match: /nested more than 64 levels/ } },
        { label: 'empty body is named', method: 'POST', path: `${API}/webhooks`, raw: '', want: { match: /^webhook must be a JSON object, got an empty request body$/ } },
        { label: 'array is named', method: 'POST', path: `${API}/experiments`, body: [1], want: { match: /^experiment must be a JSON object, got an array$/ } },
        { label: 'unknown field lists the known ones', method: 'POST', path: `${API}/workspaces`, body: { nam: 'x' }, want: { match: /unknown field "nam"; known fields: name$/ } },
        { label: 'bad id quotes it', method: 'GET', path: `${API}/experiments/abc`, want: { match: /^experiment id must be a positive whole number, got "abc"$/ } },
        { label: '404 says how to list', method: 'GET', path: `${API}/webhooks/424242`, want: { match: /GET \/api\/v1\/webhooks/ } },
      ]);
      c.assertClean();
    });

    await t.test('nothing was written, no webhook was sent, and the server still answers', async () => {
      await assertUnchanged(s, before!);
      assert.equal(d.sink.requests.length, sinkBefore, 'a bad request made Switchyard send a webhook');
      const r = await s.api('POST', `${API}/workspaces`, { name: 'still-works' });
      assert.equal(r.status, 200, r.text);
    });
  } finally {
    await d.stop();
  }
});
