/**
 * The Store port: every read and write Switchyard makes, in domain terms. SQL stays behind it; the SQLite
 * implementation is ./sql-store.ts (Kysely), and a PostgreSQL one will satisfy the same contract
 * (./store.contract.test.ts runs against each).
 */
import type { TriggerType, WebhookIntegrations, WebhookMode, WebhookType } from '../core/types.js';
import type { ReceiverStore } from './receiver-types.js';
import type { AlertingStore } from './alerting-types.js';
export type * from './receiver-types.js';
export type * from './alerting-types.js';

export interface WorkspaceRecord { id: number; name: string; createdAt: number }
export interface ProjectRecord { id: number; workspaceId: number; name: string }

export type TokenRole = 'admin' | 'user';
export interface TokenRecord {
  id: number; name: string; role: TokenRole; prefix: string;
  createdAt: number; lastUsedAt: number | null; revokedAt: number | null;
}

export interface TriggerRecord {
  id: number; webhookId: number; triggerType: TriggerType; condition: Record<string, unknown>;
}
export interface TriggerInput { triggerType: TriggerType; condition: Record<string, unknown> }

export type SignatureScheme = 'determined' | 'standard';

export interface WebhookRecord {
  id: number; url: string; webhookType: WebhookType; workspaceId: number | null; name: string; mode: WebhookMode;
  /** Always includes `determined`. */
  schemes: SignatureScheme[];
  swSecret: string | null; swPreviousSecret: string | null; swPreviousUntil: number | null;
  createdAt: number; updatedAt: number;
  triggers: TriggerRecord[];
  paused: boolean; disabledAt: number | null; disabledReason: string | null; failingSince: number | null;
  /** Per-webhook delivery settings; null = the server's default. */
  retryPolicy: RetrySpec | null; timeoutMs: number | null; maxConcurrency: number | null; fifo: boolean;
}
/** A retry policy by name, or a custom schedule of waits (seconds) between attempts. */
export type RetrySpec = { policy: 'default' | 'determined' } | { policy: 'custom'; scheduleSeconds: number[] };
export interface WebhookInput {
  url: string; webhookType: WebhookType; workspaceId: number | null; name: string; mode: WebhookMode;
  schemes: SignatureScheme[]; swSecret: string | null;
  retryPolicy?: RetrySpec | null; timeoutMs?: number | null; maxConcurrency?: number | null; fifo?: boolean;
}
export interface WebhookPatch {
  url?: string; name?: string; webhookType?: WebhookType; mode?: WebhookMode; schemes?: SignatureScheme[];
  swSecret?: string | null; swPreviousSecret?: string | null; swPreviousUntil?: number | null;
  paused?: boolean; disabledAt?: number | null; disabledReason?: string | null; failingSince?: number | null;
  retryPolicy?: RetrySpec | null; timeoutMs?: number | null; maxConcurrency?: number | null; fifo?: boolean;
}

/** A trigger with the webhook that owns it (without the webhook's other triggers). */
export interface TriggerMatch { trigger: TriggerRecord; webhook: WebhookRecord }

export interface ExperimentRecord {
  id: number; name: string; state: string; workspaceId: number; projectId: number;
  workspaceName: string; projectName: string; resourcePool: string; slotsPerTrial: number;
  integrations: WebhookIntegrations; startTime: number; endTime: number | null; updatedAt: number;
  /** Events fired by its state changes and custom alerts (one per matching trigger, before fan-out to deliveries). */
  eventsFired: number;
}
export type ExperimentInput = Omit<ExperimentRecord, 'id' | 'endTime' | 'updatedAt' | 'eventsFired'>;

export interface TaskRecord {
  taskId: string; taskType: string; experimentId: number | null; trialId: number | null; workspaceId: number | null;
  createdAt: number;
}

