import { test } from 'node:test';
import assert from 'node:assert/strict';
import { captureView, flowContext } from './capture-view.js';
import { CONDITION_OPS, evaluate, evaluateRule, regexError, validateCondition } from './conditions.js';
import type { Rule } from './conditions.js';

const ctx = flowContext(
  captureView({ headers: { 'X-Kind': 'Experiment' }, body: '{"state":"COMPLETED","n":"41","tags":["a","b"],"obj":{"k":1},"empty":""}' }),
  { verify: { result: 'PASS', payload: { duration: 41, name: 'cifar10_pytorch_const' } } },
);
const yes = (r: Rule): void => assert.equal(evaluateRule(r, ctx).pass, true, JSON.stringify(r));
const no = (r: Rule): void => assert.equal(evaluateRule(r, ctx).pass, false, JSON.stringify(r));

test('explain line format', () => {
  const e = evaluate({ left: 'steps.verify.result', op: 'equals', right: 'PASS' }, ctx);
  assert.deepEqual(e, { pass: true, explain: ['steps.verify.result ("PASS") equals "PASS": yes'] });
  const m = evaluate({ left: 'steps.nope', op: 'exists' }, ctx);
  assert.deepEqual(m.explain, ['steps.nope (missing) exists: no']);
  const n = evaluateRule({ left: 'capture.json.state', op: 'gt', right: 3 }, ctx);
  assert.equal(n.line, 'capture.json.state ("COMPLETED") gt 3: no (value is not a number)');
  const long = evaluateRule({ left: 'capture.body', op: 'exists' }, ctx).line;
  assert.ok(long.includes('…') && long.length < 140, long);
});

test('equals / not_equals: loose between numbers and their text, deep for objects', () => {
  yes({ left: 'capture.json.n', op: 'equals', right: 41 });
  yes({ left: 'steps.verify.payload.duration', op: 'equals', right: '41' });
  yes({ left: 'capture.json.obj', op: 'equals', right: { k: 1 } });
  yes({ left: 'capture.json.tags', op: 'equals', right: ['a', 'b'] });
  no({ left: 'capture.json.tags', op: 'equals', right: ['b', 'a'] });
  no({ left: 'capture.json.state', op: 'equals', right: 'completed' });
  yes({ left: 'capture.json.state', op: 'equals', right: 'completed', ignoreCase: true });
  no({ left: 'steps.nope', op: 'equals', right: '' });
  yes({ left: 'steps.nope', op: 'not_equals', right: 'x' });
  yes({ left: 'capture.json.state', op: 'not_equals', right: 'ERROR' });
});

test('templates on both sides', () => {
  yes({ left: '{{capture.headers.x-kind}}/{{capture.json.state}}', op: 'equals', right: 'Experiment/COMPLETED' });
  yes({ left: '{{steps.verify.payload.duration}}', op: 'gte', right: '{{capture.json.n}}' });
  yes({ left: 'capture.headers.X-KIND', op: 'equals', right: '{{capture.headers.x-kind}}' });
});

test('contains on strings, arrays, objects; not_contains', () => {
  yes({ left: 'steps.verify.payload.name', op: 'contains', right: 'pytorch' });
  yes({ left: 'steps.verify.payload.name', op: 'contains', right: 'PYTORCH', ignoreCase: true });
  yes({ left: 'capture.json.tags', op: 'contains', right: 'b' });
  no({ left: 'capture.json.tags', op: 'contains', right: 'c' });
  yes({ left: 'capture.json.obj', op: 'contains', right: 'k' });
  yes({ left: 'capture.json.tags', op: 'not_contains', right: 'c' });
  yes({ left: 'steps.nope', op: 'not_contains', right: 'c' });
  no({ left: 'steps.nope', op: 'contains', right: '' });
});

test('exists / not_exists: null and empty string do not exist', () => {
  yes({ left: 'capture.json.state', op: 'exists' });
  no({ left: 'capture.json.empty', op: 'exists' });
  yes({ left: 'capture.json.empty', op: 'not_exists' });
  yes({ left: 'steps.nope', op: 'not_exists' });
  yes({ left: 'steps.verify.payload.duration', op: 'exists' });
});

