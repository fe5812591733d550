/**
 * The built-in `verify_signature` step: checks a capture's signature and, when it fails, says why.
 *
 * Presets: `determined` (X-Determined-AI-Signature[-Timestamp], HMAC-SHA256 hex of `${t},${raw body}`),
 * `standard-webhooks` (webhook-id/-timestamp/-signature, v1 and v1a), and generic `hmac` (algorithm, encoding,
 * header, optional prefix such as `sha256=`, signed-content template over {body}, {timestamp}, {id} and
 * {{capture paths}}). Keys are tried in order (rotation); the first that verifies is reported as `keyIndex`.
 *
 * Order of checks: keys → headers → timestamp syntax → signature syntax → timestamp tolerance → signature. When no
 * key verifies the raw body, other readings of it (Python dict repr, re-serialized JSON, altered whitespace) are
 * tried to name the mistake; nothing matching any of them is `wrong_key` (or a body changed in transit).
 * The output mirrors the seed's code step: `{ result: 'PASS', payload }` or `{ result: '<not legit>', … }`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { DETERMINED_SIGNATURE_HEADER, DETERMINED_TIMESTAMP_HEADER, verifyDetermined } from '../signing/determined.js';
import { verifyStandard } from '../signing/standard.js';
import { bodyReadings, computedReadingReason, readingReason } from './readings.js';
import type { BodyReading } from './readings.js';
import { resolvePath, stringifyValue } from './template.js';
import type { CaptureView, FlowContext } from './types.js';

export const PASS_RESULT = 'PASS';
export const FAIL_RESULT = 'Signature cannot be verified, request might not be legit';
export const DEFAULT_TOLERANCE_SECONDS = 300;
export type VerifyScheme = 'determined' | 'standard-webhooks' | 'hmac';
export type VerifyFailureCode =
  | 'missing_header' | 'bad_timestamp' | 'timestamp_too_old' | 'timestamp_in_future' | 'wrong_key' | 'body_altered'
  | 'reserialized_json' | 'python_dict_repr' | 'no_keys' | 'malformed_signature';

const DIGEST_BYTES = { sha1: 20, sha256: 32, sha512: 64 } as const;
const HEADER_NAME = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be a valid HTTP header name');
const common = { toleranceSeconds: z.number().int().min(0).max(31_536_000).optional() };

export const verifyConfigSchema = z.discriminatedUnion('preset', [
  z.strictObject({ preset: z.literal('determined'), ...common }),
  z.strictObject({ preset: z.literal('standard-webhooks'), ...common }),
  z.strictObject({
    preset: z.literal('hmac'),
    algorithm: z.enum(['sha1', 'sha256', 'sha512']),
    encoding: z.enum(['hex', 'base64']),
    signatureHeader: HEADER_NAME,
    /** Stripped from each signature token, e.g. `sha256=` (GitHub) or `v1=`. */
    prefix: z.string().max(50).optional(),
    /** Default `{body}`; e.g. `{timestamp}.{body}` (Stripe-like) or `{id}.{timestamp}.{body}`. */
    signedContent: z.string().min(1).max(2000).optional(),
    timestampHeader: HEADER_NAME.optional(),
    /** The header `{id}` stands for. */
    idHeader: HEADER_NAME.optional(),
    ...common,
  }).superRefine((c, ctx) => {
    const content = c.signedContent ?? '{body}';
    if (content.includes('{timestamp}') && c.timestampHeader === undefined) {
      ctx.addIssue({ code: 'custom', path: ['timestampHeader'], message: 'is required when signedContent uses {timestamp}' });
    }
    if (content.includes('{id}') && c.idHeader === undefined) {
      ctx.addIssue({ code: 'custom', path: ['idHeader'], message: 'is required when signedContent uses {id}' });
    }
  }),
]);
export type VerifyConfig = z.infer<typeof verifyConfigSchema>;
type HmacConfig = Extract<VerifyConfig, { preset: 'hmac' }>;

export type VerifyOutput =
  | { result: typeof PASS_RESULT; payload: unknown; keyIndex: number; scheme: VerifyScheme; timestamp?: number }
  | { result: typeof FAIL_RESULT; reason: string; code: VerifyFailureCode; payload: unknown; scheme: VerifyScheme };

/** A scheme bound to one request: its timestamp (if any) and a constant-time check of (key, body). */
interface Prepared {
  timestamp: number | null;
  matches(key: string, keyIndex: number, body: Uint8Array): boolean;
  /** Keys the scheme could not use, with why (reported when nothing verifies). */
  unusable: Map<number, string>;
}
type Failure = { code: VerifyFailureCode; reason: string };