export type DeliveryStatus = 'pending' | 'delivering' | 'delivered' | 'failed' | 'dead';
export interface DeliveryInput {
  eventId: string; webhookId: number | null; url: string; eventType: string; payload: string;
  contentType: string | null; signed: boolean; nextAttemptAt: number;
  /**
   * Enqueue only: written already leased to this process's engine until then (status delivering), because the engine
   * took it at once (DeliveryWorker.handoff); it is sent without a claim and, if the process dies, claimed again once
   * the lease expires, like any claimed delivery.
   */
  leaseUntil?: number | null;
}
export interface DeliveryRecord extends DeliveryInput {
  id: number; status: DeliveryStatus; attempts: number; leaseUntil: number | null;
  lastStatus: number | null; lastError: string | null; createdAt: number; updatedAt: number;
  redeliveryOf: number | null;
}
/** `refused`: the SSRF guard would not connect to the address. */
export type AttemptOutcome = 'ok' | 'http' | 'timeout' | 'connect' | 'dns' | 'reset' | 'tls' | 'refused' | 'other';
export interface AttemptInput {
  deliveryId: number; webhookId: number | null; attempt: number; startedAt: number; durationMs: number;
  statusCode: number | null; outcome: AttemptOutcome; error: string | null; responseBody: string | null;
  remoteAddress: string | null; url: string; requestHeaders: Record<string, string>;
  responseHeaders: Record<string, string> | null;
}
export interface AttemptRecord extends AttemptInput { id: number }
/** What an attempt did to its delivery. */
export interface AttemptResult {
  attempt: AttemptInput;
  status: Exclude<DeliveryStatus, 'pending' | 'delivering'>;
  /** For `failed`: when to try again. */
  nextAttemptAt: number | null;
  /** What the attempt says about its webhook: it works, it fails, or it must be disabled now (410 Gone). */
  webhook: 'healthy' | 'failing' | { disable: string };
  /**
   * The lease the attempt was made under (the delivery's lease_until when claimed or handed off). The record moves
   * the delivery on only while it is still `delivering` under this lease (any lease, if not given): a result that
   * comes back after the delivery was handed back, claimed again or ended otherwise is kept in the attempt log but
   * changes nothing.
   */
  leaseUntil?: number | null;
}
export interface DeliveryFilter {
  webhookId?: number; status?: DeliveryStatus; eventType?: string; since?: number; until?: number;
  limit: number; beforeId?: number;
}
export interface AttemptFilter {
  webhookId?: number; deliveryId?: number; outcome?: AttemptOutcome; since?: number; until?: number;
  /** Only attempts of deliveries of this event type (EXPERIMENT_STATE_CHANGE, TASK_LOG, CUSTOM…). */
  eventType?: string;
  limit: number; beforeId?: number;
}
/**
 * The key that deliveries of deleted webhooks (webhook_id NULL) share in ClaimOptions: together they are limited like
 * one webhook, so a deleted webhook's backlog to a slow endpoint cannot take every slot. Never a webhook's id (ids
 * start at 1).
 */
export const ORPHANS = 0;

export interface ClaimOptions {
  /** Webhooks with no room for more requests in flight: claim none of theirs (ORPHANS: none of deleted webhooks'). */
  excludeWebhooks: number[];
  /** How many more of a webhook's deliveries may be claimed now (the rest stay pending for a later claim); see ORPHANS. */
  roomFor?: (webhookId: number) => number;
}
/** delivery.dead, webhook.disabled: raised by the delivery engine; flow.alert: by a flow's alert step; run.failed: a flow run failed. */
export type AlertKind = 'delivery.dead' | 'webhook.disabled' | 'flow.alert' | 'run.failed';
export interface AlertRecord {
  id: number; kind: AlertKind; severity: 'info' | 'warning' | 'error'; webhookId: number | null; deliveryId: number | null;
  title: string; message: string; count: number; createdAt: number; lastAt: number; acknowledgedAt: number | null;
}
export type AlertInput = Pick<AlertRecord, 'kind' | 'severity' | 'webhookId' | 'deliveryId' | 'title' | 'message'>;
/** What recording attempts changed beyond the deliveries themselves. */
export interface RecordOutcome {
  disabledWebhooks: { id: number; name: string; reason: string }[];
  /** Deliveries the record made dead (each with its delivery.dead alert raised in the same transaction). */
  deadDeliveries: { deliveryId: number; webhookId: number | null; eventId: string; error: string | null }[];
  /** What the same transaction claimed, when recordAttempts was asked to (`claim`). */
  claimed?: DeliveryRecord[];
}
/** A claim that recordAttempts makes in its own transaction, after recording (one commit per engine cycle). */
export interface ClaimRequest { limit: number; leaseUntil: number; opts?: ClaimOptions }
export interface OutboxStats {
  pending: number; failed: number; delivering: number; dead: number; oldestDueCreatedAt: number | null;
  /** With `withRedelivered`: of the dead, those that have been redelivered since (by any redelivery, whatever its state). */
  deadRedelivered?: number;
}