test('matches uses RE2, unanchored, linear time on a ReDoS pattern', () => {
  yes({ left: 'steps.verify.payload.name', op: 'matches', right: '^cifar\\d+_' });
  no({ left: 'steps.verify.payload.name', op: 'matches', right: '^pytorch' });
  yes({ left: 'capture.json.state', op: 'matches', right: 'complete', ignoreCase: true });
  const evil = flowContext(captureView({ body: JSON.stringify({ s: `${'a'.repeat(30000)}!` }) }));
  const t0 = Date.now();
  assert.equal(evaluateRule({ left: 'capture.json.s', op: 'matches', right: '^(a+)+$' }, evil).pass, false);
  assert.ok(Date.now() - t0 < 2000, 'no catastrophic backtracking');
  const bad = evaluateRule({ left: 'capture.json.state', op: 'matches', right: '(?=x)' }, ctx);
  assert.equal(bad.pass, false);
  assert.match(bad.line, /no \(invalid RE2 regular expression/);
  assert.equal(regexError('a(b'), 'error parsing regexp: missing closing ): `a(b`');
  assert.equal(regexError('a+b'), null);
});

test('numeric operators coerce numeric strings; others fail', () => {
  yes({ left: 'capture.json.n', op: 'gt', right: 40 });
  yes({ left: 'capture.json.n', op: 'gte', right: '41' });
  yes({ left: 'capture.json.n', op: 'lt', right: '4.2e1' });
  yes({ left: 'capture.json.n', op: 'lte', right: 41 });
  no({ left: 'capture.json.n', op: 'lt', right: 41 });
  no({ left: 'capture.json.empty', op: 'lt', right: 1 });
  no({ left: 'capture.json.n', op: 'gt', right: 'abc' });
  no({ left: 'steps.nope', op: 'gt', right: 0 });
});

test('starts_with / ends_with', () => {
  yes({ left: 'steps.verify.payload.name', op: 'starts_with', right: 'cifar' });
  yes({ left: 'steps.verify.payload.name', op: 'ends_with', right: '_const' });
  yes({ left: 'steps.verify.payload.duration', op: 'starts_with', right: '4' });
  no({ left: 'steps.verify.payload.name', op: 'ends_with', right: 'CONST' });
  yes({ left: 'steps.verify.payload.name', op: 'ends_with', right: 'CONST', ignoreCase: true });
});

test('all / any evaluate every rule and explain each', () => {
  const all = evaluate({ all: [
    { left: 'steps.verify.result', op: 'equals', right: 'PASS' },
    { left: 'capture.json.state', op: 'equals', right: 'ERROR' },
  ] }, ctx);
  assert.equal(all.pass, false);
  assert.equal(all.explain.length, 2);
  assert.equal(all.explain[1], 'capture.json.state ("COMPLETED") equals "ERROR": no');
  const any = evaluate({ any: [
    { left: 'capture.json.state', op: 'equals', right: 'ERROR' },
    { left: 'steps.verify.result', op: 'equals', right: 'PASS' },
  ] }, ctx);
  assert.deepEqual(any.pass, true);
  assert.equal(any.explain.length, 2);
  assert.equal(evaluate({ all: [] }, ctx).pass, true);
  assert.equal(evaluate({ any: [] }, ctx).pass, false);
});

test('validateCondition: ops, right, regex, shapes', () => {
  assert.deepEqual(validateCondition({ left: 'a', op: 'equals', right: 1 }), []);
  assert.deepEqual(validateCondition({ any: [{ left: 'a', op: 'exists' }] }), []);
  assert.deepEqual(validateCondition({ left: 'a', op: 'is' }), [`op: must be one of ${CONDITION_OPS.join(', ')}`]);
  assert.deepEqual(validateCondition({ left: 'a', op: 'equals' }), ['right: is required for equals']);
  assert.deepEqual(validateCondition({ left: 'a', op: 'exists', right: 1 }), ['right: must be absent for exists']);
  assert.deepEqual(validateCondition({ left: 'a', op: 'gt', right: 'x' }), ['right: must be a number (or numeric text) for gt']);
  assert.deepEqual(validateCondition({ left: 'a', op: 'gt', right: '{{capture.json.n}}' }), []);
  const lookbehind = validateCondition({ left: 'a', op: 'matches', right: '(?<=a)b' });
  assert.equal(lookbehind.length, 1);
  assert.match(lookbehind[0]!, /^right: invalid RE2 regular expression: error parsing regexp: /);
  assert.deepEqual(validateCondition({ left: 'a', op: 'matches', right: '(a)\\1' }).length, 1, 'no backreferences in RE2');
  assert.deepEqual(validateCondition({ left: 'a', op: 'matches', right: 5 }), ['right: must be a regular expression (string) for matches']);
  assert.deepEqual(validateCondition({ all: [{ left: 'a', op: 'exists' }, { left: '', op: 'nope' }] }),
    ['all[1].left: must be a non-empty path or template', `all[1].op: must be one of ${CONDITION_OPS.join(', ')}`]);
  assert.deepEqual(validateCondition({ all: [] }), ['all: must hold at least one rule']);
  assert.ok(validateCondition({ all: [{ left: 'a', op: 'exists' }], any: [] }).some((p) => p.includes('Unrecognized key')));
});
