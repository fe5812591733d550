/**
 * The receiver scenarios: catch-hook ingest (1 KB and 256 KB bodies, full load and open loop) and flows
 * (catch → verify_signature → paths → noop; the seed's Python code step). Each run starts its own Switchyard on a
 * fresh data dir, creates one flow, warms up, measures and stops Switchyard again.
 *
 * Ingest figures come from the load generator (a capture counts once its 200 arrived: it is durable by then); the
 * harness then checks in the SQLite file that every acknowledged capture is there. Flow figures come from the runs
 * table, read (read-only) from the same file: runs per second from the first request to the last run's end, and
 * how many took the expected path (verified: PASS).
 */
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Pool } from 'undici';
import { ADMIN_TOKEN, now, startSwitchyard, type SwitchyardProcess } from './processes.js';
import { apiClient, kilobyteEvent, makePool, paced, runConcurrently } from './loadgen.js';
import { dist, type Dist } from './stats.js';
import { CpuMeter, type CpuUse } from './cpu.js';
import { SEED_SNIPPET_REPAIRED } from '../src/sandbox/seed-snippet.js';

export type FlowKind = 'off' | 'noop' | 'verify' | 'python';

export interface ReceiverScenarioDef {
  name: string;
  title: string;
  bodyKb: 1 | 256;
  /** closed: `concurrency` requests in flight (full load); open: `rate` requests per second on a fixed schedule. */
  load: 'closed' | 'open';
  /** off: the flow is off (captures only); noop: one noop step; verify: verify_signature → paths → noop; python: the seed's snippet. */
  flow: FlowKind;
}

export const RECEIVER_SCENARIOS: ReceiverScenarioDef[] = [
  { name: 'ingest-1k', title: 'catch hook, 1 KB bodies, flow off, closed loop', bodyKb: 1, load: 'closed', flow: 'off' },
  { name: 'ingest-1k-2000', title: 'catch hook, 1 KB bodies, flow off, open loop', bodyKb: 1, load: 'open', flow: 'off' },
  { name: 'ingest-1k-2000-runs', title: 'catch hook, 1 KB bodies, flow on (one noop step), open loop', bodyKb: 1, load: 'open', flow: 'noop' },
  { name: 'ingest-256k', title: 'catch hook, 256 KB bodies, flow off, closed loop', bodyKb: 256, load: 'closed', flow: 'off' },
  { name: 'ingest-256k-2000', title: 'catch hook, 256 KB bodies, flow off, open loop', bodyKb: 256, load: 'open', flow: 'off' },
  { name: 'flow-verify', title: 'catch → verify_signature (determined) → paths → noop, closed loop', bodyKb: 1, load: 'closed', flow: 'verify' },
  { name: 'flow-python', title: "catch → the seed's Python code step (Pyodide), closed loop", bodyKb: 1, load: 'closed', flow: 'python' },
];

export interface ReceiverCounts {
  /** Captures per measured closed-loop run with 1 KB bodies (ingest-1k). */
  captures: number;
  /** Captures per measured closed-loop run with 256 KB bodies. */
  captures256k: number;
  /** Captures (and so runs) per measured flow-verify run. */
  flowRuns: number;
  /** Captures (and so runs) per measured flow-python run. */
  pythonRuns: number;
  /** Captures before each measurement (not measured). */
  warmup: number;
  concurrency: number;
  /** Open loop: requests per second, and for how long (the 256 KB one runs for `openSeconds256k`). */
  rate: number;
  openSeconds: number;
  openSeconds256k: number;
  drainTimeoutMs: number;
}

