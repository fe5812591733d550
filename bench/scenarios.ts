/**
 * The sender scenarios. Each run starts its own Switchyard on a fresh data dir (so the outbox starts empty and the
 * process's peak RSS belongs to this scenario alone), creates its webhooks and K experiments, warms up, measures,
 * and stops Switchyard again.
 */
import { ADMIN_TOKEN, now, startSwitchyard, type SinkProcess } from './processes.js';
import { apiClient, closedLoop, makePool, openLoop, runConcurrently, StateDriver } from './loadgen.js';
import { dist, matchDeliveries, type Dist } from './stats.js';
import { CpuMeter, type CpuUse } from './cpu.js';

export type EndpointKind = 'ok' | 'fail' | 'hang';

export interface ScenarioDef {
  name: string;
  title: string;
  /** What each webhook points at and its type. */
  webhooks: { kind: EndpointKind; type: 'DEFAULT' | 'SLACK' }[];
  load: 'closed' | 'open';
  /**
   * Open loop: events per second (default: --open-rate). Set on the "sustained" scenarios, which offer exactly the
   * target delivery rate (5,000 events/s to one webhook; 1,000 events/s to ten) and show whether Switchyard keeps up
   * with it: every event acknowledged, delivered at the offered rate, latency bounded.
   */
  rate?: number;
  /** The scenario whose throughput and latency this one is compared with (healthy webhooks, per webhook). */
  baseline?: string;
}

const hooks = (n: number, kind: EndpointKind = 'ok', type: 'DEFAULT' | 'SLACK' = 'DEFAULT') =>
  Array.from({ length: n }, () => ({ kind, type }));

export const SCENARIOS: ScenarioDef[] = [
  { name: 'one-webhook', title: '1 DEFAULT webhook, closed loop', webhooks: hooks(1), load: 'closed' },
  { name: 'one-webhook-1k', title: '1 DEFAULT webhook, open loop at a fixed rate', webhooks: hooks(1), load: 'open' },
  { name: 'one-webhook-5k', title: '1 DEFAULT webhook, open loop at the target rate (5,000 events/s)', webhooks: hooks(1), load: 'open', rate: 5000 },
  { name: 'fan-out-10', title: '10 DEFAULT webhooks on one trigger, closed loop', webhooks: hooks(10), load: 'closed' },
  { name: 'fan-out-10-1k', title: '10 DEFAULT webhooks, open loop at the target rate (1,000 events/s = 10,000 deliveries/s)', webhooks: hooks(10), load: 'open', rate: 1000 },
  { name: 'slack', title: '1 SLACK webhook, closed loop', webhooks: hooks(1, 'ok', 'SLACK'), load: 'closed' },
  { name: 'bad-500', title: '9 healthy + 1 answering 500, closed loop', webhooks: [...hooks(9), ...hooks(1, 'fail')], load: 'closed', baseline: 'fan-out-10' },
  { name: 'bad-hang', title: '9 healthy + 1 never answering, closed loop', webhooks: [...hooks(9), ...hooks(1, 'hang')], load: 'closed', baseline: 'fan-out-10' },
];

export interface RunCounts {
  /** State changes per measured closed-loop run with one webhook (fan-out runs use `fanoutEvents`). */
  events: number;
  fanoutEvents: number;
  /** State changes before the measurement (not measured). */
  warmup: number;
  /** Experiments created up front and toggled round robin. */
  experiments: number;
  /** Requests in flight in closed loop. */
  concurrency: number;
  openRate: number;
  openSeconds: number;
  /** How long to wait for the last deliveries after the load ends. */
  drainTimeoutMs: number;
}

export interface ScenarioSample {
  scenario: string;
  rep: number;
  webhooks: number;
  healthyWebhooks: number;
  load: 'closed' | 'open';
  offeredRate: number | null;
  events: number;
  apiErrors: number;
  apiErrorSamples: string[];
  /** Open loop: changes not sent because the server fell so far behind that every experiment had one in flight. */
  skipped: number;
  expectedDeliveries: number;
  received: number;
  /** Healthy deliveries per second from the first acknowledgement to the last receipt. */
  deliveriesPerSec: number;
  /** Acknowledged state changes per second while the load ran. */
  acksPerSec: number;
  /** Acknowledgement → sink receipt, ms. */
  latency: Dist;
  /** Request → acknowledgement of the state change, ms. */
  apiLatency: Dist;
  unmatched: number;
  missing: number;
  duplicates: number;
  unparsed: number;
  /** Requests the bad endpoint got (500 or hung), warm-up included. */
  badRequests: number;
  openLoopMaxLagMs: number | null;
  peakRssMb: number | null;
  /** CPU from the start of the load to the last delivery (null off Linux). */
  cpu: CpuUse | null;
  complete: boolean;
  wallMs: number;
}

