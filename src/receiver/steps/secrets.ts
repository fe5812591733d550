/**
 * Secret references in step configs: `{"secret": "NAME"}` where a field allows one (an SMTP password, a Slack webhook
 * URL, an HTTP header value). The stored and recorded config keeps the reference; the value is looked up at run time,
 * only for the field that allows it, and scrubbed (`[secret NAME]`) from whatever the step returns: outputs and error
 * text alike, since a library's error message may echo a URL or a header that holds the value.
 */
import { z } from 'zod';

export interface SecretRef {
  secret: string;
}

/** The one rule for secret names, shared by the secrets API and step references. */
export const SECRET_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

export const secretRefSchema = z.strictObject({
  secret: z.string().regex(SECRET_NAME, { error: 'must be a secret name: a letter, then letters, digits and _ (at most 64)' }),
});

/** A config type with every secret reference replaced by its value. */
export type Resolved<T> = T extends SecretRef
  ? string
  : T extends readonly (infer U)[]
    ? Resolved<U>[]
    : T extends object
      ? { [K in keyof T]: Resolved<T[K]> }
      : T;

export function isSecretRef(v: unknown): v is SecretRef {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const keys = Object.keys(v);
  return keys.length === 1 && keys[0] === 'secret' && typeof (v as { secret: unknown }).secret === 'string';
}

/**
 * Thrown when a referenced secret has no value; steps report it as a permanent (not retried) failure. The message
 * (the step's error, shown in the run) says how to set it, with the CLI and the API alike.
 */
export class MissingSecretError extends Error {
  readonly code = 'ESECRET' as const;
  constructor(readonly secretName: string) {
    super(missingSecretMessage(secretName));
    this.name = 'MissingSecretError';
  }
}

/** The one wording for an unset secret, for every step. */
export function missingSecretMessage(name: string): string {
  return `secret "${name}" is not set: set it with \`switchyard secrets set ${name}\` or PUT /api/v1/secrets/${name} {"value": "…"}`;
}

export type SecretLookup = (name: string) => string | undefined;

/** Plain (not-own-prototype-polluting) deep map over JSON-like values. */
function mapDeep(value: unknown, leaf: (v: unknown) => unknown, mapKey: (k: string) => string = (k) => k): unknown {
  const replaced = leaf(value);
  if (replaced !== value) return replaced;
  if (Array.isArray(value)) return value.map((v) => mapDeep(v, leaf, mapKey));
  if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      Object.defineProperty(out, mapKey(k), { value: mapDeep(v, leaf, mapKey), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return value;
}

/**
 * The secrets one step run has used: resolves references (recording each value) and scrubs those values from text
 * and outputs. One scope per step run.
 */
export class SecretScope {
  readonly #lookup: SecretLookup;
  readonly #used = new Map<string, string>();
  /** The forms of the used values to scrub, longest value first (computed once per set of used secrets). */
  #forms: { name: string; forms: string[] }[] | null = null;

  constructor(lookup: SecretLookup) {
    this.#lookup = lookup;
  }

  /** Replaces every `{"secret": NAME}` inside `value` by the secret's value; throws MissingSecretError if unset. */
  resolve<T>(value: T): Resolved<T> {
    return mapDeep(value, (v) => (isSecretRef(v) ? this.#value(v.secret) : v)) as Resolved<T>;
  }

  /** Remembers a secret's value for scrubbing without resolving a reference (e.g. for a runner-level safety net). */
  remember(name: string): void {
    const v = this.#lookup(name);
    if (v !== undefined) this.#use(name, v);
  }

  #value(name: string): string {
    const v = this.#lookup(name);
    if (v === undefined) throw new MissingSecretError(name);
    this.#use(name, v);
    return v;
  }

  #use(name: string, v: string): void {
    if (this.#used.get(name) !== v) { this.#used.set(name, v); this.#forms = null; }
  }

  #scrubForms(): { name: string; forms: string[] }[] {
    if (this.#forms) return this.#forms;
    const pairs = [...this.#used].filter(([, v]) => v !== '').sort((a, b) => b[1].length - a[1].length);
    this.#forms = pairs.map(([name, value]) => ({ name, forms: formsOf(value) }));
    return this.#forms;
  }

  /** Names of the secrets resolved so far. */
  get names(): string[] {
    return [...this.#used.keys()];
  }

  /** `text` with every used secret's value (raw, URL-encoded or JSON-escaped) replaced by `[secret NAME]`. */
  scrubText(text: string): string {
    let out = text;
    for (const { name, forms } of this.#scrubForms()) {
      for (const form of forms) if (out.includes(form)) out = out.split(form).join(`[secret ${name}]`);
    }
    return out;
  }

  /** A copy of a JSON-like value with secret values scrubbed from every string (keys included); the value itself
   *  when no string in it holds one (checked on its JSON text, one pass, instead of a walk over every string). */
  scrub<T>(value: T): T {
    if (this.#used.size === 0) return value;
    if (!mayHoldAny(value, this.#scrubForms().flatMap((f) => f.forms))) return value;
    const text = (s: string) => this.scrubText(s);
    return mapDeep(value, (v) => (typeof v === 'string' ? text(v) : v), text) as T;
  }
}

/**
 * false only when no string (value or key) anywhere in `value` contains one of `needles`: JSON escapes strings
 * character by character, so a string containing a needle has JSON text containing the needle's JSON escape.
 * Anything JSON cannot render, or a needle with a lone surrogate half, answers true (the caller walks the value).
 */
export function mayHoldAny(value: unknown, needles: readonly string[]): boolean {
  if (needles.length === 0) return false;
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    return true;
  }
  if (json === undefined) return typeof value !== 'undefined';
  for (const n of needles) {
    const e = escapedOf(n);
    if (e === null || json.includes(e)) return true;
  }
  return false;
}

/** Small memo tables keyed by secret values (a few secrets, used by every step of every run). */
function memo<T>(max: number, f: (v: string) => T): (v: string) => T {
  const m = new Map<string, T>();
  return (v) => {
    let r = m.get(v);
    if (r === undefined) {
      if (m.size >= max) m.clear();
      m.set(v, (r = f(v)));
    }
    return r;
  };
}
/** The forms of a secret value scrubbed from text: raw, URL-encoded, JSON-escaped. */
const formsOf = memo(1024, (value: string) => [...new Set([value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)])].filter((f) => f !== ''));
/** A needle as it appears inside JSON text; null for one with a lone surrogate half (no reliable escape). */
const escapedOf = memo(1024, (n: string): string | null => (/[\ud800-\udfff]/.test(n) ? null : JSON.stringify(n).slice(1, -1)));

/** Replaces secret references by their values (throws MissingSecretError for an unset one). */
export function resolveSecretRefs<T>(config: T, secret: SecretLookup): Resolved<T> {
  return new SecretScope(secret).resolve(config);
}

/** The config as it may be recorded or shown: each reference becomes the string `[secret NAME]`. */
export function redactSecretRefs<T>(config: T): Resolved<T> {
  return mapDeep(config, (v) => (isSecretRef(v) ? `[secret ${v.secret}]` : v)) as Resolved<T>;
}

/** Names of all secret references anywhere in `config`. */
export function secretRefNames(config: unknown): string[] {
  const names = new Set<string>();
  mapDeep(config, (v) => {
    if (isSecretRef(v)) names.add(v.secret);
    return v;
  });
  return [...names];
}
