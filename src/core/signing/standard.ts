/**
 * Standard Webhooks v1 (spec standard-webhooks.md), our second signature scheme.
 *
 * Signed content: `${msgId}.${timestamp}.${body}` (body = the exact bytes sent).
 * - `v1`:  HMAC-SHA256 with a symmetric secret `whsec_<base64 key>`; token `v1,<base64 mac>`.
 * - `v1a`: ed25519; signing key `whsk_<base64(seed32 ‖ pub32)>`, public key `whpk_<base64(pub32)>`; token `v1a,<base64 sig>`.
 * Headers: webhook-id, webhook-timestamp (integer seconds of this attempt), webhook-signature (space-separated tokens,
 * one per active secret, so receivers keep verifying during a key rotation).
 */
import { createHmac, createPrivateKey, createPublicKey, randomBytes, sign, timingSafeEqual, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

const SYMMETRIC_PREFIX = 'whsec_';
const SIGNING_KEY_PREFIX = 'whsk_';
const PUBLIC_KEY_PREFIX = 'whpk_';
/** DER prefixes that wrap raw ed25519 keys (RFC 8410) so node:crypto can import them. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export type StandardHeaders = Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string>;
export type StandardVerifyResult = { ok: true } | { ok: false; reason: string };

/** A fresh symmetric secret: `whsec_` + base64 of 32 random bytes. */
export function generateStandardSecret(): string {
  return SYMMETRIC_PREFIX + randomBytes(32).toString('base64');
}

/** Strict standard base64 (padding optional); Buffer.from alone would silently skip garbage characters. */
function decodeBase64(s: string, what: string): Buffer {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.replace(/=+$/, '').length % 4 === 1) {
    throw new Error(`${what} is not valid base64`);
  }
  return Buffer.from(s, 'base64');
}

/** The HMAC key of a symmetric secret, given with or without `whsec_`. Throws on an empty or undecodable secret. */
export function parseStandardSecret(s: string): Buffer {
  const raw = s.startsWith(SYMMETRIC_PREFIX) ? s.slice(SYMMETRIC_PREFIX.length) : s;
  if (raw === '') throw new Error('Standard Webhooks secret is empty');
  const key = decodeBase64(raw, 'Standard Webhooks secret');
  if (key.length === 0) throw new Error('Standard Webhooks secret is empty');
  return key;
}

function ed25519Private(secret: string): KeyObject {
  const bytes = decodeBase64(secret.slice(SIGNING_KEY_PREFIX.length), 'whsk_ signing key');
  if (bytes.length !== 64 && bytes.length !== 32) throw new Error('whsk_ signing key must hold 32 or 64 bytes');
  const der = Buffer.concat([ED25519_PKCS8_PREFIX, bytes.subarray(0, 32)]); // the seed; the public half is derived
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}

function ed25519Public(secret: string): KeyObject {
  const bytes = decodeBase64(secret.slice(PUBLIC_KEY_PREFIX.length), 'whpk_ public key');
  if (bytes.length !== 32) throw new Error('whpk_ public key must hold 32 bytes');
  return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, bytes]), format: 'der', type: 'spki' });
}

function signedContent(msgId: string, timestampSec: number, body: string | Uint8Array): Buffer {
  const head = Buffer.from(`${msgId}.${timestampSec}.`, 'utf8');
  return Buffer.concat([head, typeof body === 'string' ? Buffer.from(body, 'utf8') : body]);
}

function hmacB64(key: Buffer, msgId: string, timestampSec: number, body: string | Uint8Array): string {
  return createHmac('sha256', key).update(`${msgId}.${timestampSec}.`, 'utf8').update(body).digest('base64');
}

/**
 * One signature token: `v1,<base64>` for a `whsec_` (or bare base64) secret. A `whsk_` ed25519 signing key
 * yields `v1a,<base64>` instead (ed25519 is deterministic, so the result is reproducible).
 */
export function signStandard(secret: string, msgId: string, timestampSec: number, body: string | Uint8Array): string {
  if (!Number.isSafeInteger(timestampSec)) throw new Error(`signStandard: timestamp must be an integer, got ${timestampSec}`);
  if (secret.startsWith(SIGNING_KEY_PREFIX)) {
    return 'v1a,' + sign(null, signedContent(msgId, timestampSec, body), ed25519Private(secret)).toString('base64');
  }
  return 'v1,' + hmacB64(parseStandardSecret(secret), msgId, timestampSec, body);
}