const triggers = [
  { triggerType: 'TRIGGER_TYPE_EXPERIMENT_STATE_CHANGE', condition: { state: 'PAUSED' } },
  { triggerType: 'TRIGGER_TYPE_EXPERIMENT_STATE_CHANGE', condition: { state: 'ACTIVE' } },
];

export async function runScenario(def: ScenarioDef, rep: number, counts: RunCounts, sink: SinkProcess, profileDir?: string): Promise<ScenarioSample> {
  const wall0 = now();
  const sw = await startSwitchyard({ profileDir });
  const pool = makePool(sw.url, Math.max(counts.concurrency, 8));
  try {
    const api = apiClient(pool, ADMIN_TOKEN);
    for (const [i, w] of def.webhooks.entries()) {
      await api.call('POST', '/webhooks', {
        url: `${sink.url}/${w.kind}/${i}`, name: `bench-${def.name}-${i}`, triggers,
        ...(w.type === 'SLACK' ? { webhookType: 'WEBHOOK_TYPE_SLACK' } : {}),
      });
    }
    const ids: number[] = new Array(counts.experiments);
    await runConcurrently(counts.experiments, 16, async (i) => {
      ids[i] = (await api.call<{ experiment: { id: number } }>('POST', '/experiments', { name: `bench-${i}` })).experiment.id;
    });
    const healthy = def.webhooks.flatMap((w, i) => (w.kind === 'ok' ? [i] : []));
    const driver = new StateDriver(pool, ADMIN_TOKEN, ids, def.webhooks.length);

    // Warm-up: the same load, not measured; wait for its deliveries so none of them leak into the measurement.
    await sink.reset();
    await closedLoop(driver, counts.warmup, counts.concurrency);
    await sink.waitFor(driver.acked * healthy.length, counts.drainTimeoutMs);
    const warm = await sink.reset();
    driver.clear();

    const fanout = def.webhooks.length > 1;
    const rate = def.rate ?? counts.openRate;
    const events = def.load === 'open' ? Math.max(1, Math.round(rate * counts.openSeconds)) : fanout ? counts.fanoutEvents : counts.events;
    const meter = new CpuMeter({ switchyard: sw.pid, sink: sink.pid, harness: process.pid });
    const loadStart = now();
    let maxLag: number | null = null;
    if (def.load === 'open') maxLag = (await openLoop(driver, events, rate)).maxLagMs;
    else await closedLoop(driver, events, counts.concurrency);
    const loadEnd = now();
    const expected = driver.acked * healthy.length;
    await sink.waitFor(expected, counts.drainTimeoutMs);
    const cpu = meter.stop();
    const { counts: final, records } = await sink.records();
    const m = matchDeliveries(driver, records, healthy);
    let firstAck = Infinity;
    let lastAck = -Infinity;
    for (const a of driver.ackAt) { firstAck = Math.min(firstAck, a); lastAck = Math.max(lastAck, a); }
    if (driver.acked === 0) { firstAck = loadStart; lastAck = loadEnd; }
    const received = final.ok;
    const span = (Number.isFinite(m.lastReceiptAt) ? m.lastReceiptAt : loadEnd) - firstAck;
    const apiLat = driver.ackAt.map((a, i) => a - driver.sentAt[i]!);
    return {
      scenario: def.name, rep, webhooks: def.webhooks.length, healthyWebhooks: healthy.length, load: def.load,
      offeredRate: def.load === 'open' ? rate : null, events, apiErrors: driver.errors,
      apiErrorSamples: driver.errorSamples, expectedDeliveries: expected, received,
      deliveriesPerSec: span > 0 ? (received / span) * 1000 : NaN,
      acksPerSec: lastAck > firstAck ? ((driver.acked - 1) / (lastAck - firstAck)) * 1000 : NaN,
      latency: dist(m.latencies), apiLatency: dist(apiLat), unmatched: m.unmatched, missing: m.missing,
      duplicates: final.duplicates, unparsed: final.unparsed, badRequests: warm.fail + warm.hang + final.fail + final.hang, skipped: driver.skipped,
      openLoopMaxLagMs: maxLag, peakRssMb: sw.rss.stop(), cpu, complete: received >= expected && driver.errors === 0 && driver.skipped === 0,
      wallMs: now() - wall0,
    };
  } finally {
    await pool.close().catch(() => {});
    await sw.stop();
  }
}
