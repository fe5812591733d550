/** Alert routing in the Store port: channels (where alerts go), their notifications (an outbox), SMTP settings. */
import type { AlertRecord } from './store.js';
import type { SecretBox } from './secret-box.js';

export type ChannelKind = 'email' | 'slack' | 'http';
/** Every given list must hold the alert's value for the channel to receive it (no filter: every alert). */
export interface ChannelFilter { kinds?: string[]; names?: string[]; severities?: string[] }
export interface AlertChannelInput {
  name: string; kind: ChannelKind;
  /** The parts the API shows: email `{to}`, slack `{}`, http `{url, method}`. */
  config: Record<string, unknown>;
  /** The parts it never shows, sealed at rest: slack `{url}`, http `{headers}`. */
  secret: Record<string, unknown> | null;
  filter: ChannelFilter | null; enabled: boolean;
}
export interface AlertChannelRecord extends AlertChannelInput { id: number; createdAt: number; updatedAt: number }

/** pending → sending (leased) → sent | pending (retry later) | dead (retries exhausted or a permanent failure). */
export type NotificationStatus = 'pending' | 'sending' | 'sent' | 'dead';
export interface AlertNotificationRecord {
  id: number; alertId: number; channelId: number; status: NotificationStatus; attempts: number; nextAttemptAt: number;
  leaseUntil: number | null; lastError: string | null; createdAt: number; sentAt: number | null; updatedAt: number;
}
/** A claimed notification with what sending it needs. */
export interface NotificationJob { notification: AlertNotificationRecord; alert: AlertRecord; channel: AlertChannelRecord | null }

export interface AlertingStore {
  /** Seals secrets (flow secrets, channel secrets, the SMTP password) with this box from now on. */
  setSecretBox(box: SecretBox): void;
  /** Seals every secret still stored in plaintext (databases from before encryption); returns how many. */
  sealPlaintextSecrets(): Promise<number>;
  putSetting(key: string, value: string): Promise<void>;
  deleteSetting(key: string): Promise<boolean>;
  /** A setting sealed with the secrets box. */
  getSecretSetting(key: string): Promise<string | null>;
  putSecretSetting(key: string, value: string): Promise<void>;

  createAlertChannel(c: AlertChannelInput, now: number): Promise<AlertChannelRecord>;
  getAlertChannel(id: number): Promise<AlertChannelRecord | null>;
  getAlertChannelByName(name: string): Promise<AlertChannelRecord | null>;
  listAlertChannels(): Promise<AlertChannelRecord[]>;
  updateAlertChannel(id: number, c: AlertChannelInput, now: number): Promise<AlertChannelRecord | null>;
  deleteAlertChannel(id: number): Promise<boolean>;

  getAlert(id: number): Promise<AlertRecord | null>;
  /** Queues a notification of the alert to each enabled channel whose filter it passes (in the caller's transaction). */
  enqueueAlertNotifications(alert: AlertRecord, now: number): Promise<number>;
  /** Leases due notifications (pending and due, or sending with an expired lease), oldest due first. */
  claimAlertNotifications(now: number, limit: number, leaseUntil: number): Promise<NotificationJob[]>;
  finishAlertNotification(id: number, r: { status: 'sent' | 'pending' | 'dead'; error: string | null; nextAttemptAt?: number }, now: number): Promise<void>;
  listAlertNotifications(alertIds: number[]): Promise<AlertNotificationRecord[]>;
  nextAlertNotificationDueAt(): Promise<number | null>;
}