/** Header value by case-insensitive name, or undefined. */
export function captureHeader(capture: CaptureView, name: string): string | undefined {
  const lower = name.toLowerCase();
  if (Object.prototype.hasOwnProperty.call(capture.headers, lower)) return capture.headers[lower];
  for (const [k, v] of Object.entries(capture.headers)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/** The exact body bytes (bodyBase64), falling back to the UTF-8 text for a view built without them. */
export function rawBody(capture: CaptureView): Buffer {
  return capture.bodyBase64 !== '' || capture.body === '' ? Buffer.from(capture.bodyBase64, 'base64') : Buffer.from(capture.body, 'utf8');
}

function payloadOf(capture: CaptureView): unknown {
  try {
    return JSON.parse(capture.body) as unknown;
  } catch {
    return capture.body;
  }
}

function quote(s: string): string {
  return JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);
}

function missing(capture: CaptureView, names: string[], what: string): Failure {
  const got = Object.keys(capture.headers).join(', ') || 'none';
  return {
    code: 'missing_header',
    reason: `missing header ${names.join(' and ')}: the request is not signed ${what} (or a proxy dropped the header); headers received: ${got}`,
  };
}

function parseTimestamp(name: string, value: string): number | Failure {
  if (/^[0-9]{1,15}$/.test(value)) return Number(value);
  return { code: 'bad_timestamp', reason: `${name} is ${quote(value)}, not an integer number of Unix seconds` };
}

function prepareDetermined(capture: CaptureView): Prepared | Failure {
  const ts = captureHeader(capture, DETERMINED_TIMESTAMP_HEADER);
  const sig = captureHeader(capture, DETERMINED_SIGNATURE_HEADER);
  const absent = [ts === undefined && DETERMINED_TIMESTAMP_HEADER, sig === undefined && DETERMINED_SIGNATURE_HEADER].filter((x): x is string => !!x);
  if (ts === undefined || sig === undefined) return missing(capture, absent, 'by Determined');
  const t = parseTimestamp(DETERMINED_TIMESTAMP_HEADER, ts);
  if (typeof t !== 'number') return t;
  if (!/^[0-9a-fA-F]{64}$/.test(sig.trim())) {
    return { code: 'malformed_signature', reason: `${DETERMINED_SIGNATURE_HEADER} must be 64 hex digits (HMAC-SHA256), got ${quote(sig)}` };
  }
  return { timestamp: t, unusable: new Map(), matches: (key, _i, body) => verifyDetermined(key, ts, sig, body) };
}

function prepareStandard(capture: CaptureView, nowSec: number): Prepared | Failure {
  const get = (n: string): string | undefined => captureHeader(capture, `webhook-${n}`) ?? captureHeader(capture, `svix-${n}`);
  const [id, ts, sig] = [get('id'), get('timestamp'), get('signature')];
  if (id === undefined || ts === undefined || sig === undefined) {
    const absent = (['id', 'timestamp', 'signature'] as const).filter((n) => get(n) === undefined).map((n) => `webhook-${n}`);
    return missing(capture, absent, 'with Standard Webhooks');
  }
  const t = parseTimestamp('webhook-timestamp', ts);
  if (typeof t !== 'number') return t;
  if (!sig.split(' ').some((tok) => /^v1,[A-Za-z0-9+/]{43}=$/.test(tok) || /^v1a,[A-Za-z0-9+/]{86}==$/.test(tok))) {
    return {
      code: 'malformed_signature',
      reason: `webhook-signature holds no well-formed token ("v1,<base64 HMAC-SHA256>" or "v1a,<base64 ed25519>"), got ${quote(sig)}`,
    };
  }
  const headers = { 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': sig };
  const unusable = new Map<number, string>();
  return {
    timestamp: t,
    unusable,
    matches: (key, i, body) => {
      const r = verifyStandard([key], headers, body, nowSec, Number.POSITIVE_INFINITY); // tolerance is checked apart
      if (!r.ok && r.reason.startsWith('invalid secret')) unusable.set(i, r.reason);
      return r.ok;
    },
  };
}

const CONTENT_TOKEN = /\{\{\s*([^{}]*?)\s*\}\}|\{(body|timestamp|id)\}/g;

function prepareHmac(c: HmacConfig, capture: CaptureView): Prepared | Failure {
  const content = c.signedContent ?? '{body}';
  const wanted = [c.signatureHeader];
  if (c.timestampHeader !== undefined) wanted.push(c.timestampHeader);
  if (content.includes('{id}') && c.idHeader !== undefined) wanted.push(c.idHeader);
  const absent = wanted.filter((n) => captureHeader(capture, n) === undefined);
  if (absent.length > 0) return missing(capture, absent, 'as configured');
  let t: number | null = null;
  const tsText = c.timestampHeader === undefined ? '' : captureHeader(capture, c.timestampHeader)!;
  if (c.timestampHeader !== undefined) {
    const parsed = parseTimestamp(c.timestampHeader, tsText);
    if (typeof parsed !== 'number') return parsed;
    t = parsed;
  }
  const id = c.idHeader === undefined ? '' : captureHeader(capture, c.idHeader) ?? '';
  const header = captureHeader(capture, c.signatureHeader)!;
  const prefix = c.prefix ?? '';
  const tokens = /[\s,]/.test(prefix) ? [header.trim()] : header.split(/[\s,]+/).filter((x) => x !== '');
  const size = DIGEST_BYTES[c.algorithm];
  const candidates: Buffer[] = [];
  for (const tok of tokens) {
    if (!tok.startsWith(prefix)) continue;
    const v = tok.slice(prefix.length);
    const ok = c.encoding === 'hex' ? /^[0-9a-fA-F]+$/.test(v) : /^[A-Za-z0-9+/_-]+={0,2}$/.test(v);
    const bytes = ok ? Buffer.from(v, c.encoding) : null;
    if (bytes !== null && bytes.length === size) candidates.push(bytes);
  }
  if (candidates.length === 0) {
    const shape = `${prefix}<${c.encoding} of ${size} bytes>`;
    return { code: 'malformed_signature', reason: `${c.signatureHeader} holds no signature of the form ${shape}, got ${quote(header)}` };
  }
  const ctx: FlowContext = { capture, steps: {}, flow: { id: 0, name: '' }, run: { id: 0 } };
  const build = (body: Uint8Array): Buffer => {
    const parts: Buffer[] = [];
    let last = 0;
    for (const m of content.matchAll(CONTENT_TOKEN)) {
      parts.push(Buffer.from(content.slice(last, m.index), 'utf8'));
      const v = m[1] !== undefined ? stringifyValue(resolvePath(ctx, m[1])) : m[2] === 'timestamp' ? tsText : m[2] === 'id' ? id : null;
      parts.push(v === null ? Buffer.from(body) : Buffer.from(v, 'utf8'));
      last = m.index + m[0].length;
    }
    parts.push(Buffer.from(content.slice(last), 'utf8'));
    return Buffer.concat(parts);
  };
  return {
    timestamp: t,
    unusable: new Map(),
    matches: (key, _i, body) => {
      const mac = createHmac(c.algorithm, Buffer.from(key, 'utf8')).update(build(body)).digest();
      let hit = false;
      for (const cand of candidates) hit = timingSafeEqual(cand, mac) || hit; // no early exit
      return hit;
    },
  };
}

function prepare(config: VerifyConfig, capture: CaptureView, nowSec: number): Prepared | Failure {
  switch (config.preset) {
    case 'determined': return prepareDetermined(capture);
    case 'standard-webhooks': return prepareStandard(capture, nowSec);
    case 'hmac': return prepareHmac(config, capture);
  }
}

function duration(sec: number): string {
  if (sec < 120) return `${sec} s`;
  if (sec < 7200) return `${sec} s (${Math.round(sec / 60)} min)`;
  if (sec < 172_800) return `${sec} s (${(sec / 3600).toFixed(1)} h)`;
  return `${sec} s (${(sec / 86_400).toFixed(1)} days)`;
}

/** Index (into `keys`) of the first key that verifies `body`, or -1. */
function firstMatch(p: Prepared, keys: [string, number][], body: Uint8Array): number {
  for (const [k, i] of keys) if (p.matches(k, i, body)) return i;
  return -1;
}

/** Why nothing verifies the raw body: a reading some key matches, else wrong key (or body changed in transit). */
function diagnose(p: Prepared, keys: [string, number][], capture: CaptureView, config: VerifyConfig): Failure {
  for (const reading of bodyReadings(capture.body)) {
    const i = firstMatch(p, keys, Buffer.from(reading.body, 'utf8'));
    if (i >= 0) return { code: reading.code, reason: readingReason(reading, i) };
  }
  if (p.unusable.size === keys.length) {
    const why = [...p.unusable].map(([i, w]) => `key #${i + 1}: ${w}`).join('; ');
    return { code: 'no_keys', reason: `none of the configured keys is usable for ${config.preset} (${why}): fix the step's keys` };
  }
  let reason = 'no key reproduces this signature over the received body: either the signing key differs ' +
    '(check webhook_signing_key) or the body was changed in transit';
  for (const [i, why] of p.unusable) reason += `; key #${i + 1} is unusable (${why})`;
  if (config.preset === 'determined' && keys.some(([k]) => /^wh(sec|sk|pk)_/.test(k))) {
    reason += '; a key looks like a Standard Webhooks secret (whsec_…): use the standard-webhooks preset for it';
  }
  return { code: 'wrong_key', reason };
}

/**
 * Verifies a capture's signature with any of `keys` (tried in order). `nowSec` is the current Unix time in seconds.
 * Never throws for a bad request: every failure is an output with a code and an actionable reason.
 */
export function verifySignature(config: VerifyConfig, capture: CaptureView, keys: string[], nowSec: number): VerifyOutput {
  const scheme: VerifyScheme = config.preset;
  const payload = payloadOf(capture);
  const fail = (f: Failure): VerifyOutput => ({ result: FAIL_RESULT, reason: f.reason, code: f.code, payload, scheme });
  const usable = keys.map((k, i): [string, number] => [k, i]).filter(([k]) => k !== '');
  if (usable.length === 0) {
    return fail({
      code: 'no_keys',
      reason: 'no signing key configured for this step: add the sender\'s secret (for Determined, the webhook\'s ' +
        'webhook_signing_key) to the step\'s keys',
    });
  }
  const p = prepare(config, capture, nowSec);
  if (!('matches' in p)) return fail(p);
  const body = rawBody(capture);
  const tolerance = config.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (p.timestamp !== null && tolerance > 0) {
    const age = nowSec - p.timestamp;
    if (age > tolerance || -age > tolerance) {
      const hit = firstMatch(p, usable, body);
      const sigNote = hit >= 0 ? `the signature itself is valid (key #${hit + 1})`
        : `the signature does not verify either: ${diagnose(p, usable, capture, config).reason}`;
      if (age > tolerance) {
        return fail({
          code: 'timestamp_too_old',
          reason: `the timestamp is ${duration(age)} old, beyond the ${tolerance} s tolerance: a replayed or long-delayed ` +
            `request, or an old capture re-run (set toleranceSeconds: 0 to test with old captures); ${sigNote}`,
        });
      }
      const ms = p.timestamp > 1e11 ? ' (it looks like milliseconds; it must be Unix seconds)' : '';
      return fail({
        code: 'timestamp_in_future',
        reason: `the timestamp is ${duration(-age)} in the future, beyond the ${tolerance} s tolerance${ms}: ` +
          `check the sender's clock; ${sigNote}`,
      });
    }
  }
  const hit = firstMatch(p, usable, body);
  if (hit >= 0) {
    return { result: PASS_RESULT, payload, keyIndex: hit, scheme, ...(p.timestamp !== null ? { timestamp: p.timestamp } : {}) };
  }
  return fail(diagnose(p, usable, capture, config));
}

export interface ComputedSignatureExplanation {
  /** `raw`: the computed signature is right (it is over the raw body); a reading id; or null: matches nothing. */
  reading: 'raw' | BodyReading['id'] | null;
  keyIndex: number | null;
  message: string;
}

/**
 * The receiver-side diagnosis: a code step (like the seed's) computed `computed` and compared it with the request's
 * signature. Which body did it sign? Uses the scheme's own header layout, so `computed` is the bare value
 * (hex or base64, no prefix). The built-in verifier stays the reference: when it passes, the code step is wrong.
 */
export function explainComputedSignature(
  config: VerifyConfig, capture: CaptureView, keys: string[], computed: string,
): ComputedSignatureExplanation {
  const value = computed.trim();
  const replaced = (name: string, v: string): CaptureView => {
    const headers = Object.fromEntries(Object.entries(capture.headers).filter(([k]) => k.toLowerCase() !== name.toLowerCase()));
    return { ...capture, headers: { ...headers, [name.toLowerCase()]: v } };
  };
  const probe = config.preset === 'determined' ? replaced(DETERMINED_SIGNATURE_HEADER, value)
    : config.preset === 'standard-webhooks' ? replaced('webhook-signature', value.startsWith('v1') ? value : `v1,${value}`)
      : replaced(config.signatureHeader, `${config.prefix ?? ''}${value}`);
  const usable = keys.map((k, i): [string, number] => [k, i]).filter(([k]) => k !== '');
  const p = prepare({ ...config, toleranceSeconds: 0 }, probe, 0);
  if (!('matches' in p)) return { reading: null, keyIndex: null, message: `cannot check the computed signature: ${p.reason}` };
  const raw = firstMatch(p, usable, rawBody(capture));
  if (raw >= 0) {
    return { reading: 'raw', keyIndex: raw, message: `the computed signature is correct (raw body, key #${raw + 1})` };
  }
  for (const reading of bodyReadings(capture.body)) {
    const i = firstMatch(p, usable, Buffer.from(reading.body, 'utf8'));
    if (i >= 0) return { reading: reading.id, keyIndex: i, message: computedReadingReason(reading, i) };
  }
  return {
    reading: null, keyIndex: null,
    message: 'the computed signature matches no key over any reading of the body: check the key your code uses ' +
      'and the signed content (for Determined: f"{timestamp},{raw body}", HMAC-SHA256, hex)',
  };
}
