/** Prometheus metrics of the delivery engine, fed by its typed events and by outbox queries at scrape time. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Clock } from '../core/types.js';
import type { Store } from '../store/store.js';
import type { EngineEvents } from './engine-events.js';

export interface Metrics { registry: Registry; render(): Promise<string>; contentType: string }

export function createMetrics(store: Store, events: EngineEvents, clock: Clock): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'switchyard_' });
  const deliveries = new Counter({
    name: 'switchyard_deliveries_total', help: 'Delivery attempts by the state they left their delivery in (delivered, failed = will retry, dead).',
    labelNames: ['status'], registers: [registry],
  });
  const attempts = new Counter({
    name: 'switchyard_delivery_attempts_total', help: 'Delivery attempts by outcome class (ok, http, timeout, connect, dns, reset, tls, refused, other).',
    labelNames: ['outcome'], registers: [registry],
  });
  const latency = new Histogram({
    name: 'switchyard_delivery_attempt_duration_seconds', help: 'Duration of delivery attempts, from request start to response end.',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: [registry],
  });
  const disabled = new Counter({ name: 'switchyard_webhooks_disabled_total', help: 'Webhooks disabled by the engine (410 Gone, or failing for too long).', registers: [registry] });
  const depth = new Gauge({
    name: 'switchyard_outbox_deliveries', help: 'Deliveries in the outbox by status (delivered ones are not counted).', labelNames: ['status'], registers: [registry],
  });
  const oldest = new Gauge({ name: 'switchyard_outbox_oldest_open_age_seconds', help: 'Age of the oldest delivery not yet delivered or dead.', registers: [registry] });

  events.on('delivery:attempt', (e) => {
    deliveries.inc({ status: e.status });
    attempts.inc({ outcome: e.outcome });
    latency.observe(e.durationMs / 1000);
  });
  events.on('webhook:disabled', () => disabled.inc());

  return {
    registry,
    contentType: registry.contentType,
    async render() {
      const s = await store.outboxStats(clock.now());
      for (const st of ['pending', 'delivering', 'failed', 'dead'] as const) depth.set({ status: st }, s[st]);
      oldest.set(s.oldestDueCreatedAt === null ? 0 : Math.max(0, (clock.now() - s.oldestDueCreatedAt) / 1000));
      return registry.metrics();
    },
  };
}
