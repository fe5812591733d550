/** Versioned migrations of the SQLite store, applied in order at start. Never edit a shipped migration: add one. */
import { sql, type Kysely, type Migration } from 'kysely';

export const sqliteMigrations: Record<string, Migration> = {
  '0001_initial': {
    async up(db: Kysely<any>) {
      const stmts = [
        `CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
        `CREATE TABLE workspaces (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL)`,
        `CREATE TABLE projects (id INTEGER PRIMARY KEY AUTOINCREMENT, workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
           name TEXT NOT NULL, created_at INTEGER NOT NULL, UNIQUE (workspace_id, name))`,
        `CREATE TABLE tokens (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, role TEXT NOT NULL,
           hash TEXT NOT NULL UNIQUE, prefix TEXT NOT NULL, created_at INTEGER NOT NULL, last_used_at INTEGER,
           revoked_at INTEGER)`,
        `CREATE TABLE webhooks (id INTEGER PRIMARY KEY AUTOINCREMENT, url TEXT NOT NULL, webhook_type TEXT NOT NULL,
           workspace_id INTEGER REFERENCES workspaces(id), scope_id INTEGER NOT NULL, name TEXT NOT NULL,
           mode TEXT NOT NULL, schemes TEXT NOT NULL DEFAULT '', sw_secret TEXT, sw_previous_secret TEXT,
           sw_previous_until INTEGER, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)`,
        `CREATE UNIQUE INDEX webhooks_name_scope ON webhooks (scope_id, name)`,
        `CREATE TABLE webhook_triggers (id INTEGER PRIMARY KEY AUTOINCREMENT,
           webhook_id INTEGER NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE, trigger_type TEXT NOT NULL,
           condition TEXT NOT NULL, state TEXT)`,
        `CREATE INDEX webhook_triggers_type_state ON webhook_triggers (trigger_type, state)`,
        `CREATE INDEX webhook_triggers_webhook ON webhook_triggers (webhook_id)`,
        `CREATE TABLE experiments (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, state TEXT NOT NULL,
           workspace_id INTEGER NOT NULL REFERENCES workspaces(id), project_id INTEGER NOT NULL REFERENCES projects(id),
           workspace_name TEXT NOT NULL, project_name TEXT NOT NULL, resource_pool TEXT NOT NULL,
           slots_per_trial INTEGER NOT NULL, integrations TEXT NOT NULL, start_time INTEGER NOT NULL,
           end_time INTEGER, updated_at INTEGER NOT NULL)`,
        `CREATE TABLE tasks (task_id TEXT PRIMARY KEY, task_type TEXT NOT NULL, experiment_id INTEGER, trial_id INTEGER,
           workspace_id INTEGER, created_at INTEGER NOT NULL)`,
        `CREATE TABLE task_log_triggers (task_id TEXT NOT NULL REFERENCES tasks(task_id) ON DELETE CASCADE,
           trigger_id INTEGER NOT NULL REFERENCES webhook_triggers(id) ON DELETE CASCADE, PRIMARY KEY (task_id, trigger_id))`,
        `CREATE TABLE deliveries (id INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL,
           webhook_id INTEGER REFERENCES webhooks(id) ON DELETE SET NULL, url TEXT NOT NULL, event_type TEXT NOT NULL,
           payload TEXT NOT NULL, content_type TEXT, signed INTEGER NOT NULL, status TEXT NOT NULL,
           attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL, lease_until INTEGER,
           last_status INTEGER, last_error TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)`,
        `CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at)`,
        `CREATE INDEX deliveries_webhook ON deliveries (webhook_id, created_at)`,
        `CREATE TABLE delivery_attempts (id INTEGER PRIMARY KEY AUTOINCREMENT,
           delivery_id INTEGER NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE, attempt INTEGER NOT NULL,
           started_at INTEGER NOT NULL, duration_ms INTEGER NOT NULL, status_code INTEGER, outcome TEXT NOT NULL,
           error TEXT, response_body TEXT, remote_address TEXT)`,
        `CREATE INDEX delivery_attempts_delivery ON delivery_attempts (delivery_id)`,
      ];
      for (const s of stmts) await sql.raw(s).execute(db);
      const now = Date.now();
      await sql`INSERT INTO workspaces (id, name, created_at) VALUES (1, 'Uncategorized', ${now})`.execute(db);
      await sql`INSERT INTO projects (id, workspace_id, name, created_at) VALUES (1, 1, 'Uncategorized', ${now})`.execute(db);
    },
  },
};

sqliteMigrations['0002_delivery_engine'] = {
  async up(db: Kysely<any>) {
    const stmts = [
      // Per-webhook delivery settings and state.
      `ALTER TABLE webhooks ADD COLUMN paused INTEGER NOT NULL DEFAULT 0`,
      `ALTER TABLE webhooks ADD COLUMN disabled_at INTEGER`,
      `ALTER TABLE webhooks ADD COLUMN disabled_reason TEXT`,
      `ALTER TABLE webhooks ADD COLUMN failing_since INTEGER`,
      `ALTER TABLE webhooks ADD COLUMN retry_policy TEXT`,
      `ALTER TABLE webhooks ADD COLUMN timeout_ms INTEGER`,
      `ALTER TABLE webhooks ADD COLUMN max_concurrency INTEGER`,
      `ALTER TABLE webhooks ADD COLUMN fifo INTEGER NOT NULL DEFAULT 0`,
      // Deliveries: the Standard Webhooks message id is the event id; a redelivery points at its original.
      `ALTER TABLE deliveries ADD COLUMN redelivery_of INTEGER`,
      `CREATE INDEX deliveries_open ON deliveries (webhook_id, id) WHERE status IN ('pending', 'delivering', 'failed')`,
      `CREATE INDEX deliveries_created ON deliveries (created_at)`,
      // Attempts: the request as sent (secrets redacted) and the response as received (capped).
      `ALTER TABLE delivery_attempts ADD COLUMN url TEXT`,
      `ALTER TABLE delivery_attempts ADD COLUMN request_headers TEXT`,
      `ALTER TABLE delivery_attempts ADD COLUMN response_headers TEXT`,
      `ALTER TABLE delivery_attempts ADD COLUMN webhook_id INTEGER`,
      `CREATE INDEX delivery_attempts_started ON delivery_attempts (started_at)`,
      `CREATE INDEX delivery_attempts_webhook ON delivery_attempts (webhook_id, id)`,
      `CREATE TABLE alerts (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, severity TEXT NOT NULL,
         webhook_id INTEGER, delivery_id INTEGER, title TEXT NOT NULL, message TEXT NOT NULL,
         count INTEGER NOT NULL DEFAULT 1, created_at INTEGER NOT NULL, last_at INTEGER NOT NULL, acknowledged_at INTEGER)`,
      `CREATE INDEX alerts_open ON alerts (kind, webhook_id) WHERE acknowledged_at IS NULL`,
    ];
    for (const s of stmts) await sql.raw(s).execute(db);
  },
};

sqliteMigrations['0003_claim_indexes'] = {
  async up(db: Kysely<any>) {
    // Claims read due rows in next_attempt_at order straight off these, with no sort of the whole backlog.
    await sql`CREATE INDEX deliveries_queued ON deliveries (next_attempt_at, id) WHERE status IN ('pending', 'failed')`.execute(db);
    await sql`CREATE INDEX deliveries_leased ON deliveries (lease_until, id) WHERE status = 'delivering'`.execute(db);
    await sql`DROP INDEX deliveries_due`.execute(db);
    await sql`CREATE INDEX deliveries_status ON deliveries (status)`.execute(db);
  },
};

sqliteMigrations['0004_receiver'] = {
  async up(db: Kysely<any>) {
    const stmts = [
      `CREATE TABLE flows (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, description TEXT NOT NULL DEFAULT '',
         enabled INTEGER NOT NULL, definition TEXT NOT NULL, hook_key TEXT NOT NULL UNIQUE, sample_capture_id INTEGER,
         created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)`,
      // A capture keeps the request exactly: raw header list (names, order, duplicates) and the body bytes.
      `CREATE TABLE captures (id INTEGER PRIMARY KEY AUTOINCREMENT, flow_id INTEGER NOT NULL REFERENCES flows(id) ON DELETE CASCADE,
         method TEXT NOT NULL, path TEXT NOT NULL, query TEXT NOT NULL, raw_headers TEXT NOT NULL, body BLOB NOT NULL,
         content_type TEXT, remote_address TEXT NOT NULL, received_at INTEGER NOT NULL, dedup_key TEXT,
         status TEXT NOT NULL)`,
      `CREATE INDEX captures_flow ON captures (flow_id, id)`,
      `CREATE INDEX captures_dedup ON captures (flow_id, dedup_key, received_at) WHERE dedup_key IS NOT NULL`,
      `CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, flow_id INTEGER NOT NULL REFERENCES flows(id) ON DELETE CASCADE,
         capture_id INTEGER NOT NULL REFERENCES captures(id) ON DELETE CASCADE, origin TEXT NOT NULL, replay_of INTEGER,
         status TEXT NOT NULL, definition TEXT NOT NULL, next_attempt_at INTEGER NOT NULL, lease_until INTEGER,
         error TEXT, created_at INTEGER NOT NULL, started_at INTEGER, finished_at INTEGER, updated_at INTEGER NOT NULL)`,
      `CREATE INDEX runs_flow ON runs (flow_id, id)`,
      `CREATE INDEX runs_queued ON runs (next_attempt_at, id) WHERE status IN ('queued', 'retrying')`,
      `CREATE INDEX runs_leased ON runs (lease_until, id) WHERE status = 'running'`,
      `CREATE TABLE run_steps (id INTEGER PRIMARY KEY AUTOINCREMENT, run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
         step_id TEXT NOT NULL, step_type TEXT NOT NULL, status TEXT NOT NULL, input TEXT, output TEXT, error TEXT,
         attempts INTEGER NOT NULL, started_at INTEGER NOT NULL, duration_ms INTEGER NOT NULL, UNIQUE (run_id, step_id))`,
      `CREATE TABLE secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)`,
    ];
    for (const s of stmts) await sql.raw(s).execute(db);
  },
};

sqliteMigrations['0005_alerting'] = {
  async up(db: Kysely<any>) {
    const stmts = [
      // Where alerts go: email, Slack or HTTP. `config` holds the parts shown by the API; `secret` the parts that are
      // not (Slack URL, HTTP header values), encrypted with the secrets key.
      `CREATE TABLE alert_channels (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,
         config TEXT NOT NULL, secret TEXT, filter TEXT, enabled INTEGER NOT NULL DEFAULT 1,
         created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)`,
      // The outbox of alert notifications: written in the transaction that raises the alert, sent by the notifier.
      `CREATE TABLE alert_notifications (id INTEGER PRIMARY KEY AUTOINCREMENT,
         alert_id INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
         channel_id INTEGER NOT NULL REFERENCES alert_channels(id) ON DELETE CASCADE, status TEXT NOT NULL,
         attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL, lease_until INTEGER, last_error TEXT,
         created_at INTEGER NOT NULL, sent_at INTEGER, updated_at INTEGER NOT NULL)`,
      `CREATE INDEX alert_notifications_alert ON alert_notifications (alert_id)`,
      `CREATE INDEX alert_notifications_due ON alert_notifications (next_attempt_at, id) WHERE status IN ('pending', 'sending')`,
    ];
    for (const s of stmts) await sql.raw(s).execute(db);
  },
};

sqliteMigrations['0006_claim_per_webhook'] = {
  async up(db: Kysely<any>) {
    // A claim asks each webhook with room for its own due rows, straight off this index: no scan past the
    // deliveries of saturated, paused or disabled webhooks (see SqlStore.claimDeliveries).
    await sql`CREATE INDEX deliveries_webhook_queued ON deliveries (webhook_id, next_attempt_at, id) WHERE status IN ('pending', 'failed')`.execute(db);
  },
};

sqliteMigrations['0007_experiment_events'] = {
  async up(db: Kysely<any>) {
    // How many events each experiment fired (state changes and custom alerts), for the experiments list.
    await sql`ALTER TABLE experiments ADD COLUMN events_fired INTEGER NOT NULL DEFAULT 0`.execute(db);
  },
};

sqliteMigrations['0008_runs_by_capture'] = {
  async up(db: Kysely<any>) {
    // Receiver retention deletes captures, and a capture's runs go with it (runs.capture_id … ON DELETE CASCADE):
    // without this index, SQLite finds a deleted capture's runs by scanning every run, once per capture. It also
    // answers "does this capture still have a run that is not finished?" (src/receiver/retention.ts). Each run
    // written adds one entry at the end of it (capture ids only grow).
    await sql`CREATE INDEX runs_capture ON runs (capture_id)`.execute(db);
  },
};

sqliteMigrations['0009_leaner_delivery_indexes'] = {
  async up(db: Kysely<any>) {
    // SQLite moves a row's entry in every index whose columns or WHERE clause an UPDATE touches, even when the row
    // stays in it. Each delivery changes status two or three times, so every index on `status` costs on each change
    // (store micro-benchmark, bench/store-cycle.js: these two changes ~3 µs of the ~24–36 µs a delivery costs the
    // store; docs/benchmarks.md, 2026-12-07 evening).
    const stmts = [
      // FIFO heads: only FIFO webhooks' open rows are indexed. `fifo` is the webhook's mode, copied into its open
      // deliveries when they are written and whenever the mode changes (SqlStore), in the same transaction.
      `ALTER TABLE deliveries ADD COLUMN fifo INTEGER NOT NULL DEFAULT 0`,
      `UPDATE deliveries SET fifo = 1 WHERE status IN ('pending', 'delivering', 'failed')
         AND webhook_id IN (SELECT id FROM webhooks WHERE fifo = 1)`,
      `DROP INDEX deliveries_open`,
      `CREATE INDEX deliveries_fifo_open ON deliveries (webhook_id, id) WHERE fifo = 1 AND status IN ('pending', 'delivering', 'failed')`,
      // Filters by status (dead letters, the queue's gauges) never ask for the delivered rows, which are nearly all
      // of them: those leave the index instead of moving to the largest part of it.
      `DROP INDEX deliveries_status`,
      `CREATE INDEX deliveries_unfinished ON deliveries (status) WHERE status <> 'delivered'`,
    ];
    for (const s of stmts) await sql.raw(s).execute(db);
  },
};

sqliteMigrations['0010_redelivery_index'] = {
  async up(db: Kysely<any>) {
    // A bulk redelivery leaves out the events that a redelivery has since delivered, or that one is still carrying
    // (SqlStore.deadDeliveryIds walks each event's redeliveries). Only redeliveries are indexed: the ordinary
    // deliveries, nearly all of them, have no `redelivery_of` and cost the index nothing.
    await sql.raw(`CREATE INDEX deliveries_redelivery_of ON deliveries (redelivery_of) WHERE redelivery_of IS NOT NULL`).execute(db);
  },
};
