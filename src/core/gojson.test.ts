import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goJson, goJsonString } from './gojson.js';
import { loadVectors } from '../../test/helpers/vectors.js';

/** Independent reference: Go's rules applied per code point (slow, obviously correct). */
function refString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    const short: Record<number, string> = { 8: '\\b', 9: '\\t', 10: '\\n', 12: '\\f', 13: '\\r', 34: '\\"', 92: '\\\\' };
    if (short[cp] !== undefined) out += short[cp];
    else if (cp < 0x20 || cp === 0x3c || cp === 0x3e || cp === 0x26 || cp === 0x2028 || cp === 0x2029) {
      out += '\\u' + cp.toString(16).padStart(4, '0');
    } else if (cp >= 0xd800 && cp <= 0xdfff) out += '\\ufffd'; // for..of yields lone surrogates alone
    else out += ch;
  }
  return out + '"';
}

test('goJson: strings without special characters match JSON.stringify (fast path)', () => {
  for (const s of ['', 'abc', 'é 🎉 日本語', 'tab-less text', '\u007f DEL stays raw', "it's"]) {
    assert.equal(goJson(s), JSON.stringify(s));
  }
});

test('goJson: Go 1.22 escapes for control characters, quotes and backslash', () => {
  assert.equal(goJson('"\\'), '"\\"\\\\"');
  assert.equal(goJson('\n\r\t\b\f'), '"\\n\\r\\t\\b\\f"');
  assert.equal(goJson('\u0000\u0001\u001b\u001f'), '"\\u0000\\u0001\\u001b\\u001f"'); // lowercase hex
  for (let c = 0; c < 0x20; c++) assert.equal(goJsonString(String.fromCharCode(c)), refString(String.fromCharCode(c)));
});

test('goJson: HTML-safe escapes and U+2028/U+2029', () => {
  assert.equal(goJson('<a href="x">&</a>'), '"\\u003ca href=\\"x\\"\\u003e\\u0026\\u003c/a\\u003e"');
  assert.equal(goJson('a\u2028b\u2029c'), '"a\\u2028b\\u2029c"');
});

test('goJson: lone surrogates become the text \\ufffd, valid pairs stay raw', () => {
  assert.equal(goJson('\ud800'), '"\\ufffd"');
  assert.equal(goJson('x\udc00y'), '"x\\ufffdy"');
  assert.equal(goJson('\udc00\ud800'), '"\\ufffd\\ufffd"'); // reversed pair
  assert.equal(goJson('end\ud83c'), '"end\\ufffd"');
  assert.equal(goJson('🎉<'), '"🎉\\u003c"');
  assert.equal(goJson('\ud83c\ud83c\udf89'), '"\\ufffd🎉"');
});

test('goJson: random strings agree with the per-code-point reference', () => {
  const alphabet = ['a', 'é', '<', '>', '&', '"', '\\', '\n', '\u0001', '\u2028', '\u2029', '\ud83c', '\udf89', '🎉', '\u007f', ' '];
  let seed = 42;
  const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
  for (let i = 0; i < 2000; i++) {
    let s = '';
    const len = rnd(12);
    for (let j = 0; j < len; j++) s += alphabet[rnd(alphabet.length)];
    assert.equal(goJsonString(s), refString(s), JSON.stringify(s));
  }
});

test('goJson: the render vector name is escaped as in its expected body', () => {
  for (const v of loadVectors().render) {
    const encoded = goJson(v.input.experiment.name);
    assert.ok(v.expected_body.includes(`"name":${encoded},`), encoded);
  }
});

test('goJson: numbers', () => {
  assert.equal(goJson(0), '0');
  assert.equal(goJson(-0), '0');
  assert.equal(goJson(1665689991), '1665689991');
  assert.equal(goJson(-7), '-7');
  assert.equal(goJson(0.5), '0.5');
  assert.equal(goJson(1e-7), '1e-7'); // Go: 'e' format below 1e-6, exponent without padding
  assert.equal(goJson(0.000001), '0.000001');
  assert.equal(goJson(1e21), '1e+21');
  assert.equal(goJson(123456789012345680000), '123456789012345680000');
  assert.equal(goJson(10n ** 18n), '1000000000000000000');
  for (const bad of [NaN, Infinity, -Infinity]) assert.throws(() => goJson(bad), /unsupported number/);
});

test('goJson: objects keep insertion order, skip undefined, compact output', () => {
  const v = { z: 1, a: 'x', skip: undefined, nested: { b: true, a: null, c: [] }, list: [1, 'two', false, {}], e: {} };
  assert.equal(goJson(v), '{"z":1,"a":"x","nested":{"b":true,"a":null,"c":[]},"list":[1,"two",false,{}],"e":{}}');
  assert.equal(goJson(Object.create(null) as object), '{}');
  assert.equal(goJson({ '<k>': 1 }), '{"\\u003ck\\u003e":1}'); // keys are escaped too
  assert.equal(goJson(null), 'null');
  assert.equal(goJson([]), '[]');
});

test('goJson: unsupported values throw', () => {
  assert.throws(() => goJson(undefined), /unsupported/);
  assert.throws(() => goJson([1, undefined]), /undefined array element/);
  assert.throws(() => goJson(() => 1), /unsupported/);
  assert.throws(() => goJson(Symbol('s')), /unsupported/);
  assert.throws(() => goJson(new Map()), /unsupported object/);
  assert.throws(() => goJson(new Date(0)), /unsupported object/);
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.throws(() => goJson(cyclic), /too deep/);
});
