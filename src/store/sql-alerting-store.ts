/** Alert channels, the alert notification outbox and sealed settings on Kysely (see ./alerting-types.ts). */
import { sql, type Selectable } from 'kysely';
import type { AlertChannelTable, AlertNotificationTable, AlertTable } from './schema.js';
import type {
  AlertChannelInput, AlertChannelRecord, AlertingStore, AlertNotificationRecord, ChannelFilter, ChannelKind,
  NotificationJob, NotificationStatus,
} from './alerting-types.js';
import type { AlertRecord, SecretInfo } from './store.js';
import { SecretBox } from './secret-box.js';
import { SqlReceiverStore } from './sql-receiver-store.js';

/** Settings whose values are sealed with the secrets key. */
export const SEALED_SETTINGS = ['smtp.password'];

export function toAlertRecord(r: Selectable<AlertTable>): AlertRecord {
  return {
    id: r.id, kind: r.kind as AlertRecord['kind'], severity: r.severity as AlertRecord['severity'], webhookId: r.webhook_id,
    deliveryId: r.delivery_id, title: r.title, message: r.message, count: r.count, createdAt: r.created_at,
    lastAt: r.last_at, acknowledgedAt: r.acknowledged_at,
  };
}

const toNotification = (r: Selectable<AlertNotificationTable>): AlertNotificationRecord => ({
  id: r.id, alertId: r.alert_id, channelId: r.channel_id, status: r.status as NotificationStatus, attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at, leaseUntil: r.lease_until, lastError: r.last_error, createdAt: r.created_at,
  sentAt: r.sent_at, updatedAt: r.updated_at,
});

/** Does the alert pass the channel's filter? */
export function channelWants(filter: ChannelFilter | null, a: Pick<AlertRecord, 'kind' | 'title' | 'severity'>): boolean {
  if (!filter) return true;
  if (filter.kinds?.length && !filter.kinds.includes(a.kind)) return false;
  if (filter.names?.length && !filter.names.includes(a.title)) return false;
  if (filter.severities?.length && !filter.severities.includes(a.severity)) return false;
  return true;
}

/** Holds the secrets box; shared by a store and the transactions it opens. */
export interface BoxHolder { box: SecretBox | null }

export abstract class SqlAlertingStore extends SqlReceiverStore implements AlertingStore {
  protected abstract readonly boxes: BoxHolder;

  setSecretBox(box: SecretBox): void {
    this.boxes.box = box;
  }
  protected seal(plain: string): string {
    return this.boxes.box ? this.boxes.box.seal(plain) : plain;
  }
  protected unseal(text: string): string {
    if (!SecretBox.isSealed(text)) return text;
    if (!this.boxes.box) throw new Error('a sealed secret was read before the secrets key was loaded');
    return this.boxes.box.open(text);
  }

  // Flow secrets, sealed at rest (the receiver store's methods, with sealing).
  override async putSecret(name: string, value: string, now: number): Promise<void> {
    await super.putSecret(name, this.seal(value), now);
  }
  override async secretValues(): Promise<Map<string, string>> {
    const m = await super.secretValues();
    for (const [k, v] of m) m.set(k, this.unseal(v));
    return m;
  }
  override async listSecrets(): Promise<SecretInfo[]> {
    const rows = await this.db.selectFrom('secrets').select(['name', 'created_at', 'updated_at']).orderBy('name').execute();
    return rows.map((r) => ({ name: r.name, createdAt: r.created_at, updatedAt: r.updated_at, preview: '…' }));
  }
  /** Seals every secret still stored in plaintext (flow secrets, channel secrets, the SMTP password). */
  async sealPlaintextSecrets(): Promise<number> {
    // The plaintext a sealed value replaces must not linger in the file's free space.
    await sql`PRAGMA secure_delete = ON`.execute(this.db);
    try {
      return await this.sealAll();
    } finally {
      await sql`PRAGMA secure_delete = OFF`.execute(this.db);
    }
  }
  private async sealAll(): Promise<number> {
    let n = 0;
    for (const r of await this.db.selectFrom('secrets').select(['name', 'value']).execute()) {
      if (SecretBox.isSealed(r.value)) continue;
      await this.db.updateTable('secrets').set({ value: this.seal(r.value) }).where('name', '=', r.name).execute();
      n++;
    }
    for (const r of await this.db.selectFrom('alert_channels').select(['id', 'secret']).where('secret', 'is not', null).execute()) {
      if (SecretBox.isSealed(r.secret!)) continue;
      await this.db.updateTable('alert_channels').set({ secret: this.seal(r.secret!) }).where('id', '=', r.id).execute();
      n++;
    }
    for (const r of await this.db.selectFrom('settings').select(['key', 'value']).where('key', 'in', SEALED_SETTINGS).execute()) {
      if (SecretBox.isSealed(r.value)) continue;
      await this.putSetting(r.key, this.seal(r.value));
      n++;
    }
    return n;
  }

  async putSetting(key: string, value: string): Promise<void> {
    await this.db.insertInto('settings').values({ key, value }).onConflict((oc) => oc.column('key').doUpdateSet({ value })).execute();
  }
  async deleteSetting(key: string): Promise<boolean> {
    return Number((await this.db.deleteFrom('settings').where('key', '=', key).executeTakeFirst()).numDeletedRows) > 0;
  }
  async getSecretSetting(key: string): Promise<string | null> {
    const r = await this.db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
    return r ? this.unseal(r.value) : null;
  }
  async putSecretSetting(key: string, value: string): Promise<void> {
    await this.putSetting(key, this.seal(value));
  }

