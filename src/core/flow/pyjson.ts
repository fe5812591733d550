/**
 * What Python makes of a JSON body, byte for byte, so the verifier can recognise a signature computed over a
 * re-serialized body (CPython 3 semantics):
 * - `pyJsonDumps(text)`            ≡ `json.dumps(json.loads(text))`                      (", " and ": ", ensure_ascii)
 * - `pyJsonDumps(text, compact)`   ≡ `json.dumps(json.loads(text), separators=(",",":"))`
 * - `pyRepr(text)`                 ≡ `str(json.loads(text))`  — the seed's bug: `f"{timestamp},{payload}"` on a dict
 *
 * JavaScript's JSON.parse cannot be used for this: it loses integer precision past 2^53, turns 1.0 into 1, and
 * reorders integer-like object keys. This module parses JSON into a tree that keeps Python's view (arbitrary ints,
 * floats, insertion-ordered keys with last-value-wins duplicates, NaN/Infinity as Python's json accepts them).
 */

export type PyValue =
  | { t: 'dict'; entries: [string, PyValue][] }
  | { t: 'list'; items: PyValue[] }
  | { t: 'str'; v: string }
  | { t: 'int'; v: bigint }
  | { t: 'float'; v: number }
  | { t: 'bool'; v: boolean }
  | { t: 'none' };

const WS = new Set([' ', '\t', '\n', '\r']);
const NUMBER = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?/y;
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/** Parses JSON the way Python's `json.loads` does. Throws SyntaxError on invalid input. */
export function pyJsonLoads(text: string): PyValue {
  let i = 0;
  const fail = (what: string): never => {
    throw new SyntaxError(`${what} at position ${i}`);
  };
  const skip = (): void => {
    while (i < text.length && WS.has(text[i]!)) i++;
  };
  const str = (): string => {
    i++; // opening quote
    let out = '';
    for (;;) {
      const c = text[i];
      if (c === undefined) return fail('unterminated string');
      if (c === '"') { i++; return out; }
      if (c === '\\') {
        const e = text[i + 1];
        if (e === 'u') {
          const hex = text.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) return fail('invalid \\u escape');
          out += String.fromCharCode(parseInt(hex, 16)); // surrogate halves pair up as UTF-16 does
          i += 6;
        } else if (e !== undefined && ESCAPES[e] !== undefined) {
          out += ESCAPES[e]; i += 2;
        } else {
          return fail('invalid escape');
        }
      } else {
        if (c < ' ') return fail('control character in string');
        out += c; i++;
      }
    }
  };
  const value = (): PyValue => {
    skip();
    const c = text[i];
    if (c === '{') {
      i++;
      const entries: [string, PyValue][] = [];
      const index = new Map<string, number>();
      skip();
      if (text[i] === '}') { i++; return { t: 'dict', entries }; }
      for (;;) {
        skip();
        if (text[i] !== '"') return fail('expected a property name');
        const k = str();
        skip();
        if (text[i] !== ':') return fail("expected ':'");
        i++;
        const v = value();
        const at = index.get(k);
        if (at !== undefined) entries[at] = [k, v]; // Python: first position, last value
        else { index.set(k, entries.length); entries.push([k, v]); }
        skip();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return { t: 'dict', entries }; }
        return fail("expected ',' or '}'");
      }
    }
    if (c === '[') {
      i++;
      const items: PyValue[] = [];
      skip();
      if (text[i] === ']') { i++; return { t: 'list', items }; }
      for (;;) {
        items.push(value());
        skip();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; return { t: 'list', items }; }
        return fail("expected ',' or ']'");
      }
    }
    if (c === '"') return { t: 'str', v: str() };
    for (const [word, v] of [['true', { t: 'bool', v: true }], ['false', { t: 'bool', v: false }], ['null', { t: 'none' }],
      ['NaN', { t: 'float', v: NaN }], ['Infinity', { t: 'float', v: Infinity }], ['-Infinity', { t: 'float', v: -Infinity }]] as const) {
      if (text.startsWith(word, i)) { i += word.length; return v; }
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (!m) return fail('unexpected character');
    i += m[0].length;
    return m[1] === undefined && m[2] === undefined ? { t: 'int', v: BigInt(m[0]) } : { t: 'float', v: Number(m[0]) };
  };
  const v = value();
  skip();
  if (i !== text.length) return fail('extra data');
  return v;
}

