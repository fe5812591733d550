/**
 * What the built-in steps share: lenient schema pieces for rendered configs (templates render to strings, so "2525"
 * is a port and "true" a boolean), outcome helpers, cancellation, and the wrapper that resolves secrets and scrubs
 * their values from whatever a step returns.
 */
import { z } from 'zod';
import { classifyError } from '../../delivery/http-sender.js';
import { isSsrfError } from '../../delivery/ssrf.js';
import type { StepOutcome, StepServices } from '../../core/flow/types.js';
import { MissingSecretError, SecretScope, secretRefSchema } from './secrets.js';

// ---- outcomes --------------------------------------------------------------------------------------------------

export function ok(output: unknown): StepOutcome {
  return { status: 'ok', output };
}

export function fail(error: string, retryable: boolean, output?: unknown): StepOutcome {
  return output === undefined ? { status: 'error', error, retryable } : { status: 'error', error, retryable, output };
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return typeof e === 'string' ? e : JSON.stringify(e) ?? String(e);
}

/** At most `max` characters of `text`, with a note of how much was left out. */
export function clip(text: string, max = 300): string {
  const t = text.trim();
  return t.length <= max ? t : `${t.slice(0, max)}… (${t.length - max} more characters)`;
}

// ---- cancellation ----------------------------------------------------------------------------------------------

export class StepCancelledError extends Error {
  constructor(reason: unknown) {
    super(`step was cancelled${reason === undefined ? '' : `: ${errorMessage(reason)}`}`);
    this.name = 'StepCancelledError';
  }
}

/** `p`, or a StepCancelledError as soon as `signal` aborts (the work behind `p` is not stopped by this). */
export function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new StepCancelledError(signal.reason));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new StepCancelledError(signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => { signal.removeEventListener('abort', onAbort); resolve(v); },
      (e: unknown) => { signal.removeEventListener('abort', onAbort); reject(e); },
    );
  });
}

/**
 * Runs a step body with a fresh SecretScope: a missing secret is a permanent failure, cancellation a retryable one,
 * any other exception a retryable failure; secret values are scrubbed from the outcome's output and error text.
 */
export async function withSecrets(
  services: StepServices,
  signal: AbortSignal,
  body: (scope: SecretScope) => Promise<StepOutcome>,
): Promise<StepOutcome> {
  const scope = new SecretScope((name) => services.secret(name));
  let outcome: StepOutcome;
  try {
    if (signal.aborted) throw new StepCancelledError(signal.reason);
    outcome = await body(scope);
  } catch (e) {
    if (e instanceof MissingSecretError) outcome = fail(e.message, false);
    else if (e instanceof StepCancelledError) outcome = fail(e.message, true);
    else if (signal.aborted) outcome = fail(new StepCancelledError(signal.reason).message, true);
    else outcome = fail(`unexpected error: ${errorMessage(e)}`, true);
  }
  return scrubOutcome(scope, outcome);
}

/** The outcome with secret values scrubbed from its output, error and reason (never from `status`). */
export function scrubOutcome(scope: SecretScope, o: StepOutcome): StepOutcome {
  switch (o.status) {
    case 'ok': return { status: 'ok', output: scope.scrub(o.output) };
    case 'stop': return { status: 'stop', output: scope.scrub(o.output), reason: scope.scrubText(o.reason) };
    case 'error': {
      const error = scope.scrubText(o.error);
      return o.output === undefined
        ? { status: 'error', error, retryable: o.retryable }
        : { status: 'error', error, retryable: o.retryable, output: scope.scrub(o.output) };
    }
  }
}

/** Describes a failed outbound HTTP request (from services.http): SSRF refusals and TLS failures are permanent. */
export function describeHttpFailure(e: unknown, label: string): { message: string; retryable: boolean } {
  const { outcome, message } = classifyError(e);
  if (isSsrfError(e) || outcome === 'refused') {
    return { message: `${label} was refused by the SSRF guard (not retried): ${message}`, retryable: false };
  }
  const code = (e as { code?: unknown }).code;
  if (code === 'UND_ERR_INVALID_ARG' || e instanceof TypeError) return { message: `${label} could not be sent: ${message}`, retryable: false };
  if (outcome === 'tls') return { message: `${label} failed: ${message}`, retryable: false };
  return { message: `${label} failed: ${message}`, retryable: true };
}

/** `METHOD https://host/path` (no query string, no credentials) for messages. */
export function requestLabel(method: string, url: string): string {
  try {
    const u = new URL(url);
    return `${method} ${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return method;
  }
}

// ---- schema pieces ---------------------------------------------------------------------------------------------

const NUMERIC = /^\s*-?\d+(\.\d+)?\s*$/;

/** A whole number in [min, max]; a numeric string (as templates render) is accepted. */
export function intish(min: number, max: number) {
  return z.preprocess(
    (v) => (typeof v === 'string' && NUMERIC.test(v) ? Number(v) : v),
    z.number().int({ error: 'must be a whole number' })
      .min(min, { error: `must be at least ${min}` }).max(max, { error: `must be at most ${max}` }),
  );
}

/** A boolean; "true"/"false" (any case) accepted. */
export const boolish = z.preprocess(
  (v) => (typeof v === 'string' && /^\s*(true|false)\s*$/i.test(v) ? v.trim().toLowerCase() === 'true' : v),
  z.boolean(),
);

export const nonEmpty = z.string().trim().min(1, { error: 'must not be empty' });

/** A string, or a `{"secret": "NAME"}` reference resolved at run time. */
export function secretOr(inner: z.ZodType<string> = nonEmpty, what = 'a non-empty string') {
  return z.union([inner, secretRefSchema], { error: `must be ${what} or {"secret": "NAME"}` });
}

/** Lower-cases a string before an enum check, so "Warning" and "post" are accepted. */
export function caseless<T extends z.ZodType>(schema: T, upper = false) {
  return z.preprocess((v) => (typeof v === 'string' ? (upper ? v.trim().toUpperCase() : v.trim().toLowerCase()) : v), schema);
}

export function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}
