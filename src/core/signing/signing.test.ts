import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Webhook } from 'standardwebhooks';
import { DETERMINED_SIGNATURE_HEADER, DETERMINED_TIMESTAMP_HEADER, signDetermined, verifyDetermined } from './determined.js';
import { generateStandardSecret, parseStandardSecret, signStandard, standardHeaders, verifyStandard } from './standard.js';
import { goJson } from '../gojson.js';
import { loadVectors } from '../../../test/helpers/vectors.js';
import type { StandardVector } from '../../../test/helpers/vectors.js';

const vectors = loadVectors();
const sw = (name: string): StandardVector => {
  const v = vectors.standard_webhooks.find((x) => x.source.includes(name));
  assert.ok(v, name);
  return v;
};
const hdrs = (id: string, t: number | string, sig: string) => ({ 'webhook-id': id, 'webhook-timestamp': String(t), 'webhook-signature': sig });

test('Determined: header names', () => {
  assert.equal(DETERMINED_TIMESTAMP_HEADER, 'X-Determined-AI-Signature-Timestamp');
  assert.equal(DETERMINED_SIGNATURE_HEADER, 'X-Determined-AI-Signature');
});

test('Determined: all signature vectors sign and verify', () => {
  assert.equal(vectors.determined.length, 3);
  for (const v of vectors.determined) {
    assert.equal(signDetermined(v.key, v.timestamp, v.body), v.signature, v.source);
    assert.equal(signDetermined(v.key, v.timestamp, Buffer.from(v.body, 'utf8')), v.signature, 'bytes = string');
    assert.equal(verifyDetermined(v.key, String(v.timestamp), v.signature, v.body), true);
    assert.equal(verifyDetermined(v.key, String(v.timestamp), v.signature.toUpperCase(), v.body), true);
  }
});

test('Determined: verify rejects tampering, wrong keys and garbage', () => {
  const v = vectors.determined[0]!;
  const t = String(v.timestamp);
  assert.equal(verifyDetermined(v.key, t, v.signature, v.body + ' '), false);
  assert.equal(verifyDetermined(v.key + 'x', t, v.signature, v.body), false);
  assert.equal(verifyDetermined(v.key, String(v.timestamp + 1), v.signature, v.body), false);
  assert.equal(verifyDetermined(v.key, t, v.signature.slice(0, 63), v.body), false); // length mismatch
  assert.equal(verifyDetermined(v.key, t, v.signature + '00', v.body), false);
  assert.equal(verifyDetermined(v.key, t, 'z'.repeat(64), v.body), false);
  assert.equal(verifyDetermined(v.key, t, '', v.body), false);
  assert.equal(verifyDetermined(v.key, undefined, v.signature, v.body), false);
  assert.equal(verifyDetermined(v.key, t, undefined, v.body), false);
  assert.equal(verifyDetermined(v.key, '16668900.81', v.signature, v.body), false);
  assert.throws(() => signDetermined('k', 1.5, 'x'), /integer/);
});

test('Determined: Python hmac over the raw body agrees (non-ASCII, <>&, escaped and raw)', (t) => {
  const script = [
    'import sys, json, hmac, hashlib',
    "d = json.loads(sys.stdin.buffer.read().decode('utf-8'))",
    "print(hmac.new(d['key'].encode(), f\"{d['t']},{d['body']}\".encode(), hashlib.sha256).hexdigest())",
  ].join('\n');
  const bodies = [
    goJson({ name: 'a<b>&c "q" é 🎉\n\u2028', n: 1 }), // Go-escaped, with raw UTF-8
    '{"raw":"<>& ключ ✅"}', // raw <>& as another sender might send them
    vectors.determined[2]!.body,
  ];
  for (const body of bodies) {
    const key = 's3cr3t-ключ';
    const ts = 1700000123;
    const py = spawnSync('python3', ['-c', script], { input: JSON.stringify({ key, t: ts, body }), encoding: 'utf8' });
    assert.ok(!py.error, `python3 is needed for this test (.ci/run installs it): ${String(py.error)}`);
    assert.equal(py.status, 0, py.stderr);
    assert.equal(py.stdout.trim(), signDetermined(key, ts, body));
  }
});

