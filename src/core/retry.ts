/**
 * Retry policies as data. `determined` reproduces Determined's shipper (spec §5): cenkalti/backoff
 * ExponentialBackOff{initial 1 s, multiplier 1.5, randomization ±50 %, max 1 min} with 2 retries ⇒ 3 attempts,
 * waits ≈ U[0.5 s, 1.5 s] then U[0.75 s, 2.25 s]. Network errors and 5xx retry, 4xx is final, < 400 is success.
 */
export interface RetryPolicy {
  name: string;
  maxAttempts: number;
  /** Wait in ms after attempt n (1-based) fails, before attempt n+1; `rand` is uniform in [0, 1). */
  delayAfter(attempt: number, rand: number): number;
}

export const determinedPolicy: RetryPolicy = {
  name: 'determined',
  maxAttempts: 3,
  delayAfter(attempt, rand) {
    const base = Math.min(1000 * 1.5 ** (attempt - 1), 60_000);
    return Math.round(base * (0.5 + rand));
  },
};

export type AttemptVerdict = 'success' | 'retry' | 'final';

/**
 * Determined's outcome table, with one deliberate change: transport errors and >= 500 retry, 400-499 is final,
 * 2xx succeeds. Determined's Go client follows redirects; Switchyard does not (a redirect could lead a signed
 * payload anywhere), so a 3xx is a final failure that names the Location in the attempt log.
 */
export function classifyDetermined(statusCode: number | null): AttemptVerdict {
  if (statusCode === null || statusCode >= 500) return 'retry';
  if (statusCode >= 300) return 'final';
  return 'success';
}
