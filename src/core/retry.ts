/**
 * Retry policies as data, and the one table that says which outcomes retry.
 *
 * A policy is a list of waits between attempts plus jitter: attempt 1 is immediate, attempt n+1 waits
 * `schedule[n-1]` (± jitter) after attempt n fails; when the schedule runs out the delivery is dead.
 *
 * - `default`: immediately, 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 3 h, 6 h, 12 h, 24 h (±20 %): 11 attempts over
 *   about two days.
 * - `determined`: Determined's shipper (spec §5): cenkalti/backoff with initial 1 s, multiplier 1.5, ±50 %, two
 *   retries ⇒ 3 attempts, waits ≈ U[0.5 s, 1.5 s] then U[0.75 s, 2.25 s]; only transport errors and 5xx retry.
 * - custom: a webhook's own list of waits, in seconds.
 *
 * Outcomes: 2xx succeeds. Transport errors (DNS, connect, reset, TLS, timeout), 408, 429 and 5xx retry (under
 * `determined`, only transport errors and 5xx). 410 Gone is final and disables the webhook. Any other 3xx/4xx is
 * final (redirects are never followed). A request the SSRF guard refused is final: retrying cannot change it.
 */
import type { RetrySpec } from '../store/store.js';

export interface RetryPolicy {
  name: string;
  /** Waits in ms between attempts; its length + 1 is the number of attempts. */
  scheduleMs: number[];
  /** ± fraction applied to each wait. */
  jitter: number;
  /** HTTP statuses (besides transport errors) that retry. */
  retryStatus(status: number): boolean;
}

const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;

const standardRetryStatus = (s: number): boolean => s === 408 || s === 429 || s >= 500;

export const defaultPolicy: RetryPolicy = {
  name: 'default',
  scheduleMs: [5 * SEC, 30 * SEC, 2 * MIN, 10 * MIN, 30 * MIN, 1 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, 24 * HOUR],
  jitter: 0.2,
  retryStatus: standardRetryStatus,
};

export const determinedPolicy: RetryPolicy = {
  name: 'determined',
  scheduleMs: [1000, 1500],
  jitter: 0.5,
  retryStatus: (s) => s >= 500,
};

export const MAX_CUSTOM_ATTEMPTS = 50;
export const MAX_WAIT_MS = 7 * 24 * HOUR;

export function policyFor(spec: RetrySpec | null, fallback: RetryPolicy): RetryPolicy {
  if (!spec) return fallback;
  switch (spec.policy) {
    case 'default': return defaultPolicy;
    case 'determined': return determinedPolicy;
    case 'custom': return { name: 'custom', scheduleMs: spec.scheduleSeconds.map((s) => s * SEC), jitter: 0.1, retryStatus: standardRetryStatus };
  }
}

export function maxAttempts(p: RetryPolicy): number {
  return p.scheduleMs.length + 1;
}

/** The wait after attempt `attempt` (1-based) failed, or null when the policy has no attempts left. */
export function delayAfter(p: RetryPolicy, attempt: number, rand: number): number | null {
  const base = p.scheduleMs[attempt - 1];
  if (base === undefined) return null;
  return Math.max(0, Math.round(base * (1 - p.jitter + 2 * p.jitter * rand)));
}

export type AttemptVerdict = 'success' | 'retry' | 'final' | 'gone';

/** What an attempt's result means. `statusCode` null = no HTTP response (transport error); `refused` = SSRF guard. */
export function classify(p: RetryPolicy, statusCode: number | null, refused = false): AttemptVerdict {
  if (refused) return 'final';
  if (statusCode === null) return 'retry';
  if (statusCode >= 200 && statusCode < 300) return 'success';
  if (statusCode === 410) return 'gone';
  return p.retryStatus(statusCode) ? 'retry' : 'final';
}

/** Upper bound for a server's Retry-After. */
export const MAX_RETRY_AFTER_MS = 6 * HOUR;

/**
 * Parses Retry-After (delta seconds or an HTTP date) into ms from now; null when absent or unreadable.
 */
export function parseRetryAfter(v: string | undefined, nowMs: number): number | null {
  if (!v) return null;
  const t = v.trim();
  if (/^\d+$/.test(t)) return Number(t) * SEC;
  const at = Date.parse(t);
  return Number.isFinite(at) ? Math.max(0, at - nowMs) : null;
}

/** The wait before the next attempt: the schedule's, stretched to a server's Retry-After (capped at 6 h). */
export function nextWait(scheduled: number, retryAfterMs: number | null): number {
  if (retryAfterMs === null) return scheduled;
  return Math.max(scheduled, Math.min(retryAfterMs, MAX_RETRY_AFTER_MS));
}
