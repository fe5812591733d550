/**
 * The Store on Kysely. Written in the SQL that SQLite and PostgreSQL share; dialect specifics are kept to
 * `onConflict` and `returning`, which Kysely compiles for both.
 */
import { Kysely, sql, type Selectable, type Transaction } from 'kysely';
import type { AlertTable, AttemptTable, DB, DeliveryTable, ExperimentTable, TriggerTable, WebhookTable } from './schema.js';
import type {
  AlertInput, AlertRecord, AttemptFilter, ClaimRequest, AttemptRecord, AttemptResult, ClaimOptions, DeliveryFilter, DeliveryInput,
  DeliveryRecord, DeliveryStatus, ExperimentInput, ExperimentRecord, OutboxStats, RecordOutcome, RetrySpec,
  SignatureScheme, Store, TaskRecord, TokenRecord, TokenRole, TriggerInput, TriggerMatch, TriggerRecord, WebhookInput,
  WebhookPatch, WebhookRecord, WorkspaceRecord,
} from './store.js';
import { ORPHANS } from './store.js';
import type { TriggerType, WebhookMode, WebhookType } from '../core/types.js';
import { SqlAlertingStore, type BoxHolder } from './sql-alerting-store.js';
import { deadDeliveryAlert, disabledWebhookAlert } from './delivery-alerts.js';
import type { DirectExec } from './sql-receiver-store.js';

type Row<T> = Selectable<T>;

function toTrigger(r: Row<TriggerTable>): TriggerRecord {
  return { id: r.id, webhookId: r.webhook_id, triggerType: r.trigger_type as TriggerType, condition: JSON.parse(r.condition) };
}

function toWebhook(r: Row<WebhookTable>, triggers: TriggerRecord[]): WebhookRecord {
  const extra = r.schemes ? (r.schemes.split(',') as SignatureScheme[]) : [];
  return {
    id: r.id, url: r.url, webhookType: r.webhook_type as WebhookType, workspaceId: r.workspace_id, name: r.name,
    mode: r.mode as WebhookMode, schemes: ['determined', ...extra.filter((s) => s !== 'determined')],
    swSecret: r.sw_secret, swPreviousSecret: r.sw_previous_secret, swPreviousUntil: r.sw_previous_until,
    createdAt: r.created_at, updatedAt: r.updated_at, triggers,
    paused: r.paused === 1, disabledAt: r.disabled_at, disabledReason: r.disabled_reason, failingSince: r.failing_since,
    retryPolicy: r.retry_policy ? (JSON.parse(r.retry_policy) as RetrySpec) : null, timeoutMs: r.timeout_ms,
    maxConcurrency: r.max_concurrency, fifo: r.fifo === 1,
  };
}

function schemesColumn(schemes: SignatureScheme[]): string {
  return schemes.filter((s) => s !== 'determined').join(',');
}

function toExperiment(r: Row<ExperimentTable>): ExperimentRecord {
  return {
    id: r.id, name: r.name, state: r.state, workspaceId: r.workspace_id, projectId: r.project_id,
    workspaceName: r.workspace_name, projectName: r.project_name, resourcePool: r.resource_pool,
    slotsPerTrial: r.slots_per_trial, integrations: JSON.parse(r.integrations), startTime: r.start_time,
    endTime: r.end_time, updatedAt: r.updated_at, eventsFired: r.events_fired,
  };
}

function toDelivery(r: Row<DeliveryTable>): DeliveryRecord {
  return {
    id: r.id, eventId: r.event_id, webhookId: r.webhook_id, url: r.url, eventType: r.event_type, payload: r.payload,
    contentType: r.content_type, signed: r.signed === 1, status: r.status as DeliveryStatus, attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at, leaseUntil: r.lease_until, lastStatus: r.last_status, lastError: r.last_error,
    createdAt: r.created_at, updatedAt: r.updated_at, redeliveryOf: r.redelivery_of,
  };
}

function toAttempt(r: Row<AttemptTable>): AttemptRecord {
  return {
    id: r.id, deliveryId: r.delivery_id, webhookId: r.webhook_id, attempt: r.attempt, startedAt: r.started_at,
    durationMs: r.duration_ms, statusCode: r.status_code, outcome: r.outcome as AttemptRecord['outcome'], error: r.error,
    responseBody: r.response_body, remoteAddress: r.remote_address, url: r.url ?? '',
    requestHeaders: r.request_headers ? JSON.parse(r.request_headers) : {},
    responseHeaders: r.response_headers ? JSON.parse(r.response_headers) : null,
  };
}

function toAlert(r: Row<AlertTable>): AlertRecord {
  return {
    id: r.id, kind: r.kind as AlertRecord['kind'], severity: r.severity as AlertRecord['severity'], webhookId: r.webhook_id,
    deliveryId: r.delivery_id, title: r.title, message: r.message, count: r.count, createdAt: r.created_at,
    lastAt: r.last_at, acknowledgedAt: r.acknowledged_at,
  };
}

const OPEN_STATUSES = ['pending', 'delivering', 'failed'] as const;

/** Up to this many active webhooks, a claim asks each for its due rows; beyond, it scans the whole queue once. */
const CLAIM_PER_WEBHOOK_MAX = 64;

function toToken(r: { id: number; name: string; role: string; prefix: string; created_at: number; last_used_at: number | null; revoked_at: number | null }): TokenRecord {
  return {
    id: r.id, name: r.name, role: r.role as TokenRole, prefix: r.prefix, createdAt: r.created_at,
    lastUsedAt: r.last_used_at, revokedAt: r.revoked_at,
  };
}

const tokenColumns = ['id', 'name', 'role', 'prefix', 'created_at', 'last_used_at', 'revoked_at'] as const;

const ENQUEUE_CHUNK = 64;
const enqueueSqlByCount: string[] = [];
function enqueueSql(n: number): string {
  // `fifo` is read from the webhook in the write's own transaction: a mode change (updateWebhook) sets it on the open
  // rows in its own transaction, so every open row of a FIFO webhook has it, whichever of the two commits first.
  return enqueueSqlByCount[n] ??= `INSERT INTO deliveries (event_id, webhook_id, url, event_type, payload, content_type, signed, status,
    attempts, next_attempt_at, lease_until, last_status, last_error, created_at, updated_at, fifo) VALUES
    ${Array.from({ length: n }, () => "(?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, NULL, NULL, ?, ?, COALESCE((SELECT fifo FROM webhooks WHERE id = ?), 0))").join(', ')} RETURNING id`;
}

