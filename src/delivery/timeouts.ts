/**
 * The longest one delivery attempt may run: its lease minus a margin (5 s, or a fifth of a short lease), so that an
 * attempt always ends before another worker could claim the delivery again and send it twice at once. The config
 * (delivery.timeout_ms) and the API (a webhook's timeoutMs) refuse longer timeouts; the engine cuts to it as well.
 */
export function attemptTimeoutCap(leaseMs: number): number {
  return leaseMs - Math.min(5000, leaseMs / 5);
}
