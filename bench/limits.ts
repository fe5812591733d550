/**
 * The machine's own limits, measured in the same run with the same load generator:
 * (a) `bare-http`: a bare node:http server (its own process, answers 200, parses nothing) under 1 KB POSTs at the
 *     scenarios' concurrency — the most requests per second any server on this machine answers to this generator;
 * (b) `pool-to-sink`: an undici Pool sending 1 KB delivery-shaped POSTs to the benchmark sink (which parses and
 *     records each) — the most deliveries per second any sender on this machine gets into the sink.
 */
import { makePool, hammer, kilobyteEvent } from './loadgen.js';
import { now, startSink, type SinkProcess } from './processes.js';
import { dist, type Dist } from './stats.js';
import { CpuMeter, type CpuUse } from './cpu.js';

export interface LimitSample {
  /** `bare-http`: 1 KB bodies; `bare-http-256k`: 256 KB bodies (the receiver's large-body scenarios). */
  limit: 'bare-http' | 'bare-http-256k' | 'pool-to-sink'; rep: number; requests: number; errors: number; perSec: number; latency: Dist; cpu: CpuUse | null;
}

const ONE_KB = kilobyteEvent(1);

/** (a): requests per second a bare node:http server answers (1 KB bodies, or 256 KB for the receiver's large bodies). */
export async function measureBareHttp(rep: number, total: number, concurrency: number, bodyKb: 1 | 256 = 1): Promise<LimitSample> {
  const bare = await startSink('bare');
  const pool = makePool(bare.url, concurrency);
  const body = bodyKb === 1 ? ONE_KB : kilobyteEvent(0).padEnd(bodyKb * 1024, ' ');
  try {
    await hammer(pool, '/', Math.min(total, 2000), concurrency, () => body); // warm-up
    const meter = new CpuMeter({ server: bare.pid, harness: process.pid });
    const r = await hammer(pool, '/', total, concurrency, () => body);
    return {
      limit: bodyKb === 1 ? 'bare-http' : 'bare-http-256k', rep, requests: r.requests, errors: r.errors, perSec: (r.requests / r.elapsedMs) * 1000, latency: dist(r.latencies),
      cpu: meter.stop(),
    };
  } finally {
    await pool.close().catch(() => {});
    await bare.stop();
  }
}

/** (b): deliveries per second an undici Pool gets into the recording sink (first send → last receipt). */
export async function measurePoolToSink(rep: number, total: number, concurrency: number, sink: SinkProcess): Promise<LimitSample> {
  const pool = makePool(sink.url, concurrency);
  try {
    await hammer(pool, '/ok/0', Math.min(total, 2000), concurrency, kilobyteEvent); // warm-up
    await sink.reset();
    const meter = new CpuMeter({ sink: sink.pid, harness: process.pid });
    const t0 = now();
    const r = await hammer(pool, '/ok/0', total, concurrency, kilobyteEvent);
    const c = await sink.waitFor(r.requests, 10_000);
    const cpu = meter.stop();
    await sink.reset();
    const span = Math.max(c.lastAt, r.lastDoneAt) - Math.min(t0, r.firstSentAt);
    return { limit: 'pool-to-sink', rep, requests: c.ok, errors: r.errors, perSec: (c.ok / span) * 1000, latency: dist(r.latencies), cpu };
  } finally {
    await pool.close().catch(() => {});
  }
}
