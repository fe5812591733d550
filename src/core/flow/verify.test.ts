import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { signDetermined } from '../signing/determined.js';
import { signStandard } from '../signing/standard.js';
import { captureView } from './capture-view.js';
import { pyJsonDumps, pyStr } from './pyjson.js';
import { FAIL_RESULT, explainComputedSignature, verifyConfigSchema, verifySignature } from './verify.js';
import type { VerifyConfig, VerifyFailureCode, VerifyOutput } from './verify.js';
import type { CaptureView } from './types.js';
import { loadVectors } from '../../../test/helpers/vectors.js';
import type { DeterminedVector } from '../../../test/helpers/vectors.js';

const vectors = loadVectors();
const stateChange = vectors.determined.find((v) => v.source.startsWith('Default state-change'))!;
const goEscaped = vectors.determined.find((v) => v.source.startsWith('Go-escaped'))!;
const DET: VerifyConfig = { preset: 'determined' };
const SW: VerifyConfig = { preset: 'standard-webhooks' };
const WRONG_KEY_REASON = 'no key reproduces this signature over the received body: either the signing key differs ' +
  '(check webhook_signing_key) or the body was changed in transit';

function detCapture(v: { timestamp: number | string; signature: string; body: string }, names = ['X-Determined-AI-Signature-Timestamp', 'X-Determined-AI-Signature']): CaptureView {
  return captureView({
    url: '/hooks/catch/abc',
    headers: [['Content-Type', 'application/json'], [names[0]!, String(v.timestamp)], [names[1]!, v.signature]],
    body: v.body,
  });
}
/** A Determined capture whose signature covers `signed` (not necessarily the body sent). */
function signedAs(v: DeterminedVector, signed: string, sent = v.body, key = v.key): CaptureView {
  return detCapture({ timestamp: v.timestamp, signature: signDetermined(key, v.timestamp, signed), body: sent });
}
function failure(out: VerifyOutput, code: VerifyFailureCode, what = ''): string {
  assert.equal(out.result, FAIL_RESULT, `${what} ${JSON.stringify(out)}`);
  assert.ok(out.result === FAIL_RESULT);
  assert.equal(out.code, code, out.reason);
  return out.reason;
}

test('every Determined vector passes with the determined preset, whatever the header case', () => {
  for (const v of vectors.determined) {
    for (const names of [undefined, ['x-determined-ai-signature-timestamp', 'x-determined-ai-signature'], ['X-Determined-Ai-Signature-Timestamp', 'X-Determined-Ai-Signature']]) {
      const out = verifySignature(DET, detCapture(v, names), [v.key], v.timestamp);
      assert.deepEqual(out, { result: 'PASS', payload: JSON.parse(v.body), keyIndex: 0, scheme: 'determined', timestamp: v.timestamp }, v.source);
    }
  }
});

test('rotation: the second key verifies and is reported; empty keys are skipped', () => {
  const out = verifySignature(DET, detCapture(stateChange), ['old-key', '', stateChange.key], stateChange.timestamp);
  assert.equal(out.result, 'PASS');
  assert.ok(out.result === 'PASS' && out.keyIndex === 2);
});

test('Standard Webhooks: vector A and the ed25519 vector pass, the must_fail vector fails', () => {
  for (const v of vectors.standard_webhooks) {
    const t = v.timestamp ?? 1614265330;
    const cap = captureView({ headers: { 'Webhook-Id': v.msg_id, 'Webhook-Timestamp': String(t), 'Webhook-Signature': v.signature }, body: v.body });
    const out = verifySignature(SW, cap, ['whsec_bm90IHRoZSBrZXk=', v.public_key ?? v.secret], t);
    if (v.must_fail) {
      assert.equal(failure(out, 'wrong_key'), WRONG_KEY_REASON, v.source);
    } else {
      assert.deepEqual(out, { result: 'PASS', payload: JSON.parse(v.body), keyIndex: 1, scheme: 'standard-webhooks', timestamp: t }, v.source);
    }
  }
});