  private toChannel(r: Selectable<AlertChannelTable>): AlertChannelRecord {
    return {
      id: r.id, name: r.name, kind: r.kind as ChannelKind, config: JSON.parse(r.config),
      secret: r.secret === null ? null : JSON.parse(this.unseal(r.secret)), filter: r.filter === null ? null : JSON.parse(r.filter),
      enabled: r.enabled === 1, createdAt: r.created_at, updatedAt: r.updated_at,
    };
  }
  private channelColumns(c: AlertChannelInput) {
    return {
      name: c.name, kind: c.kind, config: JSON.stringify(c.config), secret: c.secret === null ? null : this.seal(JSON.stringify(c.secret)),
      filter: c.filter === null ? null : JSON.stringify(c.filter), enabled: c.enabled ? 1 : 0,
    };
  }
  async createAlertChannel(c: AlertChannelInput, now: number): Promise<AlertChannelRecord> {
    const r = await this.db.insertInto('alert_channels').values({ ...this.channelColumns(c), created_at: now, updated_at: now })
      .returningAll().executeTakeFirstOrThrow();
    return this.toChannel(r);
  }
  async getAlertChannel(id: number): Promise<AlertChannelRecord | null> {
    const r = await this.db.selectFrom('alert_channels').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? this.toChannel(r) : null;
  }
  async getAlertChannelByName(name: string): Promise<AlertChannelRecord | null> {
    const r = await this.db.selectFrom('alert_channels').selectAll().where('name', '=', name).executeTakeFirst();
    return r ? this.toChannel(r) : null;
  }
  async listAlertChannels(): Promise<AlertChannelRecord[]> {
    return (await this.db.selectFrom('alert_channels').selectAll().orderBy('id').execute()).map((r) => this.toChannel(r));
  }
  async updateAlertChannel(id: number, c: AlertChannelInput, now: number): Promise<AlertChannelRecord | null> {
    const r = await this.db.updateTable('alert_channels').set({ ...this.channelColumns(c), updated_at: now }).where('id', '=', id)
      .returningAll().executeTakeFirst();
    return r ? this.toChannel(r) : null;
  }
  async deleteAlertChannel(id: number): Promise<boolean> {
    return Number((await this.db.deleteFrom('alert_channels').where('id', '=', id).executeTakeFirst()).numDeletedRows) > 0;
  }

  async getAlert(id: number): Promise<AlertRecord | null> {
    const r = await this.db.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toAlertRecord(r) : null;
  }
  async enqueueAlertNotifications(alert: AlertRecord, now: number): Promise<number> {
    const rows = await this.db.selectFrom('alert_channels').select(['id', 'filter']).where('enabled', '=', 1).orderBy('id').execute();
    const wanted = rows.filter((c) => channelWants(c.filter === null ? null : JSON.parse(c.filter), alert));
    if (wanted.length === 0) return 0;
    await this.db.insertInto('alert_notifications').values(wanted.map((c) => ({
      alert_id: alert.id, channel_id: c.id, status: 'pending', attempts: 0, next_attempt_at: now, lease_until: null,
      last_error: null, created_at: now, sent_at: null, updated_at: now,
    }))).execute();
    return wanted.length;
  }
  async claimAlertNotifications(now: number, limit: number, leaseUntil: number): Promise<NotificationJob[]> {
    const claimed = await this.db.transaction().execute(async (trx) => {
      const due = await trx.selectFrom('alert_notifications').select('id')
        .where((eb) => eb.or([
          eb.and([eb('status', '=', 'pending'), eb('next_attempt_at', '<=', now)]),
          eb.and([eb('status', '=', 'sending'), eb('lease_until', '<=', now)]),
        ]))
        .orderBy('next_attempt_at').orderBy('id').limit(limit).execute();
      if (due.length === 0) return [];
      return trx.updateTable('alert_notifications').set({ status: 'sending', lease_until: leaseUntil, updated_at: now })
        .where('id', 'in', due.map((d) => d.id)).returningAll().execute();
    });
    const jobs: NotificationJob[] = [];
    for (const r of claimed.sort((a, b) => a.id - b.id)) {
      const alert = await this.getAlert(r.alert_id);
      if (!alert) continue;
      jobs.push({ notification: toNotification(r), alert, channel: await this.getAlertChannel(r.channel_id) });
    }
    return jobs;
  }
  async finishAlertNotification(id: number, r: { status: 'sent' | 'pending' | 'dead'; error: string | null; nextAttemptAt?: number }, now: number): Promise<void> {
    await this.db.updateTable('alert_notifications').set({
      status: r.status, attempts: sql`attempts + 1`, last_error: r.error, lease_until: null, updated_at: now,
      ...(r.status === 'sent' ? { sent_at: now } : {}), ...(r.nextAttemptAt !== undefined ? { next_attempt_at: r.nextAttemptAt } : {}),
    }).where('id', '=', id).execute();
  }
  async listAlertNotifications(alertIds: number[]): Promise<AlertNotificationRecord[]> {
    if (alertIds.length === 0) return [];
    return (await this.db.selectFrom('alert_notifications').selectAll().where('alert_id', 'in', alertIds).orderBy('id').execute()).map(toNotification);
  }
  async nextAlertNotificationDueAt(): Promise<number | null> {
    const r = await sql<{ t: number | null }>`
      SELECT MIN(CASE WHEN status = 'pending' THEN next_attempt_at ELSE lease_until END) AS t
      FROM alert_notifications WHERE status IN ('pending', 'sending')`.execute(this.db);
    const t = r.rows[0]?.t;
    return t === null || t === undefined ? null : Number(t);
  }
}
