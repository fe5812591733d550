/** The result table (what `npm run bench` prints) and the rows behind it, from the samples of one run. */
import type { LimitSample } from './limits.js';
import type { ScenarioDef, ScenarioSample } from './scenarios.js';
import type { ReceiverScenarioDef, ReceiverSample } from './receiver.js';
import { summary } from './stats.js';
import { BUSY } from './cpu.js';

export interface Row {
  scenario: string;
  metric: string;
  unit: 'req/s' | 'deliveries/s' | 'changes/s' | 'captures/s' | 'runs/s' | 'µs' | 'ms' | 'MB' | 'ratio' | 'count' | 'cores';
  values: number[];
  median: number;
  min: number;
  max: number;
  /** The product target, printed beside the figure (nothing checks it). */
  target: string;
  /** The machine limit this figure is bounded by, and the figure's fraction of it. */
  limit: number | null;
  fraction: number | null;
}

/** Targets of the product issue. */
export const TARGETS = { oneWebhookPerSec: 5_000, fanout10PerSec: 10_000, p99Ms: 25, rssMb: 300 } as const;

/** Targets of the receiver issue (4): ingest, its latency at 2,000 req/s, flows, the Python step. */
export const RECEIVER_TARGETS = { capturesPerSec: 15_000, ofBare: 0.5, p99Ms: 10, flowRunsPerSec: 5_000, pythonRunsPerSec: 500 } as const;

function row(scenario: string, metric: string, unit: Row['unit'], values: number[], target = '', limit: number | null = null): Row {
  const s = summary(values);
  return { scenario, metric, unit, values, ...s, target, limit, fraction: limit && Number.isFinite(s.median) ? s.median / limit : null };
}

/** Pairs each sample with the same repetition of `baseline` and returns f(sample, baseline) per pair. */
function paired(samples: ScenarioSample[], base: ScenarioSample[], f: (s: ScenarioSample, b: ScenarioSample) => number): number[] {
  return samples.flatMap((s) => {
    const b = base.find((x) => x.rep === s.rep);
    return b ? [f(s, b)] : [];
  });
}

/**
 * Switchyard's CPU time per healthy delivery (µs): its busy cores over its delivery rate. Steadier than the rate
 * when the machine's speed moves, for comparing two builds.
 */
export function cpuPerDelivery(s: ScenarioSample): number {
  const cores = s.cpu?.cores.switchyard;
  return cores !== undefined && s.deliveriesPerSec > 0 ? (cores * 1e6) / s.deliveriesPerSec : NaN;
}

