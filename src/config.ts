/**
 * One typed config for Switchyard. Sources, lowest precedence first: built-in defaults, a YAML file (`--config FILE`
 * or env SWITCHYARD_CONFIG), environment variables, command-line flags. Every key is documented once, here, and in
 * docs/configuration.md (a test keeps the two in step).
 */
import { readFileSync } from 'node:fs';
import { resolve, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { attemptTimeoutCap } from './delivery/timeouts.js';

const port = z.number().int().min(0).max(65535);

export const configSchema = z
  .object({
    /** Address the HTTP server listens on. Env SWITCHYARD_HOST. */
    host: z.string().min(1).default('127.0.0.1'),
    /** TCP port of the HTTP server (0 = any free port). Env SWITCHYARD_PORT. */
    port: port.default(8080),
    /** Folder for the SQLite database and other kept state. Env SWITCHYARD_DATA_DIR. */
    data_dir: z.string().min(1).default('./data'),
    database: z
      .object({
        /** Path of the SQLite file; default `<data_dir>/switchyard.db`. Env SWITCHYARD_SQLITE_PATH. */
        sqlite_path: z.string().min(1).optional(),
        /**
         * Checkpoint the WAL from a worker thread with its own connection, so the thread that commits (and answers
         * the API and the catch hooks) never stops to copy the log into the database. Env SWITCHYARD_SQLITE_CHECKPOINT_THREAD.
         */
        checkpoint_thread: z.boolean().default(true),
        /**
         * `normal`: a commit (an accepted event, a captured request) survives a crash of the process (kill -9), not
         * necessarily of the machine. `full`: every commit is flushed to the disk before it is acknowledged, so it
         * also survives a power cut or an OS crash, at the cost of one fsync per commit. Env SWITCHYARD_SQLITE_SYNCHRONOUS.
         */
        synchronous: z.enum(['normal', 'full']).default('normal'),
        /**
         * SQLite's page cache of the connection that writes, in MB (SQLite's own default, 2). Pages it does not hold
         * are read from the file again. Env SWITCHYARD_SQLITE_CACHE_MB.
         */
        cache_mb: z.number().int().min(1).max(4096).default(2),
      })
      .strict()
      .prefault({}),
    webhooks: z
      .object({
        /** Key that signs every delivery (Determined's `webhooks.signing_key`). Env DET_WEBHOOKS_SIGNING_KEY.
         *  When unset, one is generated on first start and kept in the database. */
        signing_key: z.string().min(1).optional(),
        /** Base URL of the UI, used for links in Slack messages (Determined's `webhooks.base_url`).
         *  Env DET_WEBHOOKS_BASE_URL. */
        base_url: z.string().default(''),
      })
      .strict()
      .default({ base_url: '' }),
    delivery: z
      .object({
        /** Per-attempt timeout of an outbound delivery, in milliseconds. Env SWITCHYARD_DELIVERY_TIMEOUT_MS. */
        timeout_ms: z.number().int().min(100).max(600_000).default(15_000),
        /** Deliveries claimed per batch. */
        batch_size: z.number().int().min(1).max(1000).default(128),
        /** Requests in flight at once, across all webhooks. */
        concurrency: z.number().int().min(1).max(10_000).default(512),
        /** Requests in flight at once to one webhook (a webhook's `maxConcurrency` overrides it); deleted webhooks' deliveries share one. */
        per_webhook_concurrency: z.number().int().min(1).max(10_000).default(128),
        /** How long a claimed delivery stays leased before another worker may take it, in ms. */
        lease_ms: z.number().int().min(1000).default(60_000),
        /** Retry policy of webhooks that name none. Env SWITCHYARD_DELIVERY_POLICY. */
        policy: z.enum(['default', 'determined']).default('default'),
        /** Disable a webhook whose attempts have all failed for this many hours (0 = never). */
        disable_after_hours: z.number().min(0).default(72),
        /** Bytes of each response body kept in the attempt log. */
        response_body_bytes: z.number().int().min(0).max(1024 * 1024).default(16 * 1024),
        /** Finished deliveries and their attempts are deleted after this many days. */
        retention_days: z.number().min(0.001).default(30),
        /** At most this many attempts are kept (the oldest go first). */
        retention_max_attempts: z.number().int().min(1000).default(1_000_000),
        /** On SIGTERM, how long attempts in flight may take to finish before they are handed back. */
        shutdown_grace_ms: z.number().int().min(0).default(10_000),
        /** Off: nothing is sent (events stay queued). Useful for maintenance. */
        enabled: z.boolean().default(true),
        /**
         * Run the engine in a worker thread with its own SQLite connection. Off by default: on a 2-core machine the
         * two connections contend for SQLite's one write lock, and the thread measured slower (one webhook ~2,600
         * against ~3,000 deliveries/s) with a p99 of 45 ms against 6-10 ms at 1,000 events/s (docs/benchmarks.md).
         */
        thread: z.boolean().default(false),
        /**
         * Make the HTTP requests (undici, signing, responses, the SSRF guard) in a worker thread, while claims and
         * records stay on the one SQLite connection. Ignored with `thread` (that engine sends from its own thread).
         */
        send_thread: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    receiver: z
      .object({
        /** Largest request body a catch hook accepts; larger ones answer 413. */
        body_limit_bytes: z.number().int().min(1024).max(100 * 1024 * 1024).default(10 * 1024 * 1024),
        /** Requests per second one hook accepts before answering 429 (0 = no limit); a flow's rateLimit overrides it. */
        rate_limit_per_second: z.number().min(0).default(0),
        /** Runs executed at once. */
        run_concurrency: z.number().int().min(1).max(1000).default(128),
        /** How long a claimed run stays leased before another process may resume it, in ms. */
        lease_ms: z.number().int().min(1000).default(120_000),
        /** Waits (seconds) before retrying a failed action step: Zapier's autoreplay schedule. */
        retry_schedule_seconds: z.array(z.number().min(0)).default([300, 1800, 3600, 10800, 21600]),
        /**
         * Captures and finished runs are deleted after this many days (a capture with its runs, once all are this old);
         * a flow's sample, runs not finished and their captures stay.
         */
        retention_days: z.number().min(0.001).default(30),
        /**
         * At most this many captures are kept per flow (the newest), besides those that must stay; at least the 100 of
         * Test Trigger. A backstop for disk space: a busy flow (thousands of requests a second) would lose its run
         * history within seconds under a small cap, so the default is high and age (retention_days) does the work.
         */
        retention_max_captures_per_flow: z.number().int().min(100).default(1_000_000),
      })
      .strict()
      .prefault({}),
    secrets: z
      .object({
        /** AES-256-GCM key that seals secrets at rest: 64 hex characters or base64 of 32 bytes. Env SWITCHYARD_SECRETS_KEY.
         *  When unset, `<data_dir>/secrets.key` is used (generated, mode 0600, on first start). */
        key: z.string().min(1).optional(),
      })
      .strict()
      .default({}),
    alerts: z
      .object({
        /** Waits (seconds) before retrying a failed alert notification; after the last, the notification is dead. */
        retry_schedule_seconds: z.array(z.number().min(0)).max(100).default([10, 60, 300, 1800, 3600]),
        /** How long a notification being sent stays leased before another process (or a restart) may send it, in ms. */
        lease_ms: z.number().int().min(1000).default(60_000),
      })
      .strict()
      .prefault({}),
    code: z
      .object({
        /** Default time limit of a code step, in ms (a step may ask for less or more, up to 120000). */
        timeout_ms: z.number().int().min(10).max(120_000).default(5000),
        /** Memory limit of a code step, in MB. */
        memory_mb: z.number().int().min(16).max(2048).default(128),
        /** Warm Python (Pyodide) and JavaScript (QuickJS) workers kept ready. */
        python_workers: z.number().int().min(0).max(16).default(1),
        js_workers: z.number().int().min(0).max(16).default(1),
      })
      .strict()
      .prefault({}),
    metrics: z
      .object({
        /** Serve /metrics without a token (for a Prometheus on a trusted network). Default: bearer token needed. */
        public: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    outbound: z
      .object({
        /** CIDR ranges that outbound requests may reach even though they are private (e.g. `127.0.0.0/8`, `::1`).
         *  Env SWITCHYARD_OUTBOUND_ALLOW (comma separated). */
        allow: z.array(z.string()).default([]),
      })
      .strict()
      .default({ allow: [] }),
    smtp: z
      .object({
        host: z.string().optional(),
        port: port.default(587),
        secure: z.boolean().default(false),
        user: z.string().optional(),
        password: z.string().optional(),
        from: z.string().default('switchyard@localhost'),
      })
      .strict()
      .default({ port: 587, secure: false, from: 'switchyard@localhost' }),
    auth: z
      .object({
        /** The first admin token, for unattended setups; when unset one is generated and printed on first start.
         *  Env SWITCHYARD_ADMIN_TOKEN. Stored hashed. */
        admin_token: z.string().min(16).optional(),
      })
      .strict()
      .default({}),
    limits: z
      .object({
        /** Largest JSON body the API accepts, in bytes. */
        api_body_bytes: z.number().int().min(1024).default(1024 * 1024),
      })
      .strict()
      .default({ api_body_bytes: 1024 * 1024 }),
    /** pino log level: fatal, error, warn, info, debug, trace, silent. Env SWITCHYARD_LOG_LEVEL. */
    log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;

export interface ConfigFlags {
  host?: string;
  port?: number;
  dataDir?: string;
  configFile?: string;
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function setPath(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let cur = obj;
  for (const k of path.slice(0, -1)) {
    const next = cur[k];
    if (typeof next !== 'object' || next === null) cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  cur[path[path.length - 1]!] = value;
}

function intEnv(env: Env, name: string): number | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw new ConfigError(`${name} must be a whole number, got "${v}"`);
  return Number(v);
}

function boolEnv(env: Env, name: string): boolean | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  if (!/^(true|false|1|0)$/.test(v)) throw new ConfigError(`${name} must be true or false, got "${v}"`);
  return v === 'true' || v === '1';
}

/** Loads the config from file, environment and flags; throws ConfigError with a message that says what to fix. */
export function loadConfig(flags: ConfigFlags = {}, env: Env = process.env): Config {
  const raw: Record<string, unknown> = {};
  const file = flags.configFile ?? env.SWITCHYARD_CONFIG;
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new ConfigError(`cannot read config file ${file}: ${(e as Error).message}`);
    }
    let parsed: unknown;
    try {
      parsed = parseYaml(text);
    } catch (e) {
      throw new ConfigError(`config file ${file} is not valid YAML: ${(e as Error).message}`);
    }
    if (parsed !== null && parsed !== undefined) {
      if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(`config file ${file} must be a YAML mapping`);
      Object.assign(raw, parsed);
    }
  }
  const envMap: [string, string[], (v: string) => unknown][] = [
    ['SWITCHYARD_HOST', ['host'], (v) => v],
    ['SWITCHYARD_DATA_DIR', ['data_dir'], (v) => v],
    ['SWITCHYARD_SQLITE_PATH', ['database', 'sqlite_path'], (v) => v],
    ['SWITCHYARD_SQLITE_SYNCHRONOUS', ['database', 'synchronous'], (v) => v.toLowerCase()],
    ['DET_WEBHOOKS_SIGNING_KEY', ['webhooks', 'signing_key'], (v) => v],
    ['DET_WEBHOOKS_BASE_URL', ['webhooks', 'base_url'], (v) => v],
    ['SWITCHYARD_ADMIN_TOKEN', ['auth', 'admin_token'], (v) => v],
    ['SWITCHYARD_LOG_LEVEL', ['log_level'], (v) => v],
    ['SWITCHYARD_OUTBOUND_ALLOW', ['outbound', 'allow'], (v) => v.split(',').map((s) => s.trim()).filter(Boolean)],
    ['SWITCHYARD_SECRETS_KEY', ['secrets', 'key'], (v) => v],
    ['SWITCHYARD_SMTP_HOST', ['smtp', 'host'], (v) => v],
    ['SWITCHYARD_SMTP_USER', ['smtp', 'user'], (v) => v],
    ['SWITCHYARD_SMTP_PASSWORD', ['smtp', 'password'], (v) => v],
    ['SWITCHYARD_SMTP_FROM', ['smtp', 'from'], (v) => v],
  ];
  for (const [name, path, conv] of envMap) {
    const v = env[name];
    if (v !== undefined && v !== '') setPath(raw, path, conv(v));
  }
  const envPort = intEnv(env, 'SWITCHYARD_PORT');
  if (envPort !== undefined) raw.port = envPort;
  const smtpPort = intEnv(env, 'SWITCHYARD_SMTP_PORT');
  if (smtpPort !== undefined) setPath(raw, ['smtp', 'port'], smtpPort);
  if (env.SWITCHYARD_DELIVERY_POLICY) setPath(raw, ['delivery', 'policy'], env.SWITCHYARD_DELIVERY_POLICY);
  const sendThread = boolEnv(env, 'SWITCHYARD_DELIVERY_SEND_THREAD');
  if (sendThread !== undefined) setPath(raw, ['delivery', 'send_thread'], sendThread);
  const checkpointThread = boolEnv(env, 'SWITCHYARD_SQLITE_CHECKPOINT_THREAD');
  if (checkpointThread !== undefined) setPath(raw, ['database', 'checkpoint_thread'], checkpointThread);
  const cacheMb = intEnv(env, 'SWITCHYARD_SQLITE_CACHE_MB');
  if (cacheMb !== undefined) setPath(raw, ['database', 'cache_mb'], cacheMb);
  const timeout = intEnv(env, 'SWITCHYARD_DELIVERY_TIMEOUT_MS');
  if (timeout !== undefined) setPath(raw, ['delivery', 'timeout_ms'], timeout);
  if (flags.host !== undefined) raw.host = flags.host;
  if (flags.port !== undefined) raw.port = flags.port;
  if (flags.dataDir !== undefined) raw.data_dir = flags.dataDir;

  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const cfg = result.data;
  const cap = attemptTimeoutCap(cfg.delivery.lease_ms);
  const timeoutGiven = (raw.delivery as Record<string, unknown> | undefined)?.timeout_ms !== undefined;
  // A short lease with the default timeout: the default shrinks to fit. A timeout given explicitly is not changed.
  if (cfg.delivery.timeout_ms > cap && !timeoutGiven) cfg.delivery.timeout_ms = Math.floor(cap);
  if (cfg.delivery.timeout_ms > cap) {
    throw new ConfigError(`delivery.timeout_ms (${cfg.delivery.timeout_ms}) must be at most ${cap}: delivery.lease_ms (${cfg.delivery.lease_ms}) minus ${cfg.delivery.lease_ms - cap} ms, so that an attempt ends before its delivery could be claimed again; lower the timeout or raise delivery.lease_ms`);
  }
  cfg.webhooks.base_url = cfg.webhooks.base_url.replace(/\/+$/, '');
  if (cfg.webhooks.base_url && !/^https?:\/\/[^/]+/i.test(cfg.webhooks.base_url)) {
    throw new ConfigError(`webhooks.base_url must be an absolute http(s) URL such as https://det.example.com, got "${cfg.webhooks.base_url}"`);
  }
  return cfg;
}

export function sqlitePath(cfg: Config): string {
  return resolve(cfg.database.sqlite_path ?? join(cfg.data_dir, 'switchyard.db'));
}