test('Standard Webhooks vector A: signs and verifies (ours and the npm reference)', (t) => {
  const v = sw('vector A');
  const ts = v.timestamp!;
  assert.equal(signStandard(v.secret, v.msg_id, ts, v.body), v.signature);
  assert.deepEqual(verifyStandard([v.secret], hdrs(v.msg_id, ts, v.signature), v.body, ts), { ok: true });
  t.mock.method(Date, 'now', () => ts * 1000);
  assert.deepEqual(new Webhook(v.secret).verify(v.body, hdrs(v.msg_id, ts, v.signature)), JSON.parse(v.body));
});

test('Standard Webhooks vector B: v1a ed25519 verified with the whpk_ public key', () => {
  const v = sw('vector B');
  const ts = v.timestamp!;
  const h = hdrs(v.msg_id, ts, v.signature);
  assert.deepEqual(verifyStandard([v.public_key!], h, v.body, ts), { ok: true });
  assert.deepEqual(verifyStandard([v.secret], h, v.body, ts), { ok: true }); // whsk_ derives the public key
  assert.equal(signStandard(v.secret, v.msg_id, ts, v.body), v.signature); // ed25519 is deterministic
  assert.equal(verifyStandard([v.public_key!], h, v.body + ' ', ts).ok, false);
  assert.equal(verifyStandard([sw('vector A').secret], h, v.body, ts).ok, false); // an HMAC key cannot check v1a
});

test('Standard Webhooks must_fail vector does not verify (ours and the npm reference)', (t) => {
  const v = vectors.standard_webhooks.find((x) => x.must_fail);
  assert.ok(v);
  for (const ts of [v.timestamp ?? 1614265330, 0, 1700000000, Math.floor(Date.now() / 1000)]) {
    const r = verifyStandard([v.secret], hdrs(v.msg_id, ts, v.signature), v.body, ts);
    assert.deepEqual(r, { ok: false, reason: 'no matching signature' });
    t.mock.method(Date, 'now', () => ts * 1000);
    assert.throws(() => new Webhook(v.secret).verify(v.body, hdrs(v.msg_id, ts, v.signature)), /No matching signature/);
    t.mock.restoreAll();
  }
});

test('Standard Webhooks: our signature passes the npm reference verifier, and theirs passes ours', () => {
  const secret = generateStandardSecret();
  assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
  assert.equal(parseStandardSecret(secret).length, 32);
  const body = goJson({ event: 'é 🎉 <x> & y', n: 1 });
  const now = Math.floor(Date.now() / 1000);
  const ours = standardHeaders([secret], 'msg_ours', now, body);
  assert.deepEqual(new Webhook(secret).verify(body, ours), JSON.parse(body));
  const theirs = new Webhook(secret).sign('msg_theirs', new Date(now * 1000), body);
  assert.deepEqual(verifyStandard([secret], hdrs('msg_theirs', now, theirs), body, now), { ok: true });
  assert.equal(theirs, signStandard(secret, 'msg_theirs', now, Buffer.from(body)));
});

test('Standard Webhooks: rotation headers carry one token per secret; either secret verifies', () => {
  const [a, b, c] = [generateStandardSecret(), generateStandardSecret(), generateStandardSecret()];
  const h = standardHeaders([a, b], 'msg_rot', 1000, 'x');
  assert.equal(h['webhook-signature'].split(' ').length, 2);
  assert.deepEqual(verifyStandard([b], h, 'x', 1000), { ok: true });
  assert.deepEqual(verifyStandard([a], h, 'x', 1000), { ok: true });
  assert.equal(verifyStandard([c], h, 'x', 1000).ok, false);
  assert.throws(() => standardHeaders([], 'm', 1, 'x'), /at least one/);
});