export interface ReceiverSample {
  scenario: string;
  rep: number;
  bodyKb: number;
  load: 'closed' | 'open';
  flow: FlowKind;
  offeredRate: number | null;
  /** Requests answered 200 during the measurement. */
  captured: number;
  errors: number;
  errorSamples: string[];
  /** Open loop: requests not sent because `maxInFlight` were still waiting (the server fell behind). */
  skipped: number;
  openLoopMaxLagMs: number | null;
  /** Acknowledged captures per second, first send → last 200. */
  capturesPerSec: number;
  /** Send → response headers, ms. */
  latency: Dist;
  /** Acknowledged captures the harness found in the database afterwards (must equal `captured`). */
  capturesStored: number;
  /** Runs of the measured captures (null when the flow is off). */
  runs: number | null;
  runsSucceeded: number | null;
  /** Runs that took the expected path (verify: PASS → the noop; python: the snippet returned PASS). */
  runsAsExpected: number | null;
  /** First send → last run's end. */
  runsPerSec: number | null;
  /** Last run's end − last acknowledgement, ms (how far the runner trailed ingest). */
  runsTrailMs: number | null;
  /** CPU time of the Switchyard process per capture (ingest) or per run (flows), µs. */
  cpuUsPerOp: number | null;
  peakRssMb: number | null;
  cpu: CpuUse | null;
  complete: boolean;
  wallMs: number;
}

const SIGNING_KEY = 'bench-determined-signing-key-0123456789';

/** The Determined-signed request for one experiment: a 1 KB event body and the seed's two headers. */
function signedRequest(i: number): { body: string; headers: Record<string, string> } {
  const body = kilobyteEvent(i);
  const ts = String(Math.floor(Date.now() / 1000));
  const sig = createHmac('sha256', SIGNING_KEY).update(`${ts},${body}`).digest('hex');
  return { body, headers: { 'content-type': 'application/json', 'x-determined-ai-signature-timestamp': ts, 'x-determined-ai-signature': sig } };
}

function flowDefinition(kind: FlowKind, name: string): unknown {
  const base = { name, enabled: kind !== 'off' };
  switch (kind) {
    case 'off':
      return { ...base, steps: [{ id: 'done', type: 'noop', config: {} }] };
    case 'noop':
      return { ...base, steps: [{ id: 'done', type: 'noop', config: { output: '{{capture.json.event_id}}' } }] };
    case 'verify':
      return {
        ...base, steps: [
          { id: 'verify', type: 'verify_signature', config: { preset: 'determined', keys: [{ secret: 'DET_KEY' }] } },
          { id: 'route', type: 'paths', paths: [
            { name: 'verified', when: { left: 'steps.verify.result', op: 'equals', right: 'PASS' }, steps: [
              { id: 'passed', type: 'noop', config: { output: { experiment: '{{steps.verify.payload.event_data.experiment.id}}' } } }] },
            { name: 'not verified', fallback: true, steps: [{ id: 'rejected', type: 'noop', config: { output: '{{steps.verify.reason}}' } }] },
          ] },
        ],
      };
    case 'python':
      return {
        ...base, steps: [{
          id: 'code', type: 'code', config: {
            language: 'python', code: SEED_SNIPPET_REPAIRED, inputData: {
              webhook_signing_key: SIGNING_KEY, timestamp: '{{capture.headers.x-determined-ai-signature-timestamp}}',
              signature: '{{capture.headers.x-determined-ai-signature}}', payload: '{{capture.body}}',
            },
          },
        }],
      };
  }
}

/** What one request sends: body and headers (requests cycle through a few prepared ones). */
type Req = { body: string; headers: Record<string, string> };

class Requests {
  captured = 0;
  errors = 0;
  errorSamples: string[] = [];
  skipped = 0;
  latencies: number[] = [];
  firstSentAt = Infinity;
  lastAckAt = -Infinity;

  constructor(private readonly pool: Pool, private readonly path: string, private readonly reqs: Req[]) {}