export interface Store extends ReceiverStore, AlertingStore {
  /** Runs fn in one transaction; everything fn writes commits together or not at all. */
  transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T>;
  /** Inside a transaction: runs fn in a savepoint, so that if it throws only its own writes are undone. */
  savepoint<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;

  getSetting(key: string): Promise<string | null>;
  /** Stores value under key unless a value is there already; returns the value that is kept. */
  putSettingIfAbsent(key: string, value: string): Promise<string>;

  listWorkspaces(): Promise<WorkspaceRecord[]>;
  getWorkspace(id: number): Promise<WorkspaceRecord | null>;
  getWorkspaceByName(name: string): Promise<WorkspaceRecord | null>;
  createWorkspace(name: string, now: number): Promise<WorkspaceRecord>;
  /** The project's id, creating it in the workspace if needed. */
  ensureProject(workspaceId: number, name: string, now: number): Promise<number>;

  countTokens(): Promise<number>;
  createToken(t: { name: string; role: TokenRole; hash: string; prefix: string }, now: number): Promise<TokenRecord>;
  listTokens(): Promise<TokenRecord[]>;
  findTokenByHash(hash: string): Promise<TokenRecord | null>;
  revokeToken(id: number, now: number): Promise<boolean>;
  touchToken(id: number, now: number): Promise<void>;

  listWebhooks(): Promise<WebhookRecord[]>;
  getWebhook(id: number): Promise<WebhookRecord | null>;
  getWebhooks(ids: number[]): Promise<WebhookRecord[]>;
  findWebhookByName(name: string, scopeId: number): Promise<WebhookRecord | null>;
  createWebhook(w: WebhookInput, triggers: TriggerInput[], now: number): Promise<WebhookRecord>;
  updateWebhook(id: number, patch: WebhookPatch, triggers: TriggerInput[] | undefined, now: number): Promise<WebhookRecord | null>;
  deleteWebhook(id: number): Promise<boolean>;
  /** Triggers of a type (and, for state changes, of a state) with their webhooks, in id order. */
  findTriggers(type: TriggerType, state?: string): Promise<TriggerMatch[]>;

  createExperiment(e: ExperimentInput, now: number): Promise<ExperimentRecord>;
  getExperiment(id: number): Promise<ExperimentRecord | null>;
  listExperiments(opts: { limit: number; offset: number }): Promise<{ experiments: ExperimentRecord[]; total: number }>;
  /** The new state, and `events` more events fired (counted in the same write). */
  setExperimentState(id: number, state: string, endTime: number | null, now: number, events?: number): Promise<void>;
  /** Adds to the experiment's count of events fired. */
  countExperimentEvents(id: number, events: number): Promise<void>;

  getTask(taskId: string): Promise<TaskRecord | null>;
  insertTask(t: TaskRecord): Promise<void>;
  /** Records that (task, trigger) fired; false if it had fired before (at most one event each, ever). */
  claimTaskLogTrigger(taskId: string, triggerId: number): Promise<boolean>;

