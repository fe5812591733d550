/**
 * Other readings of a received body: the forms a sender (or a relay, or a receiver's code step) may have signed
 * instead of the raw bytes. The verifier tries them only after the raw body failed, to say *why* it failed.
 */
import { pyJsonDumps, pyJsonLoads, pyStr } from './pyjson.js';

export type ReadingId =
  | 'js_compact' | 'py_compact' | 'py_default' | 'js_pretty' | 'py_str'
  | 'trimmed' | 'trailing_newline' | 'crlf_to_lf' | 'lf_to_crlf';

/** Which failure code a reading stands for. */
export type ReadingCode = 'reserialized_json' | 'python_dict_repr' | 'body_altered';

export interface BodyReading {
  id: ReadingId;
  code: ReadingCode;
  /** What this reading is, for messages: "the body as a Python dict (str(json.loads(body)))". */
  describe: string;
  body: string;
}

function pyKind(text: string): string {
  const t = pyJsonLoads(text).t;
  return t === 'dict' ? 'dict' : t === 'list' ? 'list' : t === 'str' ? 'str' : 'value';
}

/**
 * The alternative readings of `body` that differ from it (and from each other), most telling first: the seed's
 * Python repr, then whitespace-only changes (more specific than a re-serialization that happens to coincide), then
 * re-serialized JSON.
 * JSON readings are present only when the body is JSON.
 */
export function bodyReadings(body: string): BodyReading[] {
  const out: BodyReading[] = [];
  const seen = new Set<string>([body]);
  const add = (id: ReadingId, code: ReadingCode, describe: string, make: () => string): void => {
    let text: string;
    try {
      text = make();
    } catch {
      return; // not JSON, or not representable: this reading does not apply
    }
    if (seen.has(text)) return;
    seen.add(text);
    out.push({ id, code, describe, body: text });
  };
  add('py_str', 'python_dict_repr', '', () => pyStr(body));
  if (out[0]) out[0].describe = `the body as a Python ${pyKind(body)} (str(json.loads(body)))`;
  add('trimmed', 'body_altered', 'the body without its leading/trailing whitespace', () => body.trim());
  add('trailing_newline', 'body_altered', 'the body with a trailing newline', () => `${body}\n`);
  add('crlf_to_lf', 'body_altered', 'the body with CRLF line endings turned into LF', () => body.replace(/\r\n/g, '\n'));
  add('lf_to_crlf', 'body_altered', 'the body with LF line endings turned into CRLF', () => body.replace(/\r?\n/g, '\r\n'));
  add('js_compact', 'reserialized_json', 'the body re-serialized as compact JSON (JSON.stringify(JSON.parse(body)))',
    () => JSON.stringify(JSON.parse(body)));
  add('py_compact', 'reserialized_json',
    'the body re-serialized as compact JSON by Python (json.dumps(json.loads(body), separators=(",", ":")))', () => pyJsonDumps(body, true));
  add('py_default', 'reserialized_json', 'the body re-serialized by Python\'s json.dumps with its default ", " and ": " spacing',
    () => pyJsonDumps(body));
  add('js_pretty', 'reserialized_json', 'the body re-serialized as indented JSON (JSON.stringify(JSON.parse(body), null, 2))',
    () => JSON.stringify(JSON.parse(body), null, 2));
  return out;
}

/** The sender-side explanation of a signature that matches `reading` with key number `keyIndex`. */
export function readingReason(reading: BodyReading, keyIndex: number): string {
  const key = `key #${keyIndex + 1}`;
  switch (reading.code) {
    case 'python_dict_repr':
      return `the signature matches ${reading.describe}, not the raw bytes: the sender signed a re-serialized object; ` +
        `sign the raw request body (matched with ${key}). If the signing or checking happens in your own Python code ` +
        'step, use the raw string — f"{timestamp},{input_data[\'payload\']}" — not json.loads(...), ' +
        'and compare with hmac.compare_digest';
    case 'reserialized_json':
      return `the signature matches ${reading.describe}, not the raw bytes: either the sender signed a re-serialized ` +
        'object instead of the bytes it sent, or something in between (a relay such as smee.io, a proxy, a body parser) ' +
        `re-serialized the JSON; sign and forward the raw request body unchanged (matched with ${key})`;
    case 'body_altered':
      return `the signature matches ${reading.describe}, not the received bytes: the body was changed in transit ` +
        `(a proxy or tool rewrote whitespace or line endings); pass the raw body through unchanged (matched with ${key})`;
  }
}

/** The receiver-side explanation: a code step computed its signature over `reading` instead of the raw body. */
export function computedReadingReason(reading: BodyReading, keyIndex: number): string {
  return `your code computed the signature over ${reading.describe} (key #${keyIndex + 1}), but the sender signed the ` +
    'raw request body: compute the HMAC over the raw body string exactly as received (in Python: ' +
    'f"{timestamp},{input_data[\'payload\']}", not json.loads(...)) and compare with hmac.compare_digest; ' +
    'the built-in verify_signature step does this for you';
}
