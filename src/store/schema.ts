/**
 * Table shapes as Kysely sees them. Times are integer milliseconds since the epoch; JSON columns hold text.
 * The SQL that creates them lives in ./sqlite/migrations.ts.
 */
import type { Generated } from 'kysely';

export interface SettingsTable { key: string; value: string }

export interface WorkspaceTable { id: Generated<number>; name: string; created_at: number }

export interface ProjectTable { id: Generated<number>; workspace_id: number; name: string; created_at: number }

export interface TokenTable {
  id: Generated<number>;
  name: string;
  role: string;
  /** sha256 hex of the secret; the secret itself is never stored. */
  hash: string;
  /** First characters of the secret, so a user can tell tokens apart. */
  prefix: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

export interface WebhookTable {
  id: Generated<number>;
  url: string;
  webhook_type: string;
  /** null = global */
  workspace_id: number | null;
  /** 0 for global webhooks, so that (name, scope) can be unique. */
  scope_id: number;
  name: string;
  mode: string;
  /** Comma-separated signature schemes beyond `determined`, e.g. `standard`. */
  schemes: string;
  sw_secret: string | null;
  sw_previous_secret: string | null;
  sw_previous_until: number | null;
  created_at: number;
  updated_at: number;
  paused: Generated<number>;
  disabled_at: number | null;
  disabled_reason: string | null;
  /** Start of the current run of failed attempts; null after any success. */
  failing_since: number | null;
  /** JSON RetrySpec, or null for the server default. */
  retry_policy: string | null;
  timeout_ms: number | null;
  max_concurrency: number | null;
  fifo: Generated<number>;
}

export interface TriggerTable {
  id: Generated<number>;
  webhook_id: number;
  trigger_type: string;
  condition: string;
  /** condition.state for EXPERIMENT_STATE_CHANGE, else null: indexed for matching. */
  state: string | null;
}

export interface ExperimentTable {
  id: Generated<number>;
  name: string;
  state: string;
  workspace_id: number;
  project_id: number;
  workspace_name: string;
  project_name: string;
  resource_pool: string;
  slots_per_trial: number;
  integrations: string;
  start_time: number;
  end_time: number | null;
  updated_at: number;
  /** Events (webhook triggers that matched) fired by this experiment's state changes and custom alerts. */
  events_fired: Generated<number>;
}

export interface TaskTable {
  task_id: string;
  task_type: string;
  experiment_id: number | null;
  trial_id: number | null;
  workspace_id: number | null;
  created_at: number;
}

export interface TaskLogTriggerTable { task_id: string; trigger_id: number }

export interface DeliveryTable {
  id: Generated<number>;
  event_id: string;
  /** null once the webhook is deleted: the row still delivers to its URL snapshot, as in Determined. */
  webhook_id: number | null;
  url: string;
  event_type: string;
  payload: string;
  content_type: string | null;
  signed: number;
  /** pending | delivering | delivered | failed | dead */
  status: string;
  attempts: number;
  next_attempt_at: number;
  lease_until: number | null;
  last_status: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  redelivery_of: number | null;
  /** 1 while the webhook is in FIFO mode (open rows only; see migration 0009): it puts the row in deliveries_fifo_open. */
  fifo: Generated<number>;
}

export interface AttemptTable {
  id: Generated<number>;
  delivery_id: number;
  attempt: number;
  started_at: number;
  duration_ms: number;
  status_code: number | null;
  /** ok | http | timeout | connect | dns | reset | tls | refused | other */
  outcome: string;
  error: string | null;
  response_body: string | null;
  remote_address: string | null;
  url: string | null;
  request_headers: string | null;
  response_headers: string | null;
  webhook_id: number | null;
}

export interface AlertTable {
  id: Generated<number>;
  /** delivery.dead | webhook.disabled */
  kind: string;
  severity: string;
  webhook_id: number | null;
  delivery_id: number | null;
  title: string;
  message: string;
  /** Alerts of one kind for one webhook coalesce while unacknowledged. */
  count: number;
  created_at: number;
  last_at: number;
  acknowledged_at: number | null;
}

export interface FlowTable {
  id: Generated<number>; name: string; description: string; enabled: number; definition: string; hook_key: string;
  sample_capture_id: number | null; created_at: number; updated_at: number;
}
export interface CaptureTable {
  id: Generated<number>; flow_id: number; method: string; path: string; query: string; raw_headers: string; body: Buffer;
  content_type: string | null; remote_address: string; received_at: number; dedup_key: string | null; status: string;
}
export interface RunTable {
  id: Generated<number>; flow_id: number; capture_id: number; origin: string; replay_of: number | null; status: string;
  definition: string; next_attempt_at: number; lease_until: number | null; error: string | null; created_at: number;
  started_at: number | null; finished_at: number | null; updated_at: number;
}
export interface RunStepTable {
  id: Generated<number>; run_id: number; step_id: string; step_type: string; status: string; input: string | null;
  output: string | null; error: string | null; attempts: number; started_at: number; duration_ms: number;
}
export interface SecretTable { name: string; value: string; created_at: number; updated_at: number }

export interface AlertChannelTable {
  id: Generated<number>; name: string; kind: string; config: string; secret: string | null; filter: string | null;
  enabled: number; created_at: number; updated_at: number;
}
export interface AlertNotificationTable {
  id: Generated<number>; alert_id: number; channel_id: number; status: string; attempts: number; next_attempt_at: number;
  lease_until: number | null; last_error: string | null; created_at: number; sent_at: number | null; updated_at: number;
}

export interface DB {
  alert_channels: AlertChannelTable;
  alert_notifications: AlertNotificationTable;
  flows: FlowTable;
  captures: CaptureTable;
  runs: RunTable;
  run_steps: RunStepTable;
  secrets: SecretTable;
  settings: SettingsTable;
  workspaces: WorkspaceTable;
  projects: ProjectTable;
  tokens: TokenTable;
  webhooks: WebhookTable;
  webhook_triggers: TriggerTable;
  experiments: ExperimentTable;
  tasks: TaskTable;
  task_log_triggers: TaskLogTriggerTable;
  deliveries: DeliveryTable;
  delivery_attempts: AttemptTable;
  alerts: AlertTable;
}