/** The three headers, signed with every secret (new and old during a rotation), tokens separated by one space. */
export function standardHeaders(
  secrets: string[],
  msgId: string,
  timestampSec: number,
  body: string | Uint8Array,
): StandardHeaders {
  if (secrets.length === 0) throw new Error('standardHeaders: at least one secret is required');
  return {
    'webhook-id': msgId,
    'webhook-timestamp': String(timestampSec),
    'webhook-signature': secrets.map((s) => signStandard(s, msgId, timestampSec, body)).join(' '),
  };
}

/** Case-insensitive header lookup; `svix-*` names are accepted as aliases, as the svix library does. */
function header(headers: Record<string, string | undefined>, name: string): string | undefined {
  const wanted = new Set([`webhook-${name}`, `svix-${name}`]);
  let alias: string | undefined;
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    const lk = k.toLowerCase();
    if (lk === `webhook-${name}`) return v;
    if (wanted.has(lk)) alias = v;
  }
  return alias;
}

/**
 * Verifies a received message against any of `secrets` (`whsec_…`/bare base64 for v1, `whpk_…` or `whsk_…` for v1a).
 * Rules (standard-webhooks.md "Verifying"): all three headers required; integer timestamp within
 * now ± toleranceSec (both directions); any one valid token passes; unknown versions are skipped; constant-time
 * comparison. Never throws: an unusable secret is reported as a failure reason.
 */
export function verifyStandard(
  secrets: string[],
  headers: Record<string, string | undefined>,
  body: string | Uint8Array,
  nowSec: number,
  toleranceSec = 300,
): StandardVerifyResult {
  const hmacKeys: Buffer[] = [];
  const publicKeys: KeyObject[] = [];
  try {
    for (const s of secrets) {
      if (s.startsWith(PUBLIC_KEY_PREFIX)) publicKeys.push(ed25519Public(s));
      else if (s.startsWith(SIGNING_KEY_PREFIX)) publicKeys.push(createPublicKey(ed25519Private(s)));
      else hmacKeys.push(parseStandardSecret(s));
    }
  } catch (err) {
    return { ok: false, reason: `invalid secret: ${(err as Error).message}` };
  }
  if (hmacKeys.length + publicKeys.length === 0) return { ok: false, reason: 'no secret configured' };

  const msgId = header(headers, 'id');
  const ts = header(headers, 'timestamp');
  const sigHeader = header(headers, 'signature');
  if (!msgId) return { ok: false, reason: 'missing header webhook-id' };
  if (!ts) return { ok: false, reason: 'missing header webhook-timestamp' };
  if (!sigHeader) return { ok: false, reason: 'missing header webhook-signature' };
  if (!/^[0-9]{1,15}$/.test(ts)) return { ok: false, reason: `invalid webhook-timestamp ${JSON.stringify(ts)}` };
  const t = Number(ts);
  if (nowSec - t > toleranceSec) return { ok: false, reason: `timestamp too old (${nowSec - t} s > ${toleranceSec} s)` };
  if (t - nowSec > toleranceSec) return { ok: false, reason: `timestamp too new (${t - nowSec} s ahead > ${toleranceSec} s)` };

  const expectedV1 = hmacKeys.map((k) => Buffer.from(hmacB64(k, msgId, t, body), 'utf8'));
  const content = publicKeys.length > 0 ? signedContent(msgId, t, body) : null;
  let known = 0;
  for (const token of sigHeader.split(' ')) {
    const comma = token.indexOf(',');
    if (comma < 0) continue;
    const version = token.slice(0, comma);
    const value = token.slice(comma + 1);
    if (version === 'v1') {
      known++;
      const given = Buffer.from(value, 'utf8');
      for (const exp of expectedV1) {
        if (given.length === exp.length && timingSafeEqual(given, exp)) return { ok: true };
      }
    } else if (version === 'v1a') {
      known++;
      if (content === null || !/^[A-Za-z0-9+/]{86}==$/.test(value)) continue;
      const sig = Buffer.from(value, 'base64');
      for (const pk of publicKeys) {
        if (verify(null, content, pk, sig)) return { ok: true };
      }
    }
    // any other version: skipped, as the spec requires
  }
  return { ok: false, reason: known === 0 ? 'no v1 or v1a signature in webhook-signature' : 'no matching signature' };
}
