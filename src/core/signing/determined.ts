/**
 * Determined's webhook signature (spec determined-webhooks.md §4.1):
 *   sig = lowercase_hex(HMAC_SHA256(key = UTF-8 bytes of the signing key string, msg = "<t>," + raw body bytes))
 * The key is used as text, never hex- or base64-decoded. Sign the exact bytes you send.
 */
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';

/** Header names as Determined writes them. Go canonicalizes them on HTTP/1.1 to `X-Determined-Ai-Signature(-Timestamp)`
 * and HTTP/2 lowercases them: match case-insensitively when receiving. */
export const DETERMINED_TIMESTAMP_HEADER = 'X-Determined-AI-Signature-Timestamp';
export const DETERMINED_SIGNATURE_HEADER = 'X-Determined-AI-Signature';

/** The signing keys in use (one or a few), as KeyObjects: an HMAC then skips copying the key in (~1 µs each). */
const keyObjects = new Map<string, KeyObject>();
function keyObject(key: string): KeyObject {
  let k = keyObjects.get(key);
  if (!k) {
    if (keyObjects.size >= 64) keyObjects.clear();
    keyObjects.set(key, (k = createSecretKey(Buffer.from(key, 'utf8'))));
  }
  return k;
}

function hmacDigest(key: string, timestamp: string, body: string | Uint8Array): Buffer {
  // update() encodes strings as UTF-8 and hashes Uint8Array bytes as they are; a string body goes in one update.
  const h = createHmac('sha256', keyObject(key));
  return (typeof body === 'string' ? h.update(`${timestamp},${body}`, 'utf8') : h.update(`${timestamp},`, 'utf8').update(body)).digest();
}

/** The `X-Determined-AI-Signature` value for a body sent at `timestampSec` (integer Unix seconds). */
export function signDetermined(key: string, timestampSec: number, body: string | Uint8Array): string {
  if (!Number.isSafeInteger(timestampSec)) throw new Error(`signDetermined: timestamp must be an integer, got ${timestampSec}`);
  return hmacDigest(key, String(timestampSec), body).toString('hex');
}

/**
 * Checks a received request. The timestamp header text is used verbatim (it is what the sender put before the comma);
 * it must be a decimal integer. The signature must be 64 hex digits; comparison is constant-time. Never throws.
 * Freshness of the timestamp is the caller's policy (Determined documents none).
 */
export function verifyDetermined(
  key: string,
  timestampHeader: string | undefined,
  signatureHeader: string | undefined,
  body: string | Uint8Array,
): boolean {
  if (timestampHeader === undefined || signatureHeader === undefined) return false;
  if (!/^-?[0-9]{1,19}$/.test(timestampHeader)) return false;
  const sig = signatureHeader.trim();
  if (!/^[0-9a-fA-F]{64}$/.test(sig)) return false;
  const given = Buffer.from(sig, 'hex');
  const expected = hmacDigest(key, timestampHeader, body);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