  enqueueDeliveries(rows: DeliveryInput[], now: number): Promise<number[]>;
  /**
   * Leases up to `limit` due deliveries (pending/failed and due, or delivering with an expired lease), oldest due
   * first, skipping paused and disabled webhooks and, for FIFO webhooks, everything but the oldest open delivery.
   */
  claimDeliveries(now: number, limit: number, leaseUntil: number, opts?: ClaimOptions): Promise<DeliveryRecord[]>;
  /**
   * Records attempts and moves their deliveries on, in one write; tracks each webhook's run of failures and
   * disables a webhook whose failures began at or before `disableFailingSince` (or that answered 410). In the same
   * transaction it raises the alerts this causes (see delivery-alerts.ts): `delivery.dead` for each delivery that
   * died, `webhook.disabled` for each webhook it disabled, with their notifications. With `claim`, then claims as
   * claimDeliveries would (after the webhooks were disabled), in the same transaction.
   */
  recordAttempts(results: AttemptResult[], now: number, disableFailingSince?: number, claim?: ClaimRequest): Promise<RecordOutcome>;
  /** Hands leased deliveries back (shutdown). */
  releaseDeliveries(ids: number[], now: number): Promise<void>;
  getDelivery(id: number): Promise<DeliveryRecord | null>;
  listDeliveries(f: DeliveryFilter): Promise<DeliveryRecord[]>;
  listAttempts(deliveryId: number): Promise<AttemptRecord[]>;
  findAttempts(f: AttemptFilter): Promise<AttemptRecord[]>;
  /**
   * New deliveries of the same events, to each webhook's current URL (or the original URL if it is gone). Their ids
   * come in the order of the ids given, sorted.
   */
  redeliver(ids: number[], now: number): Promise<number[]>;
  /** The redeliveries made of each of these deliveries (those whose `redeliveryOf` is it), oldest first; none: absent. */
  redeliveriesOf(ids: number[]): Promise<Map<number, { id: number; status: DeliveryStatus }[]>>;
  /**
   * Ids of the dead deliveries of a webhook created within [since, until), one per event: of an event's dead
   * deliveries in the range (an original and its redeliveries), the newest. An event that any of its deliveries
   * (in the range or not) delivered, or still carries, is left out.
   */
  deadDeliveryIds(webhookId: number, since: number, until: number, limit: number): Promise<number[]>;
  /** The queue's counts. `withRedelivered` also counts the dead ones redelivered since: a look-up per dead delivery. */
  outboxStats(now: number, opts?: { withRedelivered?: boolean }): Promise<OutboxStats>;
  /**
   * Retention of the attempt log, one batch (src/delivery/sweeper.ts runs the pass, each batch in its own
   * transaction): of the attempts after `afterId`, at most `limit` looked at, in id order, those of finished
   * deliveries started before `before` or with an id up to `capId` (the count cap) are deleted; an open delivery keeps
   * all of its attempts. `next`: the id to go on after, or null when the pass is done.
   */
  sweepAttempts(o: { afterId: number; limit: number; before: number; capId: number | null }): Promise<{ deleted: number; next: number | null }>;
  /** The id of the newest attempt past the newest `keep` (the count cap's bound), or null if there are no more. */
  attemptIdBehind(keep: number): Promise<number | null>;
  /**
   * Finished deliveries last updated before `before`, one batch, as sweepAttempts; their attempts go with them
   * (`attempts`: how many).
   */
  sweepDeliveries(o: { afterId: number; limit: number; before: number }): Promise<{ deleted: number; attempts: number; next: number | null }>;

  /** Raises an alert, or counts it into an open one of the same kind for the same webhook. */
  raiseAlert(a: AlertInput, now: number): Promise<AlertRecord>;
  listAlerts(opts: { limit: number; open?: boolean }): Promise<AlertRecord[]>;
  acknowledgeAlert(id: number, now: number): Promise<boolean>;
  /** When the next not-yet-due delivery becomes due, or null. */
  nextDueAt(): Promise<number | null>;
}
