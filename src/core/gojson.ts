/**
 * goJson: byte-compatible with Go's `encoding/json.Marshal` (Go 1.22+) for the values our payloads use.
 *
 * Why not JSON.stringify: Determined signs the exact bytes Go produces, and Go differs from JSON.stringify in string
 * escaping (`<` `>` `&` → `\u003c` `\u003e` `\u0026`, U+2028/U+2029 escaped, invalid UTF-16 → `\ufffd`). Receivers
 * that verify the raw body work either way, but byte-identical output keeps fixtures and dedup hashes comparable.
 *
 * Supported values: plain objects (Go structs: keys in insertion order, `undefined` members skipped, which is how
 * callers express `omitempty`), arrays, strings, finite numbers, bigint, booleans, null. Anything else throws.
 * Caveat of JS objects: integer-like keys ("1", "42") are always enumerated first in ascending order; Go struct
 * field names never look like that, and Go *maps* would be sorted anyway.
 */

/** Characters for which a string needs the slow path. With the `u` flag, a surrogate class matches LONE surrogates
 * only (a valid pair is one code point), so emoji and other astral characters stay on the fast path. */
const NEEDS_ESCAPE = /[\u0000-\u001f"\\<>&\u2028\u2029\ud800-\udfff]/u;

const HEX = '0123456789abcdef';

/** Go's escape for each ASCII code that needs one (index = char code); undefined = emit raw. */
const ASCII_ESCAPES: (string | undefined)[] = [];
for (let c = 0; c < 0x20; c++) ASCII_ESCAPES[c] = '\\u00' + HEX[c >> 4] + HEX[c & 15];
// Go 1.22 added the \b and \f short forms (earlier versions wrote \u0008 and \u000c).
ASCII_ESCAPES[0x08] = '\\b';
ASCII_ESCAPES[0x09] = '\\t';
ASCII_ESCAPES[0x0a] = '\\n';
ASCII_ESCAPES[0x0c] = '\\f';
ASCII_ESCAPES[0x0d] = '\\r';
ASCII_ESCAPES[0x22] = '\\"';
ASCII_ESCAPES[0x5c] = '\\\\';
// HTML-safe escaping, on by default in json.Marshal (SetEscapeHTML(true)).
ASCII_ESCAPES[0x26] = '\\u0026';
ASCII_ESCAPES[0x3c] = '\\u003c';
ASCII_ESCAPES[0x3e] = '\\u003e';
// DEL (0x7f) is emitted raw by Go, like every other printable or non-ASCII character.

/** Quotes and escapes one string exactly as Go does. */
export function goJsonString(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return '"' + s + '"';
  let out = '"';
  let start = 0; // start of the pending run of raw characters
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    let esc: string | undefined;
    if (c < 0x80) {
      esc = ASCII_ESCAPES[c];
      if (esc === undefined) continue;
    } else if (c === 0x2028) {
      esc = '\\u2028';
    } else if (c === 0x2029) {
      esc = '\\u2029';
    } else if (c >= 0xd800 && c <= 0xdfff) {
      // A high surrogate followed by a low one is a valid astral character: keep both raw.
      if (c <= 0xdbff && i + 1 < n) {
        const d = s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          i++;
          continue;
        }
      }
      // A lone surrogate cannot be UTF-8 encoded; Go writes the text \ufffd for invalid UTF-8.
      esc = '\\ufffd';
    } else {
      continue;
    }
    out += s.slice(start, i) + esc;
    start = i + 1;
  }
  return out + s.slice(start) + '"';
}

/** Go formats float64 with strconv 'f' (or 'e' outside [1e-6, 1e21)), shortest round-trip digits and a minimal
 * exponent: exactly what JS Number#toString produces. Only -0 differs ("-0" in Go); our numbers are Go ints,
 * which have no negative zero, so -0 is written "0". */
function goJsonNumber(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`goJson: unsupported number ${n} (json: unsupported value)`);
  return n === 0 ? '0' : String(n);
}

const MAX_DEPTH = 1000; // Go reports cycles after nesting 1000 levels deep

function encode(v: unknown, depth: number): string {
  switch (typeof v) {
    case 'string':
      return goJsonString(v);
    case 'number':
      return goJsonNumber(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'bigint':
      return v.toString();
    case 'object': {
      if (v === null) return 'null';
      if (depth > MAX_DEPTH) throw new Error('goJson: nesting too deep (cycle?)');
      if (Array.isArray(v)) {
        let out = '[';
        for (let i = 0; i < v.length; i++) {
          const item: unknown = v[i];
          if (item === undefined) throw new Error(`goJson: undefined array element at index ${i}`);
          out += (i === 0 ? '' : ',') + encode(item, depth + 1);
        }
        return out + ']';
      }
      const proto: unknown = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) {
        // Map, Set, Date, class instances…: Go would encode them differently (or not at all); refuse to guess.
        throw new Error(`goJson: unsupported object ${Object.prototype.toString.call(v)}`);
      }
      let out = '{';
      let first = true;
      const obj = v as Record<string, unknown>;
      for (const k of Object.keys(obj)) {
        const member = obj[k];
        if (member === undefined) continue; // omitempty, expressed by the caller
        out += (first ? '' : ',') + goJsonString(k) + ':' + encode(member, depth + 1);
        first = false;
      }
      return out + '}';
    }
    default:
      throw new Error(`goJson: unsupported value of type ${typeof v}`);
  }
}

/** Compact Go-style JSON for `value`, without a trailing newline. Throws on NaN/Infinity and unsupported types. */
export function goJson(value: unknown): string {
  return encode(value, 0);
}