/**
 * Attempts go to the log as multi-row `INSERT … VALUES`: one statement per up to 64 rows, in chunks of a power of two
 * (at most 7 texts to prepare). Not one statement over a JSON array of the rows (as the record's UPDATE): taking 13
 * values apart, headers' JSON nested in it, cost 19 µs an attempt against 8.5 for a row of its own; and not a row
 * per statement either: the table's AUTOINCREMENT writes sqlite_sequence once per statement (~0.9 µs a delivery in
 * bench/store-cycle.js; docs/benchmarks.md, 2026-12-07 evening).
 */
const ATTEMPT_CHUNK = 64;
const insertAttemptsByCount: string[] = [];
function insertAttemptsSql(n: number): string {
  return insertAttemptsByCount[n] ??= `INSERT INTO delivery_attempts (delivery_id, webhook_id, attempt, started_at, duration_ms,
    status_code, outcome, error, response_body, remote_address, url, request_headers, response_headers) VALUES
    ${Array.from({ length: n }, () => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`;
}
/** The next chunk for `left` rows: 64, or the largest power of two not above it. */
function attemptChunk(left: number): number {
  return left >= ATTEMPT_CHUNK ? ATTEMPT_CHUNK : 2 ** Math.floor(Math.log2(left));
}

// The group commit runs one savepoint per operation.
const SAVEPOINT = 'SAVEPOINT sy_op';
const RELEASE = 'RELEASE SAVEPOINT sy_op';
const ROLLBACK_TO = 'ROLLBACK TO SAVEPOINT sy_op';

export class SqlStore extends SqlAlertingStore implements Store {
  /** `direct`: the connection's own statement runner, for the statements of this store's transactions (see raw). */
  constructor(db: Kysely<DB>, inTransaction = false, protected readonly boxes: BoxHolder = { box: null }, direct: DirectExec | null = null) {
    super(db, inTransaction, direct);
  }