export function buildRows(defs: ScenarioDef[], limits: LimitSample[], samples: ScenarioSample[], openRate: number): Row[] {
  const bare = limits.filter((l) => l.limit === 'bare-http');
  const toSink = limits.filter((l) => l.limit === 'pool-to-sink');
  const rows: Row[] = [
    row('machine (a)', 'bare node:http, 1 KB POSTs', 'req/s', bare.map((l) => l.perSec)),
    row('machine (a)', '  request latency p99', 'ms', bare.map((l) => l.latency.p99)),
    row('machine (b)', 'undici Pool → sink, 1 KB POSTs', 'req/s', toSink.map((l) => l.perSec)),
  ];
  const limA = summary(bare.map((l) => l.perSec)).median;
  const limB = summary(toSink.map((l) => l.perSec)).median;
  const la = Number.isFinite(limA) ? limA : null;
  const lb = Number.isFinite(limB) ? limB : null;
  const rss = `≤ ${TARGETS.rssMb} MB`;
  for (const def of defs) {
    const ss = samples.filter((s) => s.scenario === def.name);
    if (ss.length === 0) continue;
    const n = def.name;
    const v = (f: (s: ScenarioSample) => number) => ss.map(f);
    const healthy = ss[0]!.healthyWebhooks;
    const bad = healthy < ss[0]!.webhooks;
    const what = bad ? 'healthy deliveries/s' : 'deliveries/s';
    if (def.load === 'open' && def.rate !== undefined) {
      // Sustained: the target delivery rate offered on a fixed schedule. Kept up with if every change was sent and
      // acknowledged (none skipped because the server fell behind), deliveries came at the offered rate, and the
      // latency stayed bounded (a growing backlog shows as a p99 of seconds).
      const offered = def.rate * healthy;
      const target = n === 'one-webhook-5k' ? `≥ ${TARGETS.oneWebhookPerSec.toLocaleString('en-US')} sustained`
        : n === 'fan-out-10-1k' ? `≥ ${TARGETS.fanout10PerSec.toLocaleString('en-US')} sustained` : '';
      rows.push(
        row(n, `deliveries/s (offered ${offered.toLocaleString('en-US')}/s)`, 'deliveries/s', v((s) => s.deliveriesPerSec), target, lb),
        row(n, 'state changes not sent (server behind)', 'count', v((s) => s.skipped)),
        row(n, 'latency ack→receipt p50', 'ms', v((s) => s.latency.p50)),
        row(n, 'latency ack→receipt p99', 'ms', v((s) => s.latency.p99)),
        row(n, 'state change request p99', 'ms', v((s) => s.apiLatency.p99)),
      );
    } else if (def.load === 'open') {
      rows.push(
        row(n, `latency ack→receipt p50 @ ${openRate}/s`, 'ms', v((s) => s.latency.p50)),
        row(n, `latency ack→receipt p99 @ ${openRate}/s`, 'ms', v((s) => s.latency.p99), `≤ ${TARGETS.p99Ms} ms`),
        row(n, 'latency ack→receipt max', 'ms', v((s) => s.latency.max)),
        row(n, `deliveries/s (offered ${openRate} events/s)`, 'deliveries/s', v((s) => s.deliveriesPerSec)),
        row(n, 'state changes acknowledged/s', 'changes/s', v((s) => s.acksPerSec)),
        row(n, 'state change request p99', 'ms', v((s) => s.apiLatency.p99)),
      );
    } else {
      const target = n === 'one-webhook' ? `≥ ${TARGETS.oneWebhookPerSec.toLocaleString('en-US')}`
        : n === 'fan-out-10' ? `≥ ${TARGETS.fanout10PerSec.toLocaleString('en-US')}` : '';
      rows.push(
        row(n, what, 'deliveries/s', v((s) => s.deliveriesPerSec), target, lb),
        row(n, 'state changes acknowledged/s', 'changes/s', v((s) => s.acksPerSec), '', la),
        row(n, 'latency ack→receipt p50 (saturated)', 'ms', v((s) => s.latency.p50)),
        row(n, 'latency ack→receipt p99 (saturated)', 'ms', v((s) => s.latency.p99)),
      );
      const base = def.baseline ? samples.filter((s) => s.scenario === def.baseline) : [];
      if (base.length) {
        rows.push(
          row(n, `healthy per-webhook deliveries/s ÷ ${def.baseline}`, 'ratio',
            paired(ss, base, (s, b) => (s.deliveriesPerSec / s.healthyWebhooks) / (b.deliveriesPerSec / b.healthyWebhooks))),
          row(n, `healthy p99 ÷ ${def.baseline} p99`, 'ratio', paired(ss, base, (s, b) => s.latency.p99 / b.latency.p99)),
          row(n, 'requests to the bad endpoint', 'count', v((s) => s.badRequests)),
        );
      }
    }
    rows.push(
      row(n, 'Switchyard CPU (cores busy)', 'cores', v((s) => s.cpu?.cores.switchyard ?? NaN)),
      row(n, 'Switchyard CPU per delivery', 'µs', v(cpuPerDelivery)),
      row(n, 'peak RSS of Switchyard', 'MB', v((s) => s.peakRssMb ?? NaN), rss),
    );
  }
  return rows;
}

