import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { pyFloatRepr, pyJsonDumps, pyJsonLoads, pyStr, pyStrRepr } from './pyjson.js';
import { loadVectors } from '../../../test/helpers/vectors.js';

const vectors = loadVectors();
const stateChange = vectors.determined.find((v) => v.source.startsWith('Default state-change'))!;
const goEscaped = vectors.determined.find((v) => v.source.startsWith('Go-escaped'))!;
const hasPython = spawnSync('python3', ['-c', 'pass']).status === 0;

/** For each body: str(o), json.dumps(o), json.dumps(o, separators=(",", ":")) with o = json.loads(body), by CPython
 * (one process for all bodies; results come back as ASCII JSON so lone surrogates survive). */
function python(bodies: string[]): [string, string, string][] {
  const code = 'import sys, json\nout = []\nfor b in json.loads(sys.stdin.read()):\n' +
    '    o = json.loads(b)\n    out.append([str(o), json.dumps(o), json.dumps(o, separators=(",", ":"))])\n' +
    'sys.stdout.write(json.dumps(out))';
  const r = spawnSync('python3', ['-c', code], { input: JSON.stringify(bodies) });
  assert.equal(r.status, 0, r.stderr.toString());
  return JSON.parse(r.stdout.toString('utf8')) as [string, string, string][];
}

const crossBodies = [
  stateChange.body,
  goEscaped.body, // <>& escapes, quotes, é, emoji, newline, U+2028
  '{"ok":true,"missing":null,"off":false,"it\'s":"it\'s","both":"\'\\"","ctl":"\\u0000\\u001f\\u007f\\u0080\\u00a0\\u00ad\\t\\r\\\\","n":[1.0,-0.0,1e16,1.5e-5,0.0001,123456789012345678901234567890,1E400,-3],"nested":{"empty":{},"list":[],"s":"\\ud83c\\udf89\\u0301"}}',
  '{"b":1,"1":2,"b":3,"a":{"z":1,"y":[null,true]}}',
  '"top-level string é"',
  '[1, 2.50, "x"]',
];

test('pyStr / pyJsonDumps agree with CPython byte for byte (python3 is required: .ci/run installs it)', () => {
  assert.ok(hasPython, 'python3 is needed for this test');
  const results = python(crossBodies);
  crossBodies.forEach((body, i) => {
    const [str, dumps, compact] = results[i]!;
    assert.equal(pyStr(body), str, `str(): ${body}`);
    assert.equal(pyJsonDumps(body), dumps, `json.dumps: ${body}`);
    assert.equal(pyJsonDumps(body, true), compact, `compact json.dumps: ${body}`);
  });
});

test('the dict repr of the state-change vector (the seed bug)', () => {
  assert.equal(pyStr(stateChange.body),
    "{'event_id': '4cd26e62-60c6-4a8b-8d03-7629091a4ef5', 'event_type': 'EXPERIMENT_STATE_CHANGE', 'timestamp': 1665689991, " +
    "'condition': {'state': 'COMPLETED'}, 'event_data': {'experiment': {'id': 41, 'state': 'COMPLETED', 'name': " +
    "'cifar10_pytorch_const', 'duration': 41, 'resource_pool': 'default', 'slots_per_trial': 2, 'workspace': " +
    "'test workspace', 'project': 'test project'}}}");
  assert.equal(pyStr('{"a":true,"b":null,"c":[false]}'), "{'a': True, 'b': None, 'c': [False]}");
});

test('string repr quoting and escapes', () => {
  assert.equal(pyStrRepr('plain'), "'plain'");
  assert.equal(pyStrRepr("it's"), '"it\'s"');
  assert.equal(pyStrRepr('it\'s "x"'), "'it\\'s \"x\"'");
  assert.equal(pyStrRepr('a\nb\tc\\'), "'a\\nb\\tc\\\\'");
  assert.equal(pyStrRepr('\u0001\u007f\u00a0é\u2028🎉'), "'\\x01\\x7f\\xa0é\\u2028🎉'");
});

test('float repr follows Python', () => {
  const cases: [number, string][] = [
    [1, '1.0'], [-0, '-0.0'], [0.1, '0.1'], [1e16, '1e+16'], [1234567890123456, '1234567890123456.0'],
    [0.0001, '0.0001'], [0.00001, '1e-05'], [1.5e300, '1.5e+300'], [2.5e-7, '2.5e-07'], [Infinity, 'inf'], [123.456, '123.456'],
  ];
  for (const [x, s] of cases) assert.equal(pyFloatRepr(x), s, String(x));
});

test('loads keeps Python semantics: big ints, duplicate keys, NaN; rejects invalid JSON', () => {
  assert.deepEqual(pyJsonLoads('12345678901234567890'), { t: 'int', v: 12345678901234567890n });
  assert.equal(pyStr('{"k":1,"j":2,"k":3}'), "{'k': 3, 'j': 2}");
  assert.equal(pyStr('[NaN, -Infinity]'), '[nan, -inf]');
  for (const bad of ['', '{', '{"a":1,}', '01', '"\u0001"', '[1] x', "{'a':1}", '"\\x"']) {
    assert.throws(() => pyJsonLoads(bad), SyntaxError, bad);
  }
});