  async transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    if (this.inTransaction) return fn(this);
    // BEGIN IMMEDIATE takes the write lock or fails with SQLITE_BUSY once the connection's busy_timeout ran out.
    // A connection with a short busy_timeout (the delivery engine's: its thread must keep answering its sockets
    // and timers) waits here instead, without blocking its event loop, up to 5 s in all.
    const giveUp = Date.now() + 5000;
    for (let i = 0; ; i++) {
      let began = false;
      try {
        return await this.db.transaction().execute((trx: Transaction<DB>) => { began = true; return fn(new SqlStore(trx, true, this.boxes, this.direct)); });
      } catch (e) {
        if (began || !String((e as { code?: unknown }).code ?? '').startsWith('SQLITE_BUSY') || Date.now() > giveUp) throw e;
        await new Promise((r) => setTimeout(r, Math.min(1 + i, 10)));
      }
    }
  }

  async savepoint<T>(fn: () => Promise<T>): Promise<T> {
    if (!this.inTransaction) throw new Error('savepoint() needs a transaction');
    await this.raw(SAVEPOINT, []);
    try {
      const v = await fn();
      await this.raw(RELEASE, []);
      return v;
    } catch (e) {
      await this.raw(ROLLBACK_TO, []);
      await this.raw(RELEASE, []);
      throw e;
    }
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  /** A setting of this connection (`PRAGMA synchronous`, `PRAGMA cache_size`), as a number. */
  async connectionSetting(name: 'synchronous' | 'cache_size'): Promise<number> {
    const [row] = await this.raw<Record<string, unknown>>(`PRAGMA ${name}`, []);
    return Number(row?.[name]);
  }

  // settings
  async getSetting(key: string): Promise<string | null> {
    const r = await this.db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
    return r?.value ?? null;
  }
  async putSettingIfAbsent(key: string, value: string): Promise<string> {
    await this.db.insertInto('settings').values({ key, value }).onConflict((oc) => oc.column('key').doNothing()).execute();
    return (await this.getSetting(key))!;
  }

  // workspaces and projects
  async listWorkspaces(): Promise<WorkspaceRecord[]> {
    const rows = await this.db.selectFrom('workspaces').selectAll().orderBy('id').execute();
    return rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at }));
  }
  async getWorkspace(id: number): Promise<WorkspaceRecord | null> {
    const r = await this.db.selectFrom('workspaces').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? { id: r.id, name: r.name, createdAt: r.created_at } : null;
  }
  async getWorkspaceByName(name: string): Promise<WorkspaceRecord | null> {
    const r = await this.db.selectFrom('workspaces').selectAll().where('name', '=', name).executeTakeFirst();
    return r ? { id: r.id, name: r.name, createdAt: r.created_at } : null;
  }
  async createWorkspace(name: string, now: number): Promise<WorkspaceRecord> {
    const r = await this.db.insertInto('workspaces').values({ name, created_at: now }).returningAll().executeTakeFirstOrThrow();
    return { id: r.id, name: r.name, createdAt: r.created_at };
  }
  async ensureProject(workspaceId: number, name: string, now: number): Promise<number> {
    await this.db.insertInto('projects').values({ workspace_id: workspaceId, name, created_at: now })
      .onConflict((oc) => oc.columns(['workspace_id', 'name']).doNothing()).execute();
    const r = await this.db.selectFrom('projects').select('id').where('workspace_id', '=', workspaceId)
      .where('name', '=', name).executeTakeFirstOrThrow();
    return r.id;
  }

  // tokens
  async countTokens(): Promise<number> {
    const r = await this.db.selectFrom('tokens').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(r.n);
  }
  async createToken(t: { name: string; role: TokenRole; hash: string; prefix: string }, now: number): Promise<TokenRecord> {
    const r = await this.db.insertInto('tokens').values({ ...t, created_at: now }).returning(tokenColumns).executeTakeFirstOrThrow();
    return toToken(r);
  }
  async listTokens(): Promise<TokenRecord[]> {
    return (await this.db.selectFrom('tokens').select(tokenColumns).orderBy('id').execute()).map(toToken);
  }
  async findTokenByHash(hash: string): Promise<TokenRecord | null> {
    const r = await this.db.selectFrom('tokens').select(tokenColumns).where('hash', '=', hash).executeTakeFirst();
    return r ? toToken(r) : null;
  }
  async revokeToken(id: number, now: number): Promise<boolean> {
    const r = await this.db.updateTable('tokens').set({ revoked_at: now }).where('id', '=', id)
      .where('revoked_at', 'is', null).executeTakeFirst();
    if (Number(r.numUpdatedRows) > 0) return true;
    return (await this.db.selectFrom('tokens').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
  }
  async touchToken(id: number, now: number): Promise<void> {
    await this.db.updateTable('tokens').set({ last_used_at: now }).where('id', '=', id).execute();
  }

  // webhooks
  private async withTriggers(rows: Row<WebhookTable>[]): Promise<WebhookRecord[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    const trig = await this.db.selectFrom('webhook_triggers').selectAll().where('webhook_id', 'in', ids).orderBy('id').execute();
    const by = new Map<number, TriggerRecord[]>();
    for (const t of trig) {
      const list = by.get(t.webhook_id) ?? [];
      list.push(toTrigger(t));
      by.set(t.webhook_id, list);
    }
    return rows.map((r) => toWebhook(r, by.get(r.id) ?? []));
  }
  async listWebhooks(): Promise<WebhookRecord[]> {
    return this.withTriggers(await this.db.selectFrom('webhooks').selectAll().orderBy('id').execute());
  }
  async getWebhook(id: number): Promise<WebhookRecord | null> {
    const rows = await this.db.selectFrom('webhooks').selectAll().where('id', '=', id).execute();
    return (await this.withTriggers(rows))[0] ?? null;
  }
  async getWebhooks(ids: number[]): Promise<WebhookRecord[]> {
    if (ids.length === 0) return [];
    return this.withTriggers(await this.db.selectFrom('webhooks').selectAll().where('id', 'in', ids).orderBy('id').execute());
  }
  async findWebhookByName(name: string, scopeId: number): Promise<WebhookRecord | null> {
    const rows = await this.db.selectFrom('webhooks').selectAll().where('name', '=', name).where('scope_id', '=', scopeId).execute();
    return (await this.withTriggers(rows))[0] ?? null;
  }
  private async insertTriggers(webhookId: number, triggers: TriggerInput[]): Promise<void> {
    if (triggers.length === 0) return;
    await this.db.insertInto('webhook_triggers').values(triggers.map((t) => ({
      webhook_id: webhookId, trigger_type: t.triggerType, condition: JSON.stringify(t.condition),
      state: t.triggerType === 'EXPERIMENT_STATE_CHANGE' && typeof t.condition.state === 'string' ? t.condition.state : null,
    }))).execute();
  }
  async createWebhook(w: WebhookInput, triggers: TriggerInput[], now: number): Promise<WebhookRecord> {
    return this.transaction(async (tx) => {
      const self = tx as SqlStore;
      const r = await self.db.insertInto('webhooks').values({
        url: w.url, webhook_type: w.webhookType, workspace_id: w.workspaceId, scope_id: w.workspaceId ?? 0, name: w.name,
        mode: w.mode, schemes: schemesColumn(w.schemes), sw_secret: w.swSecret, sw_previous_secret: null,
        sw_previous_until: null, created_at: now, updated_at: now,
        retry_policy: w.retryPolicy ? JSON.stringify(w.retryPolicy) : null, timeout_ms: w.timeoutMs ?? null,
        max_concurrency: w.maxConcurrency ?? null, fifo: w.fifo ? 1 : 0,
      }).returning('id').executeTakeFirstOrThrow();
      await self.insertTriggers(r.id, triggers);
      return (await self.getWebhook(r.id))!;
    });
  }
  async updateWebhook(id: number, patch: WebhookPatch, triggers: TriggerInput[] | undefined, now: number): Promise<WebhookRecord | null> {
    return this.transaction(async (tx) => {
      const self = tx as SqlStore;
      const set: Partial<Record<keyof WebhookTable, unknown>> = { updated_at: now };
      if (patch.url !== undefined) set.url = patch.url;
      if (patch.name !== undefined) set.name = patch.name;
      if (patch.webhookType !== undefined) set.webhook_type = patch.webhookType;
      if (patch.mode !== undefined) set.mode = patch.mode;
      if (patch.schemes !== undefined) set.schemes = schemesColumn(patch.schemes);
      if (patch.swSecret !== undefined) set.sw_secret = patch.swSecret;
      if (patch.swPreviousSecret !== undefined) set.sw_previous_secret = patch.swPreviousSecret;
      if (patch.swPreviousUntil !== undefined) set.sw_previous_until = patch.swPreviousUntil;
      if (patch.paused !== undefined) set.paused = patch.paused ? 1 : 0;
      if (patch.disabledAt !== undefined) set.disabled_at = patch.disabledAt;
      if (patch.disabledReason !== undefined) set.disabled_reason = patch.disabledReason;
      if (patch.failingSince !== undefined) set.failing_since = patch.failingSince;
      if (patch.retryPolicy !== undefined) set.retry_policy = patch.retryPolicy ? JSON.stringify(patch.retryPolicy) : null;
      if (patch.timeoutMs !== undefined) set.timeout_ms = patch.timeoutMs;
      if (patch.maxConcurrency !== undefined) set.max_concurrency = patch.maxConcurrency;
      if (patch.fifo !== undefined) set.fifo = patch.fifo ? 1 : 0;
      const r = await self.db.updateTable('webhooks').set(set as never).where('id', '=', id).executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) return null;
      if (patch.fifo !== undefined) {
        // The mode goes to the webhook's open deliveries too (see enqueueSql): the FIFO head is read off them. Found
        // among the open rows (deliveries_unfinished), not by walking the webhook's whole history.
        const fifo = patch.fifo ? 1 : 0;
        await self.raw(`UPDATE deliveries INDEXED BY deliveries_unfinished SET fifo = ?
          WHERE webhook_id = ? AND fifo <> ? AND status <> 'delivered' AND status IN ('pending', 'delivering', 'failed')`, [fifo, id, fifo]);
      }
      if (triggers) {
        await self.db.deleteFrom('webhook_triggers').where('webhook_id', '=', id).execute();
        await self.insertTriggers(id, triggers);
      }
      return self.getWebhook(id);
    });
  }
  async deleteWebhook(id: number): Promise<boolean> {
    const r = await this.db.deleteFrom('webhooks').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
  async findTriggers(type: TriggerType, state?: string): Promise<TriggerMatch[]> {
    let q = this.db.selectFrom('webhook_triggers').selectAll().where('trigger_type', '=', type);
    if (state !== undefined) q = q.where('state', '=', state);
    const trig = await q.orderBy('id').execute();
    if (trig.length === 0) return [];
    const hooks = await this.db.selectFrom('webhooks').selectAll()
      .where('id', 'in', [...new Set(trig.map((t) => t.webhook_id))]).execute();
    const byId = new Map(hooks.map((h) => [h.id, toWebhook(h, [])]));
    return trig.flatMap((t) => {
      const webhook = byId.get(t.webhook_id);
      return webhook ? [{ trigger: toTrigger(t), webhook }] : [];
    });
  }

  // experiments
  async createExperiment(e: ExperimentInput, now: number): Promise<ExperimentRecord> {
    const r = await this.db.insertInto('experiments').values({
      name: e.name, state: e.state, workspace_id: e.workspaceId, project_id: e.projectId,
      workspace_name: e.workspaceName, project_name: e.projectName, resource_pool: e.resourcePool,
      slots_per_trial: e.slotsPerTrial, integrations: JSON.stringify(e.integrations), start_time: e.startTime,
      end_time: null, updated_at: now,
    }).returningAll().executeTakeFirstOrThrow();
    return toExperiment(r);
  }
  async getExperiment(id: number): Promise<ExperimentRecord | null> {
    const [r] = await this.raw<Row<ExperimentTable>>('SELECT * FROM experiments WHERE id = ?', [id]);
    return r ? toExperiment(r) : null;
  }
  async listExperiments(opts: { limit: number; offset: number }): Promise<{ experiments: ExperimentRecord[]; total: number }> {
    const rows = await this.db.selectFrom('experiments').selectAll().orderBy('id', 'desc').limit(opts.limit).offset(opts.offset).execute();
    const c = await this.db.selectFrom('experiments').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return { experiments: rows.map(toExperiment), total: Number(c.n) };
  }
  async setExperimentState(id: number, state: string, endTime: number | null, now: number, events = 0): Promise<void> {
    await this.raw('UPDATE experiments SET state = ?, end_time = ?, updated_at = ?, events_fired = events_fired + ? WHERE id = ?', [state, endTime, now, events, id]);
  }
  async countExperimentEvents(id: number, events: number): Promise<void> {
    await this.raw('UPDATE experiments SET events_fired = events_fired + ? WHERE id = ?', [events, id]);
  }

  // tasks
  async getTask(taskId: string): Promise<TaskRecord | null> {
    const r = await this.db.selectFrom('tasks').selectAll().where('task_id', '=', taskId).executeTakeFirst();
    return r ? {
      taskId: r.task_id, taskType: r.task_type, experimentId: r.experiment_id, trialId: r.trial_id,
      workspaceId: r.workspace_id, createdAt: r.created_at,
    } : null;
  }
  async insertTask(t: TaskRecord): Promise<void> {
    await this.db.insertInto('tasks').values({
      task_id: t.taskId, task_type: t.taskType, experiment_id: t.experimentId, trial_id: t.trialId,
      workspace_id: t.workspaceId, created_at: t.createdAt,
    }).onConflict((oc) => oc.column('task_id').doNothing()).execute();
  }
  async claimTaskLogTrigger(taskId: string, triggerId: number): Promise<boolean> {
    const r = await this.db.insertInto('task_log_triggers').values({ task_id: taskId, trigger_id: triggerId })
      .onConflict((oc) => oc.columns(['task_id', 'trigger_id']).doNothing()).executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  // deliveries
  async enqueueDeliveries(rows: DeliveryInput[], now: number): Promise<number[]> {
    const ids: number[] = [];
    // Fixed SQL per row count (prepared once each; fan-outs come in a few sizes), up to 64 rows per statement.
    for (let i = 0; i < rows.length; i += ENQUEUE_CHUNK) {
      const chunk = rows.slice(i, i + ENQUEUE_CHUNK);
      const params: unknown[] = [];
      for (const d of chunk) {
        const leased = d.leaseUntil !== undefined && d.leaseUntil !== null;
        params.push(d.eventId, d.webhookId, d.url, d.eventType, d.payload, d.contentType, d.signed ? 1 : 0,
          leased ? 'delivering' : 'pending', d.nextAttemptAt, leased ? d.leaseUntil : null, now, now, d.webhookId);
      }
      const out = await this.raw<{ id: number }>(enqueueSql(chunk.length), params);
      // Ids are given in insertion order, which is the rows' (RETURNING's own order is not promised).
      ids.push(...out.map((r) => r.id).sort((a, b) => a - b));
    }
    return ids;
  }
  async claimDeliveries(now: number, limit: number, leaseUntil: number, opts: ClaimOptions = { excludeWebhooks: [] }): Promise<DeliveryRecord[]> {
    return this.transaction((tx) => (tx as SqlStore).claimIn(now, limit, leaseUntil, opts));
  }

  /** The claim, inside a transaction. */
  private async claimIn(now: number, limit: number, leaseUntil: number, opts: ClaimOptions): Promise<DeliveryRecord[]> {
    if (limit <= 0) return [];
    const hooks = await this.raw<{ id: number; fifo: number }>(
      'SELECT id, fifo FROM webhooks WHERE paused = 0 AND disabled_at IS NULL ORDER BY id', []);
    const picked = hooks.length > CLAIM_PER_WEBHOOK_MAX
      ? await this.claimScan(now, limit, opts)
      : await this.claimPerWebhook(now, limit, hooks, opts);
    if (picked.length === 0) return [];
    const rows = await this.raw<Row<DeliveryTable>>(
      `UPDATE deliveries SET status = 'delivering', lease_until = ?, updated_at = ?
       WHERE id IN (SELECT value FROM json_each(?)) RETURNING *`, [leaseUntil, now, JSON.stringify(picked)]);
    return rows.map(toDelivery).sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || a.id - b.id);
  }

  /**
   * Each active webhook with room is asked for its own due rows (index deliveries_webhook_queued: a seek and at
   * most `room` rows read), so saturated webhooks cost nothing and nothing is read only to be skipped. Expired
   * leases and deliveries of deleted webhooks come from their own (normally empty) index ranges.
   */
  private async claimPerWebhook(now: number, limit: number, hooks: { id: number; fifo: number }[], opts: ClaimOptions): Promise<number[]> {
    const excluded = new Set(opts.excludeWebhooks);
    const active = new Set<number>();
    const roomOf = new Map<number, number>();
    const due: { id: number; webhook_id: number | null; at: number }[] = [];
    for (const h of hooks) {
      active.add(h.id);
      if (excluded.has(h.id)) continue;
      const room = Math.min(limit, opts.roomFor ? opts.roomFor(h.id) : limit);
      roomOf.set(h.id, room);
      if (room <= 0) continue;
      if (h.fifo === 1) {
        // FIFO: only the webhook's oldest open delivery, and only when it is due (or its lease expired).
        const [o] = await this.raw<{ id: number; status: string; next_attempt_at: number; lease_until: number | null }>(
          `SELECT id, status, next_attempt_at, lease_until FROM deliveries INDEXED BY deliveries_fifo_open
           WHERE webhook_id = ? AND fifo = 1 AND status IN ('pending', 'delivering', 'failed') ORDER BY id LIMIT 1`, [h.id]);
        if (o && o.status !== 'delivering' && o.next_attempt_at <= now) due.push({ id: o.id, webhook_id: h.id, at: o.next_attempt_at });
        else if (o && o.status === 'delivering' && o.lease_until !== null && o.lease_until <= now) due.push({ id: o.id, webhook_id: h.id, at: o.lease_until });
        continue;
      }
      const rows = await this.raw<{ id: number; at: number }>(
        `SELECT id, next_attempt_at AS at FROM deliveries INDEXED BY deliveries_webhook_queued
         WHERE webhook_id = ? AND status IN ('pending', 'failed') AND next_attempt_at <= ?
         ORDER BY next_attempt_at, id LIMIT ?`, [h.id, now, room]);
      for (const r of rows) due.push({ id: r.id, webhook_id: h.id, at: r.at });
    }
    // Deleted webhooks' deliveries share one room (ORPHANS), as if they were one webhook.
    const orphanRoom = excluded.has(ORPHANS) ? 0 : Math.min(limit, opts.roomFor ? opts.roomFor(ORPHANS) : limit);
    roomOf.set(ORPHANS, orphanRoom);
    const orphans = orphanRoom <= 0 ? [] : await this.raw<{ id: number; at: number }>(
      `SELECT id, next_attempt_at AS at FROM deliveries INDEXED BY deliveries_webhook_queued
       WHERE webhook_id IS NULL AND status IN ('pending', 'failed') AND next_attempt_at <= ?
       ORDER BY next_attempt_at, id LIMIT ?`, [now, orphanRoom]);
    for (const r of orphans) due.push({ id: r.id, webhook_id: null, at: r.at });
    const leased = await this.raw<{ id: number; webhook_id: number | null; at: number }>(
      `SELECT id, webhook_id, lease_until AS at FROM deliveries INDEXED BY deliveries_leased
       WHERE status = 'delivering' AND lease_until <= ? ORDER BY lease_until, id LIMIT ?`, [now, limit * 4]);
    const fifo = new Set(hooks.filter((h) => h.fifo === 1).map((h) => h.id));
    for (const r of leased) {
      // FIFO webhooks' expired leases were considered above (their head only); paused or disabled: they wait.
      if (r.webhook_id !== null && (!active.has(r.webhook_id) || fifo.has(r.webhook_id))) continue;
      due.push(r);
    }
    due.sort((a, b) => a.at - b.at || a.id - b.id);
    const picked: number[] = [];
    const seen = new Set<number>();
    for (const d of due) {
      if (picked.length >= limit) break;
      if (seen.has(d.id)) continue;
      const key = d.webhook_id ?? ORPHANS;
      const left = roomOf.get(key) ?? 0;
      if (left <= 0) continue;
      roomOf.set(key, left - 1);
      seen.add(d.id);
      picked.push(d.id);
    }
    return picked;
  }

  /** The claim for many webhooks: two index-ordered scans of the whole queue, skipping what does not fit. */
  private async claimScan(now: number, limit: number, opts: ClaimOptions): Promise<number[]> {
    const exclude = opts.excludeWebhooks.length ? opts.excludeWebhooks : [-1];
    // Deleted webhooks' deliveries (ORPHANS) at their shared limit: none of them either.
    const orphans = opts.excludeWebhooks.includes(ORPHANS) ? sql`AND d.webhook_id IS NOT NULL` : sql``;
    const n = opts.roomFor ? limit * 4 : limit;
    // Two index-ordered scans (due queued rows; expired leases) instead of one OR that sorts the whole backlog.
    // (INDEXED BY is SQLite's; a PostgreSQL store, when there is one, would claim with FOR UPDATE SKIP LOCKED.)
    const eligible = sql`
        AND (w.id IS NULL OR (w.paused = 0 AND w.disabled_at IS NULL))
        AND (d.webhook_id IS NULL OR d.webhook_id NOT IN (${sql.join(exclude)}))
        ${orphans}
        AND (w.id IS NULL OR w.fifo = 0 OR d.id = (
              SELECT MIN(o.id) FROM deliveries o INDEXED BY deliveries_fifo_open
              WHERE o.webhook_id = d.webhook_id AND o.fifo = 1 AND o.status IN ('pending', 'delivering', 'failed')))`;
    const queued = await sql<{ id: number; webhook_id: number | null; at: number }>`
      SELECT d.id, d.webhook_id, d.next_attempt_at AS at FROM deliveries d INDEXED BY deliveries_queued
      LEFT JOIN webhooks w ON w.id = d.webhook_id
      WHERE d.status IN ('pending', 'failed') AND d.next_attempt_at <= ${now} ${eligible}
      ORDER BY d.next_attempt_at, d.id LIMIT ${n}`.execute(this.db);
    const leased = await sql<{ id: number; webhook_id: number | null; at: number }>`
      SELECT d.id, d.webhook_id, d.lease_until AS at FROM deliveries d INDEXED BY deliveries_leased
      LEFT JOIN webhooks w ON w.id = d.webhook_id
      WHERE d.status = 'delivering' AND d.lease_until <= ${now} ${eligible}
      ORDER BY d.lease_until, d.id LIMIT ${n}`.execute(this.db);
    const due = leased.rows.length ? [...leased.rows, ...queued.rows].sort((a, b) => a.at - b.at || a.id - b.id) : queued.rows;
    // Respect each webhook's room: what does not fit stays pending, untouched, for a later claim.
    const room = new Map<number, number>();
    const picked: number[] = [];
    for (const d of due) {
      if (picked.length >= limit) break;
      if (opts.roomFor) {
        const key = d.webhook_id ?? ORPHANS;
        const left = room.get(key) ?? opts.roomFor(key);
        if (left <= 0) continue;
        room.set(key, left - 1);
      }
      picked.push(d.id);
    }
    return picked;
  }
  async recordAttempts(results: AttemptResult[], now: number, disableFailingSince?: number, claim?: ClaimRequest): Promise<RecordOutcome> {
    if (results.length === 0 && !claim) return { disabledWebhooks: [], deadDeliveries: [] };
    return this.transaction(async (tx) => {
      const self = tx as SqlStore;
      const out: RecordOutcome = results.length ? await self.recordIn(results, now, disableFailingSince) : { disabledWebhooks: [], deadDeliveries: [] };
      if (claim) out.claimed = await self.claimIn(now, claim.limit, claim.leaseUntil, claim.opts ?? { excludeWebhooks: [] });
      return out;
    });
  }

  private async recordIn(results: AttemptResult[], now: number, disableFailingSince?: number): Promise<RecordOutcome> {
    {
      const self = this;
      // What the alerts of deliveries that die need beyond the results (only when one does: nothing more is read on
      // the way to `delivered` or `failed`).
      // Read under the same condition as the UPDATE below: an alert only for a delivery the record does move on.
      const dying = results.filter((r) => r.status === 'dead');
      const deadRows = dying.length === 0 ? [] : await self.raw<{ id: number; event_id: string; webhook_id: number | null }>(
        `SELECT d.id, d.event_id, d.webhook_id FROM deliveries d JOIN json_each(?) AS j ON d.id = j.value->>0
         WHERE +d.status = 'delivering' AND (j.value->>1 IS NULL OR d.lease_until = j.value->>1)`,
        [JSON.stringify(dying.map((r) => [r.attempt.deliveryId, r.leaseUntil ?? null]))]);
      for (let i = 0; i < results.length;) {
        const n = attemptChunk(results.length - i);
        const params: unknown[] = [];
        for (let j = i; j < i + n; j++) {
          const a = results[j]!.attempt;
          params.push(a.deliveryId, a.webhookId, a.attempt, a.startedAt, a.durationMs, a.statusCode, a.outcome, a.error, a.responseBody,
            a.remoteAddress, a.url, JSON.stringify(a.requestHeaders), a.responseHeaders ? JSON.stringify(a.responseHeaders) : null);
        }
        await self.raw(insertAttemptsSql(n), params);
        i += n;
      }
      // The states: one statement whatever the batch size (one text, so prepared once), the rows as one JSON array.
      // Every attempt goes to the log (above); its delivery moves on only if it is still delivering under the lease
      // the attempt was made under. A late result (the delivery was handed back at shutdown, or its lease expired and
      // it was claimed again) must not overwrite what the row says now.
      await self.raw(
        `UPDATE deliveries SET status = j.value->>1, attempts = j.value->>2, lease_until = NULL, last_status = j.value->>3,
           last_error = j.value->>4, updated_at = ?, next_attempt_at = COALESCE(j.value->>5, deliveries.next_attempt_at)
         FROM json_each(?) AS j WHERE deliveries.id = j.value->>0 AND +deliveries.status = 'delivering'
           AND (j.value->>6 IS NULL OR deliveries.lease_until = j.value->>6)`,
        [now, JSON.stringify(results.map((r) => [
          r.attempt.deliveryId, r.status, r.attempt.attempt, r.attempt.statusCode, r.attempt.error, r.nextAttemptAt, r.leaseUntil ?? null,
        ]))]);
      // Each webhook's run of failures: cleared by any success, started by the first failure after one.
      const healthy = new Set<number>();
      const failing = new Map<number, number>();
      const disable = new Map<number, string>();
      for (const r of results) {
        const id = r.attempt.webhookId;
        if (id === null) continue;
        if (r.webhook === 'healthy') { healthy.add(id); failing.delete(id); }
        else {
          if (!healthy.has(id) && !failing.has(id)) failing.set(id, r.attempt.startedAt);
          if (typeof r.webhook === 'object') disable.set(id, r.webhook.disable);
        }
      }
      if (healthy.size) {
        await self.raw('UPDATE webhooks SET failing_since = NULL WHERE id IN (SELECT value FROM json_each(?)) AND failing_since IS NOT NULL',
          [JSON.stringify([...healthy])]);
      }
      for (const [id, since] of failing) {
        await self.db.updateTable('webhooks').set({ failing_since: since })
          .where('id', '=', id).where('failing_since', 'is', null).execute();
      }
      const disabled: RecordOutcome['disabledWebhooks'] = [];
      for (const [id, reason] of disable) {
        const r = await self.db.updateTable('webhooks').set({ disabled_at: now, disabled_reason: reason, updated_at: now })
          .where('id', '=', id).where('disabled_at', 'is', null).returning(['id', 'name']).executeTakeFirst();
        if (r) disabled.push({ id: r.id, name: r.name, reason });
      }
      if (disableFailingSince !== undefined && failing.size) {
        const rows = await self.db.selectFrom('webhooks').select(['id', 'name', 'failing_since'])
          .where('id', 'in', [...failing.keys()]).where('disabled_at', 'is', null)
          .where('failing_since', '<=', disableFailingSince).execute();
        for (const r of rows) {
          const reason = `every attempt has failed since ${new Date(r.failing_since!).toISOString()}`;
          await self.db.updateTable('webhooks').set({ disabled_at: now, disabled_reason: reason, updated_at: now }).where('id', '=', r.id).execute();
          disabled.push({ id: r.id, name: r.name, reason });
        }
      }
      // The alerts, in this transaction: a crash cannot leave a dead delivery or a disabled webhook without its
      // alert (and the alert's notifications), and a failure to write them undoes the record (the attempts are sent
      // again when their leases expire) rather than losing the alert.
      const dead: RecordOutcome['deadDeliveries'] = [];
      const byId = new Map(deadRows.map((d) => [d.id, d]));
      for (const r of dying) {
        const d = byId.get(r.attempt.deliveryId);
        if (!d) continue;
        await self.raiseAlert(deadDeliveryAlert({ id: d.id, eventId: d.event_id, webhookId: d.webhook_id, url: r.attempt.url, error: r.attempt.error }), now);
        dead.push({ deliveryId: d.id, webhookId: d.webhook_id, eventId: d.event_id, error: r.attempt.error });
      }
      for (const w of disabled) await self.raiseAlert(disabledWebhookAlert(w), now);
      return { disabledWebhooks: disabled, deadDeliveries: dead };
    }
  }
  async releaseDeliveries(ids: number[], now: number): Promise<void> {
    if (ids.length === 0) return;
    // In a transaction: the engine's connection retries a busy write lock there (see transaction()).
    if (!this.inTransaction) return this.transaction((tx) => tx.releaseDeliveries(ids, now));
    await this.db.updateTable('deliveries')
      .set({ status: sql<string>`CASE WHEN attempts = 0 THEN 'pending' ELSE 'failed' END`, lease_until: null, next_attempt_at: now, updated_at: now })
      .where('id', 'in', ids).where('status', '=', 'delivering').execute();
  }
  async getDelivery(id: number): Promise<DeliveryRecord | null> {
    const r = await this.db.selectFrom('deliveries').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toDelivery(r) : null;
  }
  async listDeliveries(f: DeliveryFilter): Promise<DeliveryRecord[]> {
    let q = this.db.selectFrom('deliveries').selectAll();
    if (f.webhookId !== undefined) q = q.where('webhook_id', '=', f.webhookId);
    // A literal `<>` lets SQLite use the partial index deliveries_unfinished (a bound value could be 'delivered').
    if (f.status !== undefined) q = q.where('status', '=', f.status).$if(f.status !== 'delivered', (qb) => qb.where(sql<boolean>`status <> 'delivered'`));
    if (f.eventType !== undefined) q = q.where('event_type', '=', f.eventType);
    if (f.since !== undefined) q = q.where('created_at', '>=', f.since);
    if (f.until !== undefined) q = q.where('created_at', '<', f.until);
    if (f.beforeId !== undefined) q = q.where('id', '<', f.beforeId);
    return (await q.orderBy('id', 'desc').limit(f.limit).execute()).map(toDelivery);
  }
  async listAttempts(deliveryId: number): Promise<AttemptRecord[]> {
    const rows = await this.db.selectFrom('delivery_attempts').selectAll().where('delivery_id', '=', deliveryId).orderBy('id').execute();
    return rows.map(toAttempt);
  }
  async findAttempts(f: AttemptFilter): Promise<AttemptRecord[]> {
    let q = this.db.selectFrom('delivery_attempts').selectAll();
    if (f.webhookId !== undefined) q = q.where('webhook_id', '=', f.webhookId);
    if (f.deliveryId !== undefined) q = q.where('delivery_id', '=', f.deliveryId);
    if (f.outcome !== undefined) q = q.where('outcome', '=', f.outcome);
    if (f.eventType !== undefined) {
      // Correlated on the delivery's primary key: newest attempts first, each checked by one lookup, up to the limit.
      const type = f.eventType;
      q = q.where((eb) => eb.exists(eb.selectFrom('deliveries').select(sql`1`.as('one'))
        .whereRef('deliveries.id', '=', 'delivery_attempts.delivery_id').where('deliveries.event_type', '=', type)));
    }
    if (f.since !== undefined) q = q.where('started_at', '>=', f.since);
    if (f.until !== undefined) q = q.where('started_at', '<', f.until);
    if (f.beforeId !== undefined) q = q.where('id', '<', f.beforeId);
    return (await q.orderBy('id', 'desc').limit(f.limit).execute()).map(toAttempt);
  }
  async redeliver(ids: number[], now: number): Promise<number[]> {
    if (ids.length === 0) return [];
    return this.transaction(async (tx) => {
      const self = tx as SqlStore;
      const rows = await self.db.selectFrom('deliveries').leftJoin('webhooks', 'webhooks.id', 'deliveries.webhook_id')
        .select(['deliveries.id', 'deliveries.event_id', 'deliveries.webhook_id', 'deliveries.url as old_url', 'webhooks.url as new_url',
          'deliveries.event_type', 'deliveries.payload', 'deliveries.content_type', 'deliveries.signed', 'webhooks.fifo'])
        .where('deliveries.id', 'in', ids).orderBy('deliveries.id').execute();
      if (rows.length === 0) return [];
      const out = await self.db.insertInto('deliveries').values(rows.map((r) => ({
        event_id: r.event_id, webhook_id: r.webhook_id, url: r.new_url ?? r.old_url, event_type: r.event_type,
        payload: r.payload, content_type: r.content_type, signed: r.signed, status: 'pending', attempts: 0,
        next_attempt_at: now, lease_until: null, last_status: null, last_error: null, created_at: now, updated_at: now,
        redelivery_of: r.id, fifo: r.fifo ?? 0,
      }))).returning('id').execute();
      return out.map((r) => r.id);
    });
  }
  async redeliveriesOf(ids: number[]): Promise<Map<number, { id: number; status: DeliveryStatus }[]>> {
    const out = new Map<number, { id: number; status: DeliveryStatus }[]>();
    if (ids.length === 0) return out;
    // Off deliveries_redelivery_of (its condition is implied by the equality), one look-up per id.
    const rows = await this.raw<{ of: number; id: number; status: DeliveryStatus }>(
      `SELECT d.redelivery_of AS "of", d.id, d.status FROM json_each(?) j CROSS JOIN deliveries d ON d.redelivery_of = j.value
       ORDER BY d.id`, [JSON.stringify(ids)]);
    for (const r of rows) {
      const list = out.get(Number(r.of)) ?? [];
      list.push({ id: Number(r.id), status: r.status });
      out.set(Number(r.of), list);
    }
    return out;
  }
  async deadDeliveryIds(webhookId: number, since: number, until: number, limit: number): Promise<number[]> {
    // One per event: a range that holds an event's dead original and its dead redelivery (same event_id) must not
    // send the event twice. The newest is kept (ids grow with creation): the one sent to the latest URL.
    // An event is left out when any delivery of it is delivered or still open: its original, or a redelivery made
    // since (created after the range, say, by an earlier bulk redelivery). An event's deliveries form a tree through
    // `redelivery_of`: up from each dead row to the original by primary key, then down from every row met on the way
    // (the original may have been swept) through deliveries_redelivery_of, which holds only redeliveries.
    const rows = await this.raw<{ id: number }>(
      `WITH RECURSIVE
         dead(id, event_id, parent) AS (
           SELECT id, event_id, redelivery_of FROM deliveries
           WHERE webhook_id = ? AND status = 'dead' AND created_at >= ? AND created_at < ?),
         up(event_id, id, parent) AS (
           SELECT event_id, id, parent FROM dead
           UNION
           SELECT up.event_id, d.id, d.redelivery_of FROM up JOIN deliveries d ON d.id = up.parent),
         tree(event_id, id) AS (
           SELECT event_id, id FROM up
           UNION
           SELECT tree.event_id, d.id FROM tree JOIN deliveries d ON d.redelivery_of = tree.id)
       SELECT MAX(id) AS id FROM dead
       WHERE event_id NOT IN (SELECT tree.event_id FROM tree CROSS JOIN deliveries x ON x.id = tree.id WHERE x.status <> 'dead')
       GROUP BY event_id ORDER BY id LIMIT ?`, [webhookId, since, until, limit]);
    return rows.map((r) => r.id);
  }
  async outboxStats(_now: number, opts: { withRedelivered?: boolean } = {}): Promise<OutboxStats> {
    // Both off the partial index deliveries_unfinished (its condition written as a literal, so SQLite can use it).
    const rows = await this.raw<{ status: string; n: number }>(
      `SELECT status, COUNT(*) AS n FROM deliveries WHERE status <> 'delivered' GROUP BY status`, []);
    const n = (st: string) => Number(rows.find((r) => r.status === st)?.n ?? 0);
    const [oldest] = await this.raw<{ t: number | null }>(
      `SELECT MIN(created_at) AS t FROM deliveries WHERE status <> 'delivered' AND status IN ('pending', 'delivering', 'failed')`, []);
    const stats: OutboxStats = {
      pending: n('pending'), failed: n('failed'), delivering: n('delivering'), dead: n('dead'),
      oldestDueCreatedAt: oldest?.t === null || oldest?.t === undefined ? null : Number(oldest.t),
    };
    if (opts.withRedelivered) {
      // The dead rows off deliveries_unfinished, each looked up in deliveries_redelivery_of (redeliveries only).
      const [r] = await this.raw<{ n: number }>(
        `SELECT COUNT(*) AS n FROM deliveries d WHERE d.status <> 'delivered' AND d.status = 'dead'
           AND EXISTS (SELECT 1 FROM deliveries r WHERE r.redelivery_of = d.id)`, []);
      stats.deadRedelivered = Number(r?.n ?? 0);
    }
    return stats;
  }
  async attemptIdBehind(keep: number): Promise<number | null> {
    const [r] = await this.raw<{ id: number }>('SELECT id FROM delivery_attempts ORDER BY id DESC LIMIT 1 OFFSET ?', [keep]);
    return r ? Number(r.id) : null;
  }
  async sweepAttempts(o: { afterId: number; limit: number; before: number; capId: number | null }): Promise<{ deleted: number; next: number | null }> {
    // Off the primary key from where the last batch stopped, each attempt's delivery looked up by its id. An attempt
    // whose delivery is gone counts as finished.
    const rows = await this.raw<{ id: number; started_at: number; status: string | null }>(
      `SELECT a.id, a.started_at, d.status FROM delivery_attempts a LEFT JOIN deliveries d ON d.id = a.delivery_id
       WHERE a.id > ? ORDER BY a.id LIMIT ?`, [o.afterId, o.limit]);
    const cap = o.capId ?? -1;
    const victims: number[] = [];
    let next: number | null = rows.length === o.limit ? Number(rows[rows.length - 1]!.id) : null;
    for (const r of rows) {
      const id = Number(r.id);
      // Ids grow with the time attempts are recorded: past the cap, the first attempt young enough ends the pass.
      if (id > cap && r.started_at >= o.before) { next = null; break; }
      if (r.status === null || !(OPEN_STATUSES as readonly string[]).includes(r.status)) victims.push(id);
    }
    if (victims.length > 0) await this.raw('DELETE FROM delivery_attempts WHERE id IN (SELECT value FROM json_each(?))', [JSON.stringify(victims)]);
    return { deleted: victims.length, next };
  }
  async sweepDeliveries(o: { afterId: number; limit: number; before: number }): Promise<{ deleted: number; attempts: number; next: number | null }> {
    const rows = await this.raw<{ id: number; status: string; created_at: number; updated_at: number }>(
      'SELECT id, status, created_at, updated_at FROM deliveries WHERE id > ? ORDER BY id LIMIT ?', [o.afterId, o.limit]);
    const victims: number[] = [];
    let next: number | null = rows.length === o.limit ? Number(rows[rows.length - 1]!.id) : null;
    for (const r of rows) {
      // Created at or after the cutoff, it cannot have been updated before it; the later ones are younger still.
      if (r.created_at >= o.before) { next = null; break; }
      if ((r.status === 'delivered' || r.status === 'dead') && r.updated_at < o.before) victims.push(Number(r.id));
    }
    if (victims.length === 0) return { deleted: 0, attempts: 0, next };
    // Their attempts go with them (ON DELETE CASCADE, off delivery_attempts_delivery); counted first, for the totals.
    const ids = JSON.stringify(victims);
    const [n] = await this.raw<{ n: number }>('SELECT COUNT(*) AS n FROM delivery_attempts WHERE delivery_id IN (SELECT value FROM json_each(?))', [ids]);
    await this.raw('DELETE FROM deliveries WHERE id IN (SELECT value FROM json_each(?))', [ids]);
    return { deleted: victims.length, attempts: Number(n?.n ?? 0), next };
  }

  // alerts
  async raiseAlert(a: AlertInput, now: number): Promise<AlertRecord> {
    return this.transaction(async (tx) => {
      const self = tx as SqlStore;
      let q = self.db.selectFrom('alerts').selectAll().where('kind', '=', a.kind).where('title', '=', a.title)
        .where('acknowledged_at', 'is', null);
      q = a.webhookId === null ? q.where('webhook_id', 'is', null) : q.where('webhook_id', '=', a.webhookId);
      const open = await q.orderBy('id', 'desc').executeTakeFirst();
      if (open) {
        const r = await self.db.updateTable('alerts').set({ count: open.count + 1, last_at: now, message: a.message, delivery_id: a.deliveryId })
          .where('id', '=', open.id).returningAll().executeTakeFirstOrThrow();
        return toAlert(r);
      }
      const r = await self.db.insertInto('alerts').values({
        kind: a.kind, severity: a.severity, webhook_id: a.webhookId, delivery_id: a.deliveryId, title: a.title,
        message: a.message, count: 1, created_at: now, last_at: now, acknowledged_at: null,
      }).returningAll().executeTakeFirstOrThrow();
      // A new alert is routed to its channels in this same transaction (an outbox the notifier sends from); a repeat
      // counted into an open alert is not sent again until the alert is acknowledged.
      const alert = toAlert(r);
      await self.enqueueAlertNotifications(alert, now);
      return alert;
    });
  }
  async listAlerts(opts: { limit: number; open?: boolean }): Promise<AlertRecord[]> {
    let q = this.db.selectFrom('alerts').selectAll();
    if (opts.open === true) q = q.where('acknowledged_at', 'is', null);
    if (opts.open === false) q = q.where('acknowledged_at', 'is not', null);
    return (await q.orderBy('last_at', 'desc').orderBy('id', 'desc').limit(opts.limit).execute()).map(toAlert);
  }
  async acknowledgeAlert(id: number, now: number): Promise<boolean> {
    const r = await this.db.updateTable('alerts').set({ acknowledged_at: now }).where('id', '=', id)
      .where('acknowledged_at', 'is', null).executeTakeFirst();
    if (Number(r.numUpdatedRows) > 0) return true;
    return (await this.db.selectFrom('alerts').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
  }
  async nextDueAt(): Promise<number | null> {
    const r = await sql<{ t: number | null }>`
      SELECT MIN(t) AS t FROM (
        SELECT MIN(next_attempt_at) AS t FROM deliveries INDEXED BY deliveries_queued WHERE status IN ('pending', 'failed')
        UNION ALL
        SELECT MIN(lease_until) AS t FROM deliveries INDEXED BY deliveries_leased WHERE status = 'delivering')`.execute(this.db);
    const t = r.rows[0]?.t;
    return t === null || t === undefined ? null : Number(t);
  }

}