/** Rows of the receiver scenarios; ingest figures beside a bare node:http server's rate for the same body size. */
export function buildReceiverRows(defs: ReceiverScenarioDef[], limits: LimitSample[], samples: ReceiverSample[], rate: number): Row[] {
  const rows: Row[] = [];
  const lim = (name: LimitSample['limit']) => {
    const m = summary(limits.filter((l) => l.limit === name).map((l) => l.perSec)).median;
    return Number.isFinite(m) ? m : null;
  };
  const l256 = limits.filter((l) => l.limit === 'bare-http-256k');
  if (l256.length) rows.push(row('machine (a)', 'bare node:http, 256 KB POSTs', 'req/s', l256.map((l) => l.perSec)));
  const rss = `≤ ${TARGETS.rssMb} MB`;
  const n0 = (x: number) => x.toLocaleString('en-US');
  for (const def of defs) {
    const ss = samples.filter((s) => s.scenario === def.name);
    if (ss.length === 0) continue;
    const n = def.name;
    const v = (f: (s: ReceiverSample) => number | null) => ss.map((s) => f(s) ?? NaN);
    const bare = lim(def.bodyKb === 1 ? 'bare-http' : 'bare-http-256k');
    const ingest = def.flow === 'off' || def.flow === 'noop';
    if (def.load === 'closed' && ingest) {
      rows.push(
        row(n, `captures/s (${def.bodyKb} KB, full load)`, 'captures/s', v((s) => s.capturesPerSec),
          def.bodyKb === 1 ? `≥ ${n0(RECEIVER_TARGETS.capturesPerSec)}, ≥ ${RECEIVER_TARGETS.ofBare * 100} % of bare` : `≥ ${RECEIVER_TARGETS.ofBare * 100} % of bare`, bare),
        row(n, 'request latency p50 (saturated)', 'ms', v((s) => s.latency.p50)),
        row(n, 'request latency p99 (saturated)', 'ms', v((s) => s.latency.p99)),
      );
    } else if (def.load === 'open') {
      rows.push(
        row(n, `request latency p50 @ ${rate}/s`, 'ms', v((s) => s.latency.p50)),
        row(n, `request latency p99 @ ${rate}/s`, 'ms', v((s) => s.latency.p99), `< ${RECEIVER_TARGETS.p99Ms} ms`),
        row(n, 'request latency max', 'ms', v((s) => s.latency.max)),
        row(n, `captures/s (offered ${rate}/s)`, 'captures/s', v((s) => s.capturesPerSec)),
      );
      if (def.flow !== 'off') rows.push(row(n, 'runs/s (first request → last run end)', 'runs/s', v((s) => s.runsPerSec)));
    } else {
      rows.push(
        row(n, 'runs/s (first request → last run end)', 'runs/s', v((s) => s.runsPerSec),
          `≥ ${n0(def.flow === 'python' ? RECEIVER_TARGETS.pythonRunsPerSec : RECEIVER_TARGETS.flowRunsPerSec)}`),
        row(n, 'captures acknowledged/s', 'captures/s', v((s) => s.capturesPerSec), '', bare),
      );
    }
    rows.push(
      row(n, `Switchyard CPU per ${ingest && def.load === 'closed' ? 'capture' : def.flow === 'off' ? 'capture' : 'run'}`, 'µs', v((s) => s.cpuUsPerOp)),
      row(n, 'Switchyard CPU (cores busy)', 'cores', v((s) => s.cpu?.cores.switchyard ?? NaN)),
      row(n, 'peak RSS of Switchyard', 'MB', v((s) => s.peakRssMb), rss),
    );
  }
  return rows;
}

