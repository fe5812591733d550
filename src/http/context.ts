/** Everything a route handler may use, built once at start (see src/server.ts). */
import type { Config } from '../config.js';
import type { Clock } from '../core/types.js';
import type { Store } from '../store/store.js';
import type { TokenAuth } from './auth.js';
import type { WebhookService } from '../sender/webhook-service.js';
import type { ExperimentService } from '../sender/experiment-service.js';
import type { DeliveryEngine } from '../delivery/engine.js';
import type { Metrics } from '../delivery/metrics.js';
import type { EngineEvents } from '../delivery/engine-events.js';
import type { Ingress } from '../receiver/ingress.js';
import type { FlowService } from '../receiver/flow-service.js';
import type { FlowRunner } from '../receiver/runner.js';
import type { AlertNotifier } from '../alerts/notifier.js';
import type { SmtpSettingsService } from '../alerts/smtp-settings.js';
import type { OutboundPolicy } from '../delivery/ssrf.js';
import type { EmailMessage, SmtpSettings } from '../core/flow/types.js';

export interface AppContext {
  config: Config;
  clock: Clock;
  store: Store;
  auth: TokenAuth;
  webhooks: WebhookService;
  experiments: ExperimentService;
  /** The delivery engine (in a worker thread, or in this one with an injected clock). */
  worker: DeliveryEngine;
  metrics: Metrics;
  engineEvents: EngineEvents;
  signingKey: () => string;
  ingress: Ingress;
  flows: FlowService;
  runner: FlowRunner;
  /** Alert routing: the notifier, the SMTP settings, the outbound policy channels are checked against. */
  alerting: {
    notifier: AlertNotifier; smtp: SmtpSettingsService; policy: OutboundPolicy;
    sendEmail(msg: EmailMessage, smtp?: SmtpSettings): Promise<{ messageId: string; accepted: string[] }>;
  };
}