test('Standard Webhooks: negative cases of the reference suite', () => {
  const v = sw('vector A');
  const ts = v.timestamp!;
  const ok = hdrs(v.msg_id, ts, v.signature);
  const fail = (r: ReturnType<typeof verifyStandard>, re: RegExp) => {
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.reason, re);
  };
  // empty key or bare whsec_ → error (also from our parser and the npm library)
  fail(verifyStandard([''], ok, v.body, ts), /invalid secret.*empty/);
  fail(verifyStandard(['whsec_'], ok, v.body, ts), /invalid secret.*empty/);
  fail(verifyStandard(['whsec_not*base64'], ok, v.body, ts), /invalid secret/);
  fail(verifyStandard([], ok, v.body, ts), /no secret/);
  assert.throws(() => parseStandardSecret('whsec_'), /empty/);
  assert.throws(() => new Webhook('whsec_'), /empty/);
  // missing headers
  for (const k of ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const) {
    fail(verifyStandard([v.secret], { ...ok, [k]: undefined }, v.body, ts), new RegExp(`missing header ${k}`));
  }
  // header names are case-insensitive; svix-* aliases accepted
  const upper = { 'Webhook-Id': v.msg_id, 'WEBHOOK-TIMESTAMP': String(ts), 'Webhook-Signature': v.signature };
  assert.deepEqual(verifyStandard([v.secret], upper, v.body, ts), { ok: true });
  const svix = { 'svix-id': v.msg_id, 'svix-timestamp': String(ts), 'svix-signature': v.signature };
  assert.deepEqual(verifyStandard([v.secret], svix, v.body, ts), { ok: true });
  // non-integer timestamp
  for (const bad of ['abc', '1614265330.5', '-1', ' 1614265330', '']) {
    fail(verifyStandard([v.secret], { ...ok, 'webhook-timestamp': bad }, v.body, ts), /webhook-timestamp/);
  }
  // garbage or truncated signatures
  for (const sig of ['v1,', v.signature.slice(0, 8), 'v1,garbage', 'v1', 'nonsense', `v1,${v.signature.slice(3, -2)}`]) {
    fail(verifyStandard([v.secret], { ...ok, 'webhook-signature': sig }, v.body, ts), /signature/);
  }
  // tolerance: ±300 s pass, ±301 s fail, both directions
  assert.deepEqual(verifyStandard([v.secret], ok, v.body, ts + 300), { ok: true });
  assert.deepEqual(verifyStandard([v.secret], ok, v.body, ts - 300), { ok: true });
  fail(verifyStandard([v.secret], ok, v.body, ts + 301), /too old/);
  fail(verifyStandard([v.secret], ok, v.body, ts - 301), /too new/);
  fail(verifyStandard([v.secret], ok, v.body, ts + 11, 10), /too old/);
  // one valid token among unknown versions and wrong v1 tokens passes
  const wrong = 'v1,' + Buffer.alloc(32, 1).toString('base64');
  const list = `v2,${v.signature.slice(3)} ${wrong} ${v.signature} v1a,${'A'.repeat(86)}==`;
  assert.deepEqual(verifyStandard([v.secret], { ...ok, 'webhook-signature': list }, v.body, ts), { ok: true });
  fail(verifyStandard([v.secret], { ...ok, 'webhook-signature': `v2,${v.signature.slice(3)}` }, v.body, ts), /no v1 or v1a/);
  // key with or without whsec_ both work
  const bare = v.secret.slice('whsec_'.length);
  assert.deepEqual(verifyStandard([bare], ok, v.body, ts), { ok: true });
  assert.equal(signStandard(bare, v.msg_id, ts, v.body), v.signature);
  assert.deepEqual(parseStandardSecret(bare), parseStandardSecret(v.secret));
});
