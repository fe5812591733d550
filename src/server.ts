/**
 * Starting and stopping Switchyard: opens the store, settles the signing key and the first admin token, starts the
 * delivery worker and the HTTP server. `stop()` first stops the API, the delivery engine and the flow runner together
 * (one grace period for what is in flight), then closes the rest.
 */
import { randomBytes } from 'node:crypto';
import pino, { type Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import { sqlitePath, type Config } from './config.js';
import { systemClock, type Clock } from './core/types.js';
import { defaultPolicy, determinedPolicy } from './core/retry.js';
import { openSqliteStore } from './store/open.js';
import type { Store } from './store/store.js';
import { GroupCommit } from './store/group-commit.js';
import { TokenAuth } from './http/auth.js';
import { buildApp } from './http/app.js';
import type { AppContext } from './http/context.js';
import { HttpSender, type Sender } from './delivery/http-sender.js';
import { ThreadedHttpSender } from './delivery/send-thread.js';
import { DeliveryWorker } from './delivery/worker.js';
import type { DeliveryEngine } from './delivery/engine.js';
import { ThreadedEngine } from './delivery/engine-thread.js';
import { EngineEvents } from './delivery/engine-events.js';
import { createMetrics } from './delivery/metrics.js';
import { startSweeper, type DeliverySweeper } from './delivery/sweeper.js';
import { OutboundPolicy } from './delivery/ssrf.js';
import { Ingress } from './receiver/ingress.js';
import { FlowService } from './receiver/flow-service.js';
import { FlowRunner } from './receiver/runner.js';
import { startReceiverRetention, type ReceiverRetention } from './receiver/retention.js';
import { createEmailSender } from './receiver/services/email.js';
import { createHttpClient } from './receiver/services/http.js';
import { CodeRunner } from './sandbox/code-runner.js';
import type { StepServices } from './core/flow/types.js';
import { WebhookService } from './sender/webhook-service.js';
import { AlertNotifier } from './alerts/notifier.js';
import { SmtpSettingsService } from './alerts/smtp-settings.js';
import { settleSecretsKey } from './alerts/secrets-key.js';
import { ExperimentService } from './sender/experiment-service.js';
import { EventSource } from './sender/event-source.js';

export interface Running {
  url: string;
  port: number;
  ctx: AppContext;
  app: FastifyInstance;
  /** The admin token when this start generated it (print once), else null. */
  generatedAdminToken: string | null;
  databasePath: string;
  /** The background retention of deliveries and of captures and runs; `runOnce` runs a pass now (tests, tools). */
  retention: { delivery: Pick<DeliverySweeper, 'runOnce'>; receiver: Pick<ReceiverRetention, 'runOnce'> };
  stop(): Promise<void>;
}

export interface StartOptions { clock?: Clock; log?: Logger }

/** The signing key: from config when given, else the one generated on first start and kept in the store. */
export async function settleSigningKey(store: Store, configured: string | undefined): Promise<string> {
  if (configured) return configured;
  return store.putSettingIfAbsent('webhooks.signing_key', randomBytes(16).toString('hex'));
}

export async function startSwitchyard(config: Config, opts: StartOptions = {}): Promise<Running> {
  const clock = opts.clock ?? systemClock;
  const log = opts.log ?? pino({ level: config.log_level, redact: ['req.headers.authorization', '*.signingKey', '*.secret', '*.password'] });
  const dbPath = sqlitePath(config);
  const { store } = await openSqliteStore(dbPath, {
    checkpointThread: config.database.checkpoint_thread, synchronous: config.database.synchronous, cacheMb: config.database.cache_mb,
  });
  try {
    await settleSecretsKey(store, config);
    const signingKey = await settleSigningKey(store, config.webhooks.signing_key);
    const auth = new TokenAuth(store, clock);
    const { generated } = await auth.bootstrap(config.auth.admin_token);
    const d = config.delivery;
    const outbound = new OutboundPolicy(config.outbound.allow);
    const sender: Sender = d.send_thread && !d.thread
      ? new ThreadedHttpSender({
        outboundAllow: config.outbound.allow, timeoutMs: d.timeout_ms, responseBodyBytes: d.response_body_bytes, connectionsPerOrigin: d.concurrency,
      },
        { signingKey: () => signingKey, clock, log: log.child({ component: 'delivery' }) })
      : new HttpSender({
        signingKey: () => signingKey, timeoutMs: d.timeout_ms, clock, policy: outbound, responseBodyBytes: d.response_body_bytes,
        connectionsPerOrigin: d.concurrency,
      });
    const engineEvents = new EngineEvents();
    // The API's writes (captures, reported facts) and the engine's records share commits (group commit).
    const writes = new GroupCommit(store);
    // The engine runs in the API's thread; with `delivery.thread` (off by default: slower on 2 cores, see
    // docs/benchmarks.md) in a worker thread with its own SQLite connection, unless the clock is injected (tests that
    // move time need the engine on that clock) or the database is in memory.
    const threaded = d.thread && !opts.clock && dbPath !== ':memory:';
    const worker: DeliveryEngine = threaded
      ? new ThreadedEngine({
        dbPath, synchronous: config.database.synchronous, cacheMb: config.database.cache_mb, signingKey, outboundAllow: config.outbound.allow, logLevel: log.level, policy: d.policy,
        batchSize: d.batch_size, concurrency: d.concurrency, perWebhookConcurrency: d.per_webhook_concurrency,
        leaseMs: d.lease_ms, timeoutMs: d.timeout_ms, disableAfterMs: d.disable_after_hours * 3600_000,
        responseBodyBytes: d.response_body_bytes,
      }, engineEvents, log.child({ component: 'delivery' }))
      : new DeliveryWorker({
        store, writes, sender, clock, events: engineEvents, policy: d.policy === 'determined' ? determinedPolicy : defaultPolicy,
        log: log.child({ component: 'delivery' }), batchSize: d.batch_size, concurrency: d.concurrency,
        perWebhookConcurrency: d.per_webhook_concurrency, leaseMs: d.lease_ms, defaultTimeoutMs: d.timeout_ms, disableAfterMs: d.disable_after_hours * 3600_000,
      });
    const metrics = createMetrics(store, engineEvents, clock);
    const events = new EventSource(clock, config.webhooks.base_url);
    // A webhook the engine disables (410, or failing too long) must not be matched from the triggers cache.
    engineEvents.on('webhook:disabled', () => events.invalidate());
    // The receiver: catch hooks (group-committed captures), flows, the runner and its steps' collaborators.
    const codeRunner = new CodeRunner({ pythonWorkers: config.code.python_workers, jsWorkers: config.code.js_workers });
    // The SMTP server: set over the API (/api/v1/settings/smtp), else the config file's.
    const smtp = new SmtpSettingsService(store, config.smtp);
    await smtp.load();
    const sendEmail = createEmailSender(() => smtp.current(), { policy: outbound });
    const httpClient = createHttpClient(outbound);
    const flowLog = log.child({ component: 'flows' });
    const stepServices = (secrets: Map<string, string>, context: StepServices['context']): StepServices => ({
      clock, context, secret: (n) => secrets.get(n), sendEmail, http: httpClient,
      runCode: (req) => codeRunner.run({
        ...req, timeoutMs: req.timeoutMs || config.code.timeout_ms, memoryMb: req.memoryMb || config.code.memory_mb,
      }),
      async raiseAlert(a) {
        const r = await store.raiseAlert({
          kind: 'flow.alert', severity: a.severity, webhookId: null, deliveryId: null, title: a.name, message: a.message,
        }, clock.now());
        flowLog.warn({ alert: a.name, alertId: r.id, flow: context.flow.name, runId: context.run.id }, `alert raised: ${a.message}`);
        notifier.wake();
        return { alertId: r.id };
      },
    });
    const runner = new FlowRunner({
      store, clock, log: flowLog, services: stepServices, concurrency: config.receiver.run_concurrency,
      leaseMs: config.receiver.lease_ms, retryScheduleMs: config.receiver.retry_schedule_seconds.map((x) => x * 1000),
      writes, onRunFailed: () => notifier.wake(),
    });
    const notifier = new AlertNotifier({
      store, clock, log: log.child({ component: 'alerts' }), sendEmail, http: httpClient, baseUrl: config.webhooks.base_url,
      retryScheduleMs: config.alerts.retry_schedule_seconds.map((x) => x * 1000), leaseMs: config.alerts.lease_ms,
    });
    // The engine's alerts (and their notifications) commit with the attempts that raised them; these events come
    // after that commit: send the notifications now rather than at the notifier's next poll.
    engineEvents.on('delivery:dead', () => notifier.wake());
    engineEvents.on('webhook:disabled', () => notifier.wake());
    let ingress: Ingress;
    const flows = new FlowService(store, clock, () => { ingress.invalidate(); runner.invalidateSecrets(); });
    ingress = new Ingress(store, writes, clock, config.receiver.rate_limit_per_second, runner);
    const ctx: AppContext = {
      config, clock, store, auth, worker, metrics, engineEvents, signingKey: () => signingKey, ingress, flows, runner,
      webhooks: new WebhookService(store, clock, sender, (id) => { worker.invalidate(id); events.invalidate(); }, config.delivery.lease_ms),
      experiments: new ExperimentService(store, clock, events, writes, worker),
      alerting: { notifier, smtp, policy: outbound, sendEmail },
    };
    const app = buildApp(ctx, log);
    await app.listen({ host: config.host, port: config.port });
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : config.port;
    if (config.delivery.enabled) await worker.start();
    runner.start();
    notifier.start();
    // Retention starts once the server is up (a start that fails leaves no timer behind on a closed store).
    const sweeper = startSweeper({ store, clock, log, retentionMs: d.retention_days * 86400_000, maxAttempts: d.retention_max_attempts });
    const receiverRetention = startReceiverRetention({
      store, clock, log: log.child({ component: 'flows' }), maxAgeMs: config.receiver.retention_days * 86400_000,
      keepPerFlow: config.receiver.retention_max_captures_per_flow,
    });
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    let stopped = false;
    return {
      url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`, port, ctx, app, generatedAdminToken: generated,
      databasePath: dbPath, retention: { delivery: sweeper, receiver: receiverRetention },
      async stop() {
        if (stopped) return;
        stopped = true;
        await Promise.all([sweeper.stop(), receiverRetention.stop()]);
        // New API requests are refused from here on (503) while those in progress finish; the engine and the runner
        // stop claiming now, not once the API has drained, and share one grace period: attempts and runs in flight
        // have `shutdown_grace_ms` to finish, then the engine aborts its attempts and both hand the rest back. A
        // request in progress that enqueues deliveries meanwhile leaves them pending for the next start.
        const apiClosed = app.close();
        await Promise.all([worker.stop(d.shutdown_grace_ms), runner.stop(d.shutdown_grace_ms)]);
        await apiClosed;
        await notifier.stop();
        await codeRunner.close();
        sendEmail.close();
        await httpClient.close();
        await sender.close();
        await store.close();
      },
    };
  } catch (e) {
    await store.close();
    throw e;
  }
}