  async fire(i: number): Promise<void> {
    const r = this.reqs[i % this.reqs.length]!;
    const t0 = now();
    if (t0 < this.firstSentAt) this.firstSentAt = t0;
    try {
      const res = await this.pool.request({ path: this.path, method: 'POST', headers: r.headers, body: r.body });
      const t1 = now();
      const text = await res.body.text();
      if (res.statusCode !== 200) { this.fail(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`); return; }
      this.captured++;
      this.latencies.push(t1 - t0);
      if (t1 > this.lastAckAt) this.lastAckAt = t1;
    } catch (e) {
      this.fail(String(e));
    }
  }

  private fail(msg: string): void {
    this.errors++;
    if (this.errorSamples.length < 5) this.errorSamples.push(msg);
  }
}

interface RunCounts { runs: number; succeeded: number; pending: number; lastFinishedAt: number | null; asExpected: number; captures: number }

/** Reads the runs and captures after the given ids from Switchyard's SQLite file (read-only, WAL: no lock on writers). */
class RunsView {
  private readonly db: Database.Database;
  constructor(sw: SwitchyardProcess) {
    this.db = new Database(join(sw.dataDir, 'switchyard.db'), { readonly: true, fileMustExist: true });
  }
  maxIds(): { run: number; capture: number } {
    const r = this.db.prepare('SELECT (SELECT COALESCE(MAX(id), 0) FROM runs) AS run, (SELECT COALESCE(MAX(id), 0) FROM captures) AS capture').get() as { run: number; capture: number };
    return r;
  }
  counts(after: { run: number; capture: number }, flow: FlowKind): RunCounts {
    const r = this.db.prepare(`SELECT COUNT(*) AS runs, COALESCE(SUM(status = 'succeeded'), 0) AS succeeded,
        COALESCE(SUM(status IN ('queued', 'running', 'retrying')), 0) AS pending, MAX(finished_at) AS lastFinishedAt
      FROM runs WHERE id > ?`).get(after.run) as Omit<RunCounts, 'asExpected' | 'captures'>;
    const expected = flow === 'verify' ? `step_id = 'passed' AND status = 'succeeded'`
      : flow === 'python' ? `step_id = 'code' AND status = 'succeeded' AND json_extract(output, '$.result') = 'PASS'`
        : `step_id = 'done' AND status = 'succeeded'`;
    const e = this.db.prepare(`SELECT COUNT(*) AS n FROM run_steps WHERE run_id > ? AND ${expected}`).get(after.run) as { n: number };
    const c = this.db.prepare('SELECT COUNT(*) AS n FROM captures WHERE id > ?').get(after.capture) as { n: number };
    return { ...r, asExpected: e.n, captures: c.n };
  }
  /**
   * Runs not finished: read off the two partial indexes of unfinished runs, so a poll costs what is pending, not
   * what has finished (counting every finished run's steps, JSON included, 40 times a second took a good part of a
   * core from the Switchyard being measured).
   */
  pending(): number {
    return (this.db.prepare(`SELECT (SELECT COUNT(*) FROM runs INDEXED BY runs_queued WHERE status IN ('queued', 'retrying'))
        + (SELECT COUNT(*) FROM runs INDEXED BY runs_leased WHERE status = 'running') AS n`).get() as { n: number }).n;
  }
  /** Polls until no run is pending (or the timeout); then counts the runs after `after` once. */
  async drain(after: { run: number; capture: number }, flow: FlowKind, timeoutMs: number): Promise<RunCounts> {
    const until = now() + timeoutMs;
    while (this.pending() > 0 && now() <= until) await new Promise((r) => setTimeout(r, 25));
    return this.counts(after, flow);
  }
  close(): void {
    this.db.close();
  }
}

export async function runReceiverScenario(def: ReceiverScenarioDef, rep: number, counts: ReceiverCounts, profileDir?: string): Promise<ReceiverSample> {
  const wall0 = now();
  const sw = await startSwitchyard({ profileDir });
  const pool = makePool(sw.url, Math.max(counts.concurrency, 8));
  let view: RunsView | null = null;
  try {
    const api = apiClient(pool, ADMIN_TOKEN);
    await api.call('PUT', '/secrets/DET_KEY', { value: SIGNING_KEY });
    const flow = (await api.call<{ flow: { id: number; catchUrl: string } }>('POST', '/flows', flowDefinition(def.flow, `bench-${def.name}`))).flow;
    const path = new URL(flow.catchUrl).pathname;
    const runs = def.flow !== 'off';
    // Requests cycle through 64 prepared ones (experiment ids 0–63), so the generator costs about what the bare
    // server's does; signed ones are signed now, well within verify_signature's 300 s tolerance.
    const reqs: Req[] = Array.from({ length: 64 }, (_, i) => {
      if (def.flow === 'verify' || def.flow === 'python') return signedRequest(i);
      const body = def.bodyKb === 1 ? kilobyteEvent(i) : kilobyteEvent(i).padEnd(def.bodyKb * 1024, ' ');
      return { body, headers: { 'content-type': 'application/json' } };
    });
    view = new RunsView(sw);

    // Warm-up: the same requests, not measured; their runs finish before the measurement starts.
    const warm = new Requests(pool, path, reqs);
    const warmup = def.bodyKb === 1 ? counts.warmup : Math.max(10, Math.round(counts.warmup / 10));
    await runConcurrently(warmup, counts.concurrency, (i) => warm.fire(i));
    if (warm.errors) throw new Error(`warm-up: ${warm.errors} requests failed (${warm.errorSamples.join('; ')})`);
    if (runs) await view.drain(view.maxIds(), def.flow, counts.drainTimeoutMs);
    const after = view.maxIds();

    const total = def.load === 'open'
      ? Math.max(1, Math.round(counts.rate * (def.bodyKb === 1 ? counts.openSeconds : counts.openSeconds256k)))
      : def.flow === 'verify' ? counts.flowRuns : def.flow === 'python' ? counts.pythonRuns
        : def.bodyKb === 1 ? counts.captures : counts.captures256k;
    const r = new Requests(pool, path, reqs);
    const meter = new CpuMeter({ switchyard: sw.pid, harness: process.pid });
    const t0 = now();
    let maxLag: number | null = null;
    if (def.load === 'open') maxLag = (await paced((i) => r.fire(i), total, counts.rate, counts.concurrency * 16, () => { r.skipped++; })).maxLagMs;
    else await runConcurrently(total, counts.concurrency, (i) => r.fire(i));
    const loadEnd = now();
    const c = runs ? await view.drain(after, def.flow, counts.drainTimeoutMs) : view.counts(after, def.flow);
    const tStop = now();
    const cpu = meter.stop();
    const ops = runs ? c.runs : r.captured;
    const cores = cpu?.cores.switchyard;
    const start = Number.isFinite(r.firstSentAt) ? r.firstSentAt : t0;
    return {
      scenario: def.name, rep, bodyKb: def.bodyKb, load: def.load, flow: def.flow,
      offeredRate: def.load === 'open' ? counts.rate : null, captured: r.captured, errors: r.errors, errorSamples: r.errorSamples,
      skipped: r.skipped, openLoopMaxLagMs: maxLag,
      capturesPerSec: r.lastAckAt > start ? (r.captured / (r.lastAckAt - start)) * 1000 : NaN,
      latency: dist(r.latencies), capturesStored: c.captures,
      runs: runs ? c.runs : null, runsSucceeded: runs ? c.succeeded : null, runsAsExpected: runs ? c.asExpected : null,
      runsPerSec: runs && c.lastFinishedAt !== null && c.lastFinishedAt > start ? (c.runs / (c.lastFinishedAt - start)) * 1000 : null,
      runsTrailMs: runs && c.lastFinishedAt !== null ? c.lastFinishedAt - r.lastAckAt : null,
      cpuUsPerOp: cores !== undefined && ops > 0 ? (cores * (tStop - t0) * 1000) / ops : null,
      peakRssMb: sw.rss.stop(), cpu,
      complete: r.errors === 0 && r.skipped === 0 && c.captures >= r.captured && (!runs || (c.pending === 0 && c.asExpected === c.runs && c.runs === r.captured)),
      wallMs: now() - wall0,
    };
  } finally {
    view?.close();
    await pool.close().catch(() => {});
    await sw.stop();
  }
}
