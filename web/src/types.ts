/** Shapes of the API's answers, as docs/api.md documents them. */

export type TriggerType =
  | 'TRIGGER_TYPE_EXPERIMENT_STATE_CHANGE' | 'TRIGGER_TYPE_TASK_LOG' | 'TRIGGER_TYPE_CUSTOM' | 'TRIGGER_TYPE_METRIC_THRESHOLD_EXCEEDED';

export interface Trigger { id?: number; triggerType: TriggerType; condition: Record<string, unknown>; webhookId?: number }

export type WebhookType = 'WEBHOOK_TYPE_DEFAULT' | 'WEBHOOK_TYPE_SLACK';
export type WebhookMode = 'WEBHOOK_MODE_WORKSPACE' | 'WEBHOOK_MODE_SPECIFIC';
export type SignatureScheme = 'determined' | 'standard';

export interface Webhook {
  id: number;
  url: string;
  triggers: Trigger[];
  webhookType: WebhookType;
  name: string;
  workspaceId: number;
  mode: WebhookMode;
  signatureSchemes: SignatureScheme[];
  standardWebhooks: { secretPreview: string; previousSecretPreview: string | null; previousSecretExpiresAt: string | null } | null;
  ordering?: 'BEST_EFFORT' | 'FIFO';
  retryPolicy?: unknown;
  timeoutMs?: number | null;
  maxConcurrency?: number | null;
  paused?: boolean;
  disabledAt?: string | null;
  disabledReason?: string | null;
  failingSince?: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface WebhookInput {
  url: string;
  name?: string;
  webhookType?: WebhookType;
  workspaceId?: number;
  mode?: WebhookMode;
  triggers?: Trigger[];
  signatureSchemes?: SignatureScheme[];
}

export interface WebhookSecret { secret: string; previousSecret: string | null; previousSecretExpiresAt: string | null }

export type DeliveryStatus = 'pending' | 'delivering' | 'delivered' | 'failed' | 'dead';

export interface Delivery {
  id: number;
  eventId: string;
  webhookId: number;
  url: string;
  eventType: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  redeliveryOf?: number | null;
  /** The redeliveries made of this delivery, oldest first. */
  redeliveries?: { id: number; status: DeliveryStatus }[];
  createdAt: string;
  updatedAt: string;
}

export interface DeliveryDetail extends Delivery { payload: string; contentType: string; signed: boolean }

export interface AttemptSummary {
  id: number; attempt: number; startedAt: string; durationMs: number; statusCode: number | null; outcome: string;
  error: string | null; responseBody: string | null; remoteAddress: string | null;
}

export interface Attempt extends AttemptSummary {
  deliveryId: number;
  webhookId: number;
  url: string;
  requestHeaders: Record<string, string>;
  responseHeaders: Record<string, string> | null;
}

export interface Outbox { pending: number; failed: number; delivering: number; dead: number; oldestDueCreatedAt: string | null; inFlight: number }

export interface Experiment {
  id: number; name: string; state: string; workspace: string; workspaceId: number; project: string; projectId: number;
  resourcePool: string; slotsPerTrial: number; integrations: unknown; startTime: string; endTime: string | null; duration: number;
  /** Events fired so far by its state changes and custom alerts. */
  eventsFired: number;
}
export interface ExperimentInput { name: string; workspace?: string; project?: string; integrations?: unknown }

export interface Pagination { offset: number; limit: number; startIndex: number; endIndex: number; total: number }

export interface Workspace { id: number; name: string; createdAt: string }

export interface Alert {
  id: number; kind: string; severity: string; webhookId: number; deliveryId: number; title: string; message: string;
  count: number; createdAt: string; lastAt: string; acknowledgedAt: string | null;
}