/** Python's `repr(float)`: shortest round-trip digits, exponent form when the exponent is < -4 or ≥ 16. */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mant, expText] = x.toExponential().split('e') as [string, string];
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  const exp = Number(expText);
  const sign = neg ? '-' : '';
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const whole = digits.length > exp + 1 ? digits.slice(0, exp + 1) : digits.padEnd(exp + 1, '0');
  const frac = digits.slice(exp + 1);
  return `${sign}${whole}.${frac === '' ? '0' : frac}`;
}

function hex4(n: number): string {
  return n.toString(16).padStart(4, '0');
}

/** Python json's string encoder with ensure_ascii=True (lowercase \uXXXX, surrogate pairs for astral chars). */
function jsonString(s: string): string {
  let out = '"';
  for (let k = 0; k < s.length; k++) {
    const c = s[k]!;
    const code = s.charCodeAt(k);
    if (c === '"') out += '\\"';
    else if (c === '\\') out += '\\\\';
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else if (c === '\b') out += '\\b';
    else if (c === '\f') out += '\\f';
    else if (code < 0x20 || code > 0x7e) out += `\\u${hex4(code)}`; // UTF-16 units: astral chars become pairs
    else out += c;
  }
  return `${out}"`;
}

/** `json.dumps(value)` (default: `", "`, `": "`) or with `separators=(",",":")` when `compact`. */
export function pyDumpsValue(v: PyValue, compact = false): string {
  const [item, kv] = compact ? [',', ':'] : [', ', ': '];
  switch (v.t) {
    case 'dict': return `{${v.entries.map(([k, x]) => `${jsonString(k)}${kv}${pyDumpsValue(x, compact)}`).join(item)}}`;
    case 'list': return `[${v.items.map((x) => pyDumpsValue(x, compact)).join(item)}]`;
    case 'str': return jsonString(v.v);
    case 'int': return v.v.toString();
    case 'float': return Number.isNaN(v.v) ? 'NaN' : !Number.isFinite(v.v) ? (v.v > 0 ? 'Infinity' : '-Infinity') : pyFloatRepr(v.v);
    case 'bool': return v.v ? 'true' : 'false';
    case 'none': return 'null';
  }
}

/** Characters Python's str.isprintable() rejects (other than ASCII space): Cc, Cf, Cs, Co, Cn, Zl, Zp, Zs. */
const NON_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

/** Python's `repr(str)`: single quotes unless the text has a ' and no ", escapes for non-printables. */
export function pyStrRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) { // by code point; a lone surrogate comes out alone
    const cp = ch.codePointAt(0)!;
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\t') out += '\\t';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (cp < 0x7f && cp >= 0x20) out += ch;
    else if (cp < 0x7f || cp === 0x7f || (ch !== ' ' && NON_PRINTABLE.test(ch))) {
      out += cp <= 0xff ? `\\x${cp.toString(16).padStart(2, '0')}`
        : cp <= 0xffff ? `\\u${hex4(cp)}` : `\\U${cp.toString(16).padStart(8, '0')}`;
    } else out += ch;
  }
  return out + quote;
}

/** `str(value)` / `repr(value)` of what json.loads returned (dict, list, str, int, float, True/False/None). */
export function pyReprValue(v: PyValue): string {
  switch (v.t) {
    case 'dict': return `{${v.entries.map(([k, x]) => `${pyStrRepr(k)}: ${pyReprValue(x)}`).join(', ')}}`;
    case 'list': return `[${v.items.map(pyReprValue).join(', ')}]`;
    case 'str': return pyStrRepr(v.v);
    case 'int': return v.v.toString();
    case 'float': return pyFloatRepr(v.v);
    case 'bool': return v.v ? 'True' : 'False';
    case 'none': return 'None';
  }
}

/** `json.dumps(json.loads(text))`, or with compact separators. Throws SyntaxError when `text` is not JSON. */
export function pyJsonDumps(text: string, compact = false): string {
  return pyDumpsValue(pyJsonLoads(text), compact);
}

/**
 * `str(json.loads(text))` — note a top-level string is printed bare by str() (f-strings use str()), while inside
 * containers Python uses repr. Throws SyntaxError when `text` is not JSON.
 */
export function pyStr(text: string): string {
  const v = pyJsonLoads(text);
  return v.t === 'str' ? v.v : pyReprValue(v);
}
