/** Percentiles, medians and the pairing of acknowledgements with the deliveries the sink received. */
import { RECORD_WIDTH } from './sink.js';

export interface Dist { count: number; mean: number; p50: number; p90: number; p99: number; p999: number; max: number; min: number }

/** Nearest-rank percentiles of a sample (ms). */
export function dist(values: ArrayLike<number>): Dist {
  const a = Float64Array.from(values).sort();
  const n = a.length;
  if (n === 0) return { count: 0, mean: NaN, p50: NaN, p90: NaN, p99: NaN, p999: NaN, max: NaN, min: NaN };
  const at = (q: number) => a[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]!;
  let sum = 0;
  for (const v of a) sum += v;
  return { count: n, mean: sum / n, p50: at(0.5), p90: at(0.9), p99: at(0.99), p999: at(0.999), max: a[n - 1]!, min: a[0]! };
}

/** Median and range of repeated measurements (NaN where there are none). */
export function summary(values: number[]): { median: number; min: number; max: number } {
  const a = values.filter((v) => Number.isFinite(v)).sort((x, y) => x - y);
  if (a.length === 0) return { median: NaN, min: NaN, max: NaN };
  const mid = Math.floor(a.length / 2);
  const median = a.length % 2 ? a[mid]! : (a[mid - 1]! + a[mid]!) / 2;
  return { median, min: a[0]!, max: a[a.length - 1]! };
}

export interface Acks { expIds: number[]; states: number[]; ackAt: number[] }

export interface Matched {
  /** Acknowledgement → receipt, ms, one per matched delivery. */
  latencies: Float64Array;
  /** Deliveries with no acknowledgement left to pair with (duplicates, or events from before the measurement). */
  unmatched: number;
  /** Acknowledged events that no delivery reached (per healthy webhook). */
  missing: number;
  firstReceiptAt: number;
  lastReceiptAt: number;
}

/**
 * Pairs each delivery the sink recorded for one of `webhooks` with the acknowledgement of the state change that
 * caused it: same experiment, same new state, and, since one experiment moves to the same state many times, the
 * n-th such delivery (by receipt time) with the n-th such acknowledgement (by ack time). Deliveries are claimed in
 * enqueue order, so a mismatch needs a delivery overtaken by a later change of the same experiment (K experiments
 * in round robin apart); the harness keeps K large enough for that not to happen.
 */
export function matchDeliveries(acks: Acks, records: number[], webhooks: number[]): Matched {
  const byKey = new Map<number, number[]>();
  for (let i = 0; i < acks.ackAt.length; i++) {
    const key = acks.expIds[i]! * 4 + acks.states[i]!;
    let list = byKey.get(key);
    if (!list) byKey.set(key, (list = []));
    list.push(acks.ackAt[i]!); // acks of one experiment arrive in order: it never has two requests in flight
  }
  const wanted = new Set(webhooks);
  const perHook = new Map<number, Map<number, number[]>>();
  let firstReceiptAt = Infinity;
  let lastReceiptAt = -Infinity;
  for (let r = 0; r < records.length; r += RECORD_WIDTH) {
    const w = records[r]!;
    if (!wanted.has(w)) continue;
    const key = records[r + 1]! * 4 + records[r + 2]!;
    const at = records[r + 3]!;
    firstReceiptAt = Math.min(firstReceiptAt, at);
    lastReceiptAt = Math.max(lastReceiptAt, at);
    let m = perHook.get(w);
    if (!m) perHook.set(w, (m = new Map()));
    let list = m.get(key);
    if (!list) m.set(key, (list = []));
    list.push(at);
  }
  const latencies: number[] = [];
  let unmatched = 0;
  let missing = 0;
  for (const w of wanted) {
    const m = perHook.get(w) ?? new Map<number, number[]>();
    for (const [key, ackTimes] of byKey) {
      const got = (m.get(key) ?? []).sort((a, b) => a - b);
      const n = Math.min(got.length, ackTimes.length);
      for (let i = 0; i < n; i++) latencies.push(got[i]! - ackTimes[i]!);
      missing += ackTimes.length - n;
      unmatched += got.length - n;
    }
    for (const [key, got] of m) if (!byKey.has(key)) unmatched += got.length;
  }
  return { latencies: Float64Array.from(latencies), unmatched, missing, firstReceiptAt, lastReceiptAt };
}