/** Receiver samples that did not go as planned. */
export function receiverProblems(samples: ReceiverSample[]): string[] {
  const out: string[] = [];
  for (const s of samples) {
    const tag = `${s.scenario} rep ${s.rep}`;
    if (s.errors) out.push(`${tag}: ${s.errors} requests failed (${s.errorSamples.join('; ')})`);
    if (s.skipped) out.push(`${tag}: the server fell behind the offered rate: ${s.skipped} requests were not sent (${s.captured} were)`);
    if (s.capturesStored < s.captured) out.push(`${tag}: ${s.captured} captures acknowledged but only ${s.capturesStored} stored`);
    if (s.runs !== null && s.runs !== s.captured) out.push(`${tag}: ${s.captured} captures made ${s.runs} runs`);
    if (s.runs !== null && s.runsAsExpected !== s.runs) out.push(`${tag}: only ${s.runsAsExpected} of ${s.runs} runs took the expected path (${s.runsSucceeded} succeeded)`);
    if (s.cpu && s.cpu.other > BUSY) out.push(`${tag}: processes outside the benchmark took ${(s.cpu.other * 100).toFixed(0)} % of the machine`);
  }
  return out;
}

function fmt(x: number, unit: Row['unit']): string {
  if (!Number.isFinite(x)) return '—';
  if (unit === 'ms') return x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : Math.round(x).toLocaleString('en-US');
  if (unit === 'ratio' || unit === 'cores') return x.toFixed(2);
  return Math.round(x).toLocaleString('en-US');
}

/** The table as aligned text (also valid Markdown). */
export function renderTable(rows: Row[]): string {
  const head = ['scenario', 'metric', 'unit', 'median', 'min–max', 'target', 'machine limit', 'of limit'];
  const body = rows.map((r) => [
    r.scenario, r.metric, r.unit, fmt(r.median, r.unit),
    r.values.length > 1 ? `${fmt(r.min, r.unit)}–${fmt(r.max, r.unit)}` : '',
    r.target, r.limit === null ? '' : fmt(r.limit, 'req/s'), r.fraction === null ? '' : `${(r.fraction * 100).toFixed(0)} %`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const right = new Set([3, 4, 6, 7]);
  const line = (cells: string[]) => `| ${cells.map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  const sep = `|${widths.map((w, i) => (right.has(i) ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(head), sep, ...body.map(line)].join('\n');
}

/** Samples that did not go as planned: said under the table, never hidden. */
export function problems(samples: ScenarioSample[], limits: LimitSample[]): string[] {
  const out: string[] = [];
  for (const l of limits) {
    if (l.errors) out.push(`${l.limit} rep ${l.rep}: ${l.errors} requests failed`);
    if (l.cpu && l.cpu.other > BUSY) out.push(`${l.limit} rep ${l.rep}: processes outside the benchmark took ${(l.cpu.other * 100).toFixed(0)} % of the machine`);
  }
  for (const s of samples) {
    const tag = `${s.scenario} rep ${s.rep}`;
    if (s.apiErrors) out.push(`${tag}: ${s.apiErrors} state changes failed (${s.apiErrorSamples.join('; ')})`);
    if (s.skipped) out.push(`${tag}: the server fell behind the offered rate: ${s.skipped} of ${s.events} state changes were not sent (every experiment had one in flight)`);
    if (s.received < s.expectedDeliveries) out.push(`${tag}: only ${s.received} of ${s.expectedDeliveries} deliveries arrived before the drain timeout`);
    if (s.unmatched) out.push(`${tag}: ${s.unmatched} deliveries matched no acknowledgement`);
    if (s.missing && s.received >= s.expectedDeliveries) out.push(`${tag}: ${s.missing} acknowledged events were not paired with a delivery`);
    if (s.duplicates) out.push(`${tag}: ${s.duplicates} duplicate deliveries (same event_id)`);
    if (s.cpu && s.cpu.other > BUSY) out.push(`${tag}: processes outside the benchmark took ${(s.cpu.other * 100).toFixed(0)} % of the machine`);
    if (s.unparsed) out.push(`${tag}: ${s.unparsed} deliveries the sink could not parse`);
  }
  return out;
}
