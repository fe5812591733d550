import { test } from 'node:test';
import assert from 'node:assert/strict';
import { captureView, flowContext } from './capture-view.js';
import { missingPaths, parsePath, placeholders, render, renderValue, resolvePath, singlePlaceholder } from './template.js';

const capture = captureView({
  method: 'post',
  url: '/hooks/catch/abc?x=1&x=2&y=',
  headers: [['X-Determined-AI-Signature', 'abc123'], ['X-Determined-AI-Signature-Timestamp', '1665689991'], ['Accept', 'a'], ['accept', 'b']],
  body: '{"event_id":"e1","items":[{"name":"first","n":1},{"name":"second","n":2}],"nested":{"deep":[[10,20],[30]]},"zero":0,"no":false,"nil":null}',
});
const ctx = flowContext(capture, {
  verify: { result: 'PASS', payload: { items: [{ name: 'a' }, { name: 'b' }], count: 2 }, keyIndex: 0 },
  http: { status: 200, headers: { 'Content-Type': 'application/json' } },
});

test('parsePath: dots only, bracket indexes, dashes kept', () => {
  assert.deepEqual(parsePath('capture.headers.x-determined-ai-signature'), ['capture', 'headers', 'x-determined-ai-signature']);
  assert.deepEqual(parsePath(' steps.verify.payload.items[0].name '), ['steps', 'verify', 'payload', 'items', '0', 'name']);
  assert.deepEqual(parsePath('m[1][0]'), ['m', '1', '0']);
  assert.deepEqual(parsePath('a..b'), ['a', 'b']);
  assert.deepEqual(parsePath(''), []);
});

test('resolvePath: objects, arrays (both index styles), negative index, length', () => {
  assert.equal(resolvePath(ctx, 'steps.verify.payload.items.0.name'), 'a');
  assert.equal(resolvePath(ctx, 'steps.verify.payload.items[1].name'), 'b');
  assert.equal(resolvePath(ctx, 'steps.verify.payload.items.-1.name'), 'b');
  assert.equal(resolvePath(ctx, 'steps.verify.payload.items.length'), 2);
  assert.equal(resolvePath(ctx, 'capture.json.nested.deep[0][1]'), 20);
  assert.equal(resolvePath(ctx, 'capture.json.nested.deep.1.0'), 30);
  assert.equal(resolvePath(ctx, 'capture.json.zero'), 0);
  assert.equal(resolvePath(ctx, 'capture.json.no'), false);
  assert.equal(resolvePath(ctx, 'capture.json.nil'), null);
  assert.equal(resolvePath(ctx, 'capture.queryParams.x'), '1');
  assert.equal(resolvePath(ctx, 'capture.method'), 'POST');
  assert.equal(resolvePath(ctx, 'flow.name'), 'flow');
});

test('resolvePath: header names with dashes, case-insensitive under headers only', () => {
  assert.equal(resolvePath(ctx, 'capture.headers.x-determined-ai-signature'), 'abc123');
  assert.equal(resolvePath(ctx, 'capture.headers.X-Determined-AI-Signature'), 'abc123');
  assert.equal(resolvePath(ctx, 'capture.headers.X-DETERMINED-AI-SIGNATURE-TIMESTAMP'), '1665689991');
  assert.equal(resolvePath(ctx, 'capture.headers.accept'), 'a, b');
  assert.equal(resolvePath(ctx, 'steps.http.headers.content-type'), 'application/json');
  assert.equal(resolvePath(ctx, 'capture.json.EVENT_ID'), undefined, 'JSON keys stay case-sensitive');
});

test('resolvePath: missing, out of range, non-containers, prototype keys', () => {
  for (const p of ['steps.nope', 'steps.verify.payload.items.5', 'steps.verify.payload.items.x', 'capture.json.zero.a',
    'capture.json.nil.a', 'capture.__proto__', 'capture.constructor', 'steps.toString', 'capture.headers.nope', '', '  ']) {
    assert.equal(resolvePath(ctx, p), undefined, p);
  }
  assert.equal(resolvePath(ctx, 'capture.method.length'), 4);
});

test('render: whitespace, types, missing as empty', () => {
  assert.equal(render('Experiment {{ steps.verify.payload.items.0.name }} ({{steps.verify.payload.count}})', ctx), 'Experiment a (2)');
  assert.equal(render('{{capture.json.items[0]}}', ctx), '{"name":"first","n":1}');
  assert.equal(render('{{steps.verify.payload.items}}', ctx), '[{"name":"a"},{"name":"b"}]');
  assert.equal(render('[{{nope.x}}]', ctx), '[]');
  assert.equal(render('{{capture.json.nil}}|{{capture.json.no}}|{{capture.json.zero}}', ctx), '|false|0');
  assert.equal(render('no placeholders { here }', ctx), 'no placeholders { here }');
  assert.equal(render('{{capture.headers.x-determined-ai-signature}}', ctx), 'abc123');
  assert.equal(render('{{}}', ctx), '');
});

test('renderValue: raw pass-through for a single placeholder, deep strings rendered, keys kept', () => {
  const cfg = {
    count: '{{ steps.verify.payload.count }}',
    items: '{{steps.verify.payload.items}}',
    subject: 'Run {{run.id}}: {{steps.verify.result}}',
    list: ['{{capture.json.zero}}', 'x{{capture.json.zero}}', 7, null, true],
    nested: { '{{key}}': '{{capture.json.no}}' },
    missing: '{{nope}}',
    padded: ' {{steps.verify.payload.count}}',
  };
  const out = renderValue(cfg, ctx) as Record<string, unknown>;
  assert.equal(out.count, 2);
  assert.deepEqual(out.items, [{ name: 'a' }, { name: 'b' }]);
  assert.equal(out.subject, 'Run 1: PASS');
  assert.deepEqual(out.list, [0, 'x0', 7, null, true]);
  assert.deepEqual(out.nested, { '{{key}}': false });
  assert.equal(out.missing, undefined);
  assert.equal(out.padded, ' 2');
  assert.equal(cfg.count, '{{ steps.verify.payload.count }}', 'input not mutated');
});

test('placeholders, singlePlaceholder, missingPaths', () => {
  assert.deepEqual(placeholders('{{a}} and {{ b.c }} and {{a}}'), ['a', 'b.c', 'a']);
  assert.equal(singlePlaceholder('{{ a.b }}'), 'a.b');
  assert.equal(singlePlaceholder('{{a}}{{b}}'), null);
  assert.deepEqual(missingPaths('{{steps.verify.result}} {{steps.email.id}} {{nope}} {{nope}}', ctx), ['steps.email.id', 'nope']);
  assert.deepEqual(missingPaths({ a: ['{{x.y}}', { b: '{{capture.json.nil}}' }], c: 3 }, ctx), ['x.y'], 'null is present');
  assert.deepEqual(missingPaths('plain', ctx), []);
});