test('Standard Webhooks: reference negative cases map to codes', () => {
  const a = vectors.standard_webhooks[0]!;
  const t = a.timestamp!;
  const cap = (h: Record<string, string>) => captureView({ headers: h, body: a.body });
  const full = { 'webhook-id': a.msg_id, 'webhook-timestamp': String(t), 'webhook-signature': a.signature };
  const bare = a.secret.slice('whsec_'.length);
  assert.equal(verifySignature(SW, cap(full), [bare], t).result, 'PASS', 'key without whsec_');
  assert.equal(verifySignature(SW, cap({ ...full, 'webhook-signature': `v2,abc v1,${'A'.repeat(43)}= ${a.signature}` }), [a.secret], t).result, 'PASS');
  assert.equal(verifySignature(SW, cap({ 'svix-id': a.msg_id, 'svix-timestamp': String(t), 'svix-signature': a.signature }), [a.secret], t).result, 'PASS');
  assert.match(failure(verifySignature(SW, cap({ ...full, 'webhook-id': undefined! }), [a.secret], t), 'missing_header'), /^missing header webhook-id:/);
  failure(verifySignature(SW, cap({ ...full, 'webhook-timestamp': '16142653.3' }), [a.secret], t), 'bad_timestamp');
  failure(verifySignature(SW, cap({ ...full, 'webhook-signature': 'v1,' }), [a.secret], t), 'malformed_signature');
  failure(verifySignature(SW, cap({ ...full, 'webhook-signature': a.signature.slice(0, 8) }), [a.secret], t), 'malformed_signature');
  failure(verifySignature(SW, cap(full), [a.secret], t + 301), 'timestamp_too_old');
  failure(verifySignature(SW, cap(full), [a.secret], t - 301), 'timestamp_in_future');
  assert.match(failure(verifySignature(SW, cap(full), ['whsec_'], t), 'no_keys'), /key #1: invalid secret/);
  assert.match(failure(verifySignature(SW, cap(full), ['whsec_', 'whsec_bm90IHRoZSBrZXk='], t), 'wrong_key'), /; key #1 is unusable \(invalid secret/);
  // The seed's mistake under Standard Webhooks too: the sender signed str(json.loads(body)).
  const repr = signStandard(a.secret, a.msg_id, t, pyStr(a.body));
  failure(verifySignature(SW, cap({ ...full, 'webhook-signature': repr }), [a.secret], t), 'python_dict_repr');
});

test('generic HMAC: GitHub-style sha256= hex', () => {
  const body = '{"action":"opened","number":1}';
  const sig = `sha256=${createHmac('sha256', 'gh-secret').update(body).digest('hex')}`;
  const cfg: VerifyConfig = { preset: 'hmac', algorithm: 'sha256', encoding: 'hex', signatureHeader: 'X-Hub-Signature-256', prefix: 'sha256=' };
  const cap = captureView({ headers: { 'X-Hub-Signature-256': sig }, body });
  assert.deepEqual(verifySignature(cfg, cap, ['gh-secret'], 0), { result: 'PASS', payload: JSON.parse(body), keyIndex: 0, scheme: 'hmac' });
  assert.equal(failure(verifySignature(cfg, cap, ['other'], 0), 'wrong_key'), WRONG_KEY_REASON);
  failure(verifySignature(cfg, captureView({ headers: { 'X-Hub-Signature-256': sig.slice(7) }, body }), ['gh-secret'], 0), 'malformed_signature');
  failure(verifySignature(cfg, captureView({ body }), ['gh-secret'], 0), 'missing_header');
});

test('generic HMAC: Stripe-like signed content with a timestamp, several tokens, tolerance', () => {
  const body = '{"id":"evt_1","type":"charge.succeeded"}';
  const t = 1_700_000_000;
  const mac = (key: string) => createHmac('sha256', key).update(`${t}.${body}`).digest('hex');
  const cfg: VerifyConfig = { preset: 'hmac', algorithm: 'sha256', encoding: 'hex', signatureHeader: 'Stripe-Signature', prefix: 'v1=',
    signedContent: '{timestamp}.{body}', timestampHeader: 'X-Stripe-Timestamp' };
  const cap = captureView({ headers: { 'Stripe-Signature': `t=${t},v1=${mac('old')},v1=${mac('whsec_new')}`, 'X-Stripe-Timestamp': String(t) }, body });
  const out = verifySignature(cfg, cap, ['whsec_new'], t + 10);
  assert.ok(out.result === 'PASS' && out.keyIndex === 0 && out.timestamp === t);
  assert.match(failure(verifySignature(cfg, cap, ['whsec_new'], t + 900), 'timestamp_too_old'), /900 s \(15 min\) old, beyond the 300 s tolerance.*the signature itself is valid \(key #1\)/);
  assert.equal(verifySignature({ ...cfg, toleranceSeconds: 0 }, cap, ['whsec_new'], t + 1e6).result, 'PASS');
  assert.deepEqual(verifyConfigSchema.safeParse({ ...cfg, timestampHeader: undefined }).error?.issues.map((i) => [i.path.join('.'), i.message]),
    [['timestampHeader', 'is required when signedContent uses {timestamp}']]);
});

test('generic HMAC: base64 sha1 over content built from capture paths; sha512', () => {
  const body = 'a=1&b=2';
  const url = '/hooks/catch/xyz?token=1';
  const content = `POST&/hooks/catch/xyz&${body}`;
  const cfg: VerifyConfig = { preset: 'hmac', algorithm: 'sha1', encoding: 'base64', signatureHeader: 'X-Sig',
    signedContent: '{{capture.method}}&{{capture.path}}&{body}' };
  const sig = createHmac('sha1', 'k1').update(content).digest('base64');
  const out = verifySignature(cfg, captureView({ url, headers: { 'x-sig': sig }, body }), ['k1'], 0);
  assert.deepEqual(out, { result: 'PASS', payload: body, keyIndex: 0, scheme: 'hmac' });
  const s512 = createHmac('sha512', 'k2').update(body).digest('hex');
  const c512: VerifyConfig = { preset: 'hmac', algorithm: 'sha512', encoding: 'hex', signatureHeader: 'X-Sig' };
  assert.equal(verifySignature(c512, captureView({ headers: { 'X-Sig': s512 }, body }), ['k2'], 0).result, 'PASS');
  failure(verifySignature(c512, captureView({ headers: { 'X-Sig': s512.slice(0, 64) }, body }), ['k2'], 0), 'malformed_signature');
});

test('Determined failure codes and their reasons', () => {
  const v = stateChange;
  const t = v.timestamp;
  assert.match(failure(verifySignature(DET, detCapture(v), [], t), 'no_keys'), /webhook_signing_key/);
  failure(verifySignature(DET, detCapture(v), [''], t), 'no_keys');
  const noTs = captureView({ headers: { 'X-Determined-AI-Signature': v.signature, 'Content-Type': 'application/json' }, body: v.body });
  assert.equal(failure(verifySignature(DET, noTs, [v.key], t), 'missing_header'),
    'missing header X-Determined-AI-Signature-Timestamp: the request is not signed by Determined (or a proxy dropped the header); ' +
    'headers received: x-determined-ai-signature, content-type');
  assert.match(failure(verifySignature(DET, captureView({ body: v.body }), [v.key], t), 'missing_header'),
    /^missing header X-Determined-AI-Signature-Timestamp and X-Determined-AI-Signature: .*headers received: none$/);
  assert.equal(failure(verifySignature(DET, detCapture({ ...v, timestamp: '1665689991.5' }), [v.key], t), 'bad_timestamp'),
    'X-Determined-AI-Signature-Timestamp is "1665689991.5", not an integer number of Unix seconds');
  assert.match(failure(verifySignature(DET, detCapture({ ...v, signature: 'zz' }), [v.key], t), 'malformed_signature'), /64 hex digits/);
  const old = failure(verifySignature(DET, detCapture(v), [v.key], t + 3600), 'timestamp_too_old');
  assert.match(old, /^the timestamp is 3600 s \(60 min\) old, beyond the 300 s tolerance: .*the signature itself is valid \(key #1\)$/);
  assert.match(failure(verifySignature(DET, detCapture(v), ['wrong'], t + 3600), 'timestamp_too_old'), /the signature does not verify either: no key reproduces/);
  assert.match(failure(verifySignature(DET, detCapture(v), [v.key], t - 1000), 'timestamp_in_future'), /1000 s \(17 min\) in the future.*sender's clock/);
  const ms = detCapture({ ...v, timestamp: t * 1000, signature: signDetermined(v.key, t * 1000, v.body) });
  assert.match(failure(verifySignature(DET, ms, [v.key], t), 'timestamp_in_future'), /looks like milliseconds/);
  assert.equal(verifySignature({ preset: 'determined', toleranceSeconds: 0 }, detCapture(v), [v.key], t + 1e7).result, 'PASS');
  assert.equal(failure(verifySignature(DET, detCapture(v), ['wrong'], t), 'wrong_key'), WRONG_KEY_REASON);
  assert.match(failure(verifySignature(DET, detCapture(v), ['whsec_abc'], t), 'wrong_key'), /use the standard-webhooks preset/);
  const tampered = detCapture({ ...v, body: v.body.replace('"id":41', '"id":42') });
  assert.equal(failure(verifySignature(DET, tampered, [v.key], t), 'wrong_key'), WRONG_KEY_REASON);
  assert.deepEqual(verifySignature(DET, tampered, [v.key], t).payload, JSON.parse(tampered.body), 'payload still given');
});

test('diagnosis: the seed bug — signature over the Python dict repr', () => {
  const v = stateChange;
  const repr = pyStr(v.body);
  assert.ok(repr.startsWith("{'event_id': '4cd26e62"));
  const reason = failure(verifySignature(DET, signedAs(v, repr), [v.key], v.timestamp), 'python_dict_repr');
  assert.ok(reason.startsWith('the signature matches the body as a Python dict (str(json.loads(body))), not the raw bytes: ' +
    'the sender signed a re-serialized object; sign the raw request body'), reason);
  assert.match(reason, /matched with key #1/);
  assert.match(reason, /hmac\.compare_digest/);
  failure(verifySignature(DET, signedAs(v, pyStr(goEscaped.body)), [v.key], v.timestamp), 'wrong_key', 'repr of another body');
  failure(verifySignature(DET, signedAs(goEscaped, pyStr(goEscaped.body)), [goEscaped.key], goEscaped.timestamp), 'python_dict_repr');
});

test('diagnosis: the repaired seed snippet, run by CPython, signs exactly what pyStr reproduces', () => {
  const code = 'import sys, json, hmac, hashlib\nfor v in json.loads(sys.stdin.read()):\n' +
    '    payload = json.loads(v["body"])\n' +
    '    print(hmac.new(v["key"].encode(), f"{v[\'timestamp\']},{payload}".encode(), digestmod=hashlib.sha256).hexdigest())';
  const r = spawnSync('python3', ['-c', code], { input: JSON.stringify(vectors.determined) });
  assert.equal(r.status, 0, r.stderr.toString());
  const sigs = r.stdout.toString().trim().split('\n');
  vectors.determined.forEach((v, i) => {
    assert.equal(sigs[i], signDetermined(v.key, v.timestamp, pyStr(v.body)), v.source);
    const cap = detCapture({ ...v, signature: sigs[i]! });
    failure(verifySignature(DET, cap, [v.key], v.timestamp), 'python_dict_repr');
    // The reverse: the request is genuine, the code step computed the wrong thing.
    const ex = explainComputedSignature(DET, detCapture(v), [v.key], sigs[i]!);
    assert.equal(ex.reading, 'py_str');
    assert.match(ex.message, /^your code computed the signature over the body as a Python dict \(str\(json\.loads\(body\)\)\)/);
  });
  assert.deepEqual(explainComputedSignature(DET, detCapture(stateChange), [stateChange.key], stateChange.signature),
    { reading: 'raw', keyIndex: 0, message: 'the computed signature is correct (raw body, key #1)' });
  assert.equal(explainComputedSignature(DET, detCapture(stateChange), [stateChange.key], 'f'.repeat(64)).reading, null);
});

test('diagnosis: re-serialized JSON (JS compact, Python compact with \\u escapes, Python default spacing)', () => {
  const v = goEscaped;
  const pretty = JSON.stringify(JSON.parse(v.body), null, 2);
  const compactJs = failure(verifySignature(DET, signedAs(v, JSON.stringify(JSON.parse(pretty)), pretty), [v.key], v.timestamp), 'reserialized_json');
  assert.match(compactJs, /^the signature matches the body re-serialized as compact JSON \(JSON\.stringify\(JSON\.parse\(body\)\)\), not the raw bytes: .*smee\.io/);
  const pyCompact = pyJsonDumps(v.body, true);
  assert.ok(pyCompact.includes('\\u00e9') && pyCompact.includes('<b>&'), pyCompact);
  const rPy = failure(verifySignature(DET, signedAs(v, pyCompact), [v.key], v.timestamp), 'reserialized_json');
  assert.match(rPy, /compact JSON by Python \(json\.dumps\(json\.loads\(body\), separators=\(",", ":"\)\)\)/);
  const rDefault = failure(verifySignature(DET, signedAs(stateChange, pyJsonDumps(stateChange.body)), ['x', stateChange.key], stateChange.timestamp), 'reserialized_json');
  assert.match(rDefault, /Python's json\.dumps with its default ", " and ": " spacing.*matched with key #2/);
  const rPretty = failure(verifySignature(DET, signedAs(stateChange, JSON.stringify(JSON.parse(stateChange.body), null, 2)), [stateChange.key], stateChange.timestamp), 'reserialized_json');
  assert.match(rPretty, /indented JSON/);
});

test('diagnosis: body altered in transit (whitespace, line endings)', () => {
  const v = stateChange;
  const nl = failure(verifySignature(DET, signedAs(v, v.body, `${v.body}\n`), [v.key], v.timestamp), 'body_altered');
  assert.match(nl, /^the signature matches the body without its leading\/trailing whitespace, not the received bytes: the body was changed in transit/);
  failure(verifySignature(DET, signedAs(v, `${v.body}\n`), [v.key], v.timestamp), 'body_altered');
  const text = 'line1\r\nline2';
  const crlf = { ...v, body: text };
  failure(verifySignature(DET, signedAs(crlf, 'line1\nline2', text), [v.key], v.timestamp), 'body_altered');
  const plain = verifySignature(DET, signedAs(crlf, text), [v.key], v.timestamp);
  assert.ok(plain.result === 'PASS' && plain.payload === text, 'non-JSON payload is the raw string');
});

test('exact bytes: bodyBase64 is what gets verified', () => {
  const v = goEscaped;
  const cap = detCapture(v);
  assert.equal(verifySignature(DET, { ...cap, body: 'changed text view' }, [v.key], v.timestamp).result, 'PASS');
});
