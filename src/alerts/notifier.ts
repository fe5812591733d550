/**
 * The alert notifier: sends the alert_notifications outbox (rows written in the transaction that raised each alert)
 * to their channels — email over the configured SMTP server, a Slack incoming webhook, or an HTTP endpoint (both
 * through the SSRF guard). A claimed notification is leased, so one that a crashed process was sending is sent after
 * restart; a failed send is retried on `alerts.retry_schedule_seconds`, then the notification is `dead`.
 */
import type { Logger } from 'pino';
import type { Clock } from '../core/types.js';
import type { EmailMessage, SmtpSettings } from '../core/flow/types.js';
import type { AlertChannelRecord, AlertRecord, NotificationJob, Store } from '../store/store.js';
import type { HttpClient } from '../receiver/services/http.js';
import { describeHttpFailure, requestLabel } from '../receiver/steps/common.js';
import { EmailSendError } from '../receiver/services/email.js';
import { Waker } from '../loop/waker.js';

export class NotifyError extends Error {
  constructor(message: string, readonly retryable: boolean) { super(message); }
}

export interface NotifierOptions {
  store: Store; clock: Clock; log: Logger;
  sendEmail(msg: EmailMessage, smtp?: SmtpSettings): Promise<{ messageId: string; accepted: string[] }>;
  http: HttpClient;
  /** Waits in ms before the 2nd, 3rd… attempt; after the last, a notification is dead. */
  retryScheduleMs: number[];
  leaseMs: number;
  /** The UI's base URL for links (webhooks.base_url), or ''. */
  baseUrl: string;
  timeoutMs?: number;
}

const iso = (t: number) => new Date(t).toISOString();

export function alertText(a: AlertRecord, baseUrl: string): string {
  return [
    a.message, '',
    `Kind: ${a.kind}`, `Severity: ${a.severity}`, `Raised: ${iso(a.createdAt)}`, `Alert: ${a.id}${a.count > 1 ? ` (raised ${a.count} times)` : ''}`,
    ...(baseUrl ? [`${baseUrl}/alerts/${a.id}`] : []),
  ].join('\n');
}

export class AlertNotifier {
  private running = false;
  // At most a second asleep: alerts raised by other processes (or rows due by a test's fake clock) are seen soon.
  private readonly waker = new Waker(1000);
  private loopDone: Promise<void> | null = null;
  private ticking: Promise<number> | null = null;

  constructor(private readonly o: NotifierOptions) {}

  /** Sends one alert (or a test) to a channel; throws NotifyError saying what failed and whether a retry can help. */
  async send(ch: AlertChannelRecord, a: AlertRecord, test = false): Promise<string> {
    const subject = test ? `[Switchyard] test notification for alert channel "${ch.name}"` : `[Switchyard] ${a.severity.toUpperCase()}: ${a.title}`;
    const text = test ? `This is a test of the alert channel "${ch.name}". Alerts that pass its filter will arrive like this.\n\n${alertText(a, this.o.baseUrl)}`
      : alertText(a, this.o.baseUrl);
    if (ch.kind === 'email') {
      const to = ch.config.to as string[];
      try {
        const r = await this.o.sendEmail({ to, subject, text });
        return `email accepted for ${r.accepted.join(', ') || to.join(', ')}`;
      } catch (e) {
        const err = e as EmailSendError;
        throw new NotifyError(err.message, err instanceof EmailSendError ? err.retryable : true);
      }
    }
    const url = ch.kind === 'slack' ? String(ch.secret?.url) : String(ch.config.url);
    const method = ch.kind === 'slack' ? 'POST' : String(ch.config.method ?? 'POST');
    const body = ch.kind === 'slack'
      ? { text: `*${subject.replace(/^\[Switchyard\] /, '')}*\n${text}` }
      : {
        type: test ? 'switchyard.alert.test' : 'switchyard.alert', channel: { id: ch.id, name: ch.name },
        alert: {
          id: a.id, kind: a.kind, severity: a.severity, title: a.title, message: a.message, count: a.count,
          webhookId: a.webhookId, deliveryId: a.deliveryId, createdAt: iso(a.createdAt), lastAt: iso(a.lastAt),
        },
      };
    const headers = { 'content-type': 'application/json', ...(ch.kind === 'http' ? (ch.secret?.headers ?? {}) as Record<string, string> : {}) };
    const label = ch.kind === 'slack' ? 'the Slack webhook' : requestLabel(method, url);
    let status: number;
    let resBody: string;
    try {
      const r = await this.o.http({ method, url, headers, body: JSON.stringify(body), timeoutMs: this.o.timeoutMs ?? 15_000 });
      status = r.status;
      resBody = r.body;
    } catch (e) {
      const d = describeHttpFailure(e, label);
      throw new NotifyError(d.message, d.retryable);
    }
    if (status >= 200 && status < 300) return `${label} answered ${status}`;
    const retryable = status >= 500 || status === 408 || status === 429;
    throw new NotifyError(`${label} answered ${status}${resBody ? `: ${resBody.slice(0, 200)}` : ''}`, retryable);
  }

  /** Claims due notifications and sends them; resolves with how many were handled. Exposed for tests. */
  tick(): Promise<number> {
    if (!this.ticking) this.ticking = this.sendDue().finally(() => { this.ticking = null; });
    return this.ticking;
  }

  private async sendDue(): Promise<number> {
    const { store, clock } = this.o;
    const now = clock.now();
    const jobs = await store.claimAlertNotifications(now, 32, now + this.o.leaseMs);
    await Promise.all(jobs.map((j) => this.deliver(j)));
    return jobs.length;
  }

  private async deliver(j: NotificationJob): Promise<void> {
    const { store, clock, log } = this.o;
    const n = j.notification;
    const attempt = n.attempts + 1;
    if (!j.channel || !j.channel.enabled) {
      await store.finishAlertNotification(n.id, { status: 'dead', error: 'the channel was disabled before the notification was sent' }, clock.now());
      return;
    }
    try {
      await this.send(j.channel, j.alert);
      await store.finishAlertNotification(n.id, { status: 'sent', error: null }, clock.now());
    } catch (e) {
      const err = e instanceof NotifyError ? e : new NotifyError(String((e as Error)?.message ?? e), true);
      const wait = this.o.retryScheduleMs[attempt - 1];
      const now = clock.now();
      if (err.retryable && wait !== undefined) {
        await store.finishAlertNotification(n.id, { status: 'pending', error: err.message, nextAttemptAt: now + wait }, now);
      } else {
        await store.finishAlertNotification(n.id, { status: 'dead', error: err.retryable ? `${err.message} (gave up after ${attempt} attempts)` : err.message }, now);
      }
      log.warn({ notificationId: n.id, alertId: j.alert.id, channel: j.channel.name, attempt }, `alert notification failed: ${err.message}`);
    }
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop().catch((e) => this.o.log.error({ err: e }, 'alert notifier stopped by an error'));
  }

  wake(): void {
    this.waker.wake();
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const n = await this.tick().catch((e) => { this.o.log.error({ err: e }, 'could not send alert notifications'); return 0; });
      if (!this.running) break;
      if (n > 0) continue;
      const next = await this.o.store.nextAlertNotificationDueAt().catch(() => null);
      await this.waker.sleep(next === null ? 1000 : next - this.o.clock.now());
    }
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.waker.interrupt();
    await this.loopDone;
    await this.ticking;
  }
}
