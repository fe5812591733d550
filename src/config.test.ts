import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { configSchema, ConfigError, loadConfig } from './config.js';
import { repoRoot } from '../test/helpers/vectors.js';

function keysOf(shape: Record<string, any>, prefix = ''): string[] {
  return Object.entries(shape).flatMap(([k, v]) => {
    let inner = v;
    while (inner?.def?.innerType) inner = inner.def.innerType;
    const sub = inner?.def?.type === 'object' ? inner.shape : null;
    return sub ? keysOf(sub, `${prefix}${k}.`) : [`${prefix}${k}`];
  });
}

test('every config key is documented in docs/configuration.md, and nothing else is', () => {
  const doc = readFileSync(join(repoRoot(), 'docs', 'configuration.md'), 'utf8');
  const documented = [...doc.matchAll(/^\| `([a-z_.]+)` \|/gm)].map((m) => m[1]);
  const keys = keysOf(configSchema.shape);
  assert.ok(keys.length > 15);
  assert.deepEqual([...documented].sort(), [...keys].sort());
});

test('precedence: defaults < YAML file < environment < flags', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  const file = join(dir, 'c.yaml');
  writeFileSync(file, 'port: 1111\nhost: 0.0.0.0\nwebhooks:\n  signing_key: from-file\n  base_url: https://det.example.com/\n');
  const c = loadConfig({ configFile: file, port: 3333 }, { SWITCHYARD_PORT: '2222', DET_WEBHOOKS_SIGNING_KEY: 'from-env' });
  assert.equal(c.port, 3333);
  assert.equal(c.host, '0.0.0.0');
  assert.equal(c.webhooks.signing_key, 'from-env');
  assert.equal(c.webhooks.base_url, 'https://det.example.com');
  assert.equal(loadConfig({}, {}).port, 8080);
  assert.deepEqual([loadConfig({}, {}).receiver.retention_days, loadConfig({}, {}).receiver.retention_max_captures_per_flow], [30, 1_000_000]);
  assert.deepEqual(loadConfig({}, { SWITCHYARD_OUTBOUND_ALLOW: '127.0.0.0/8, ::1' }).outbound.allow, ['127.0.0.0/8', '::1']);
});

test('bad configuration says which key and what is wrong', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  const bad = (yaml: string) => { writeFileSync(join(dir, 'b.yaml'), yaml); return () => loadConfig({ configFile: join(dir, 'b.yaml') }, {}); };
  assert.throws(bad('port: "eighty"\n'), (e: Error) => e instanceof ConfigError && /port/.test(e.message));
  assert.throws(bad('delivery:\n  timeout_msec: 5\n'), (e: Error) => e instanceof ConfigError && /timeout_msec/.test(e.message));
  assert.throws(bad('webhooks:\n  base_url: det.example.com\n'), (e: Error) => e instanceof ConfigError && /base_url/.test(e.message));
  // A timeout the lease cannot hold: refused at start rather than cut silently per attempt.
  assert.throws(bad('delivery:\n  timeout_ms: 58000\n'), (e: Error) => e instanceof ConfigError && /delivery\.timeout_ms \(58000\) must be at most 55000.*delivery\.lease_ms/.test(e.message));
  assert.equal(loadConfig({}, { SWITCHYARD_DELIVERY_TIMEOUT_MS: '55000' }).delivery.timeout_ms, 55000);
  // Only the lease given: the default timeout (15 s) shrinks to fit it.
  assert.equal(bad('delivery:\n  lease_ms: 1000\n')().delivery.timeout_ms, 800);
  assert.throws(bad('receiver:\n  retention_days: 0\n'), (e: Error) => e instanceof ConfigError && /receiver\.retention_days/.test(e.message));
  assert.throws(bad('receiver:\n  retention_max_captures_per_flow: 50\n'), (e: Error) => e instanceof ConfigError && /receiver\.retention_max_captures_per_flow/.test(e.message) && /100/.test(e.message));
  assert.throws(bad('receiver:\n  retention_days: thirty\n'), (e: Error) => e instanceof ConfigError && /receiver\.retention_days/.test(e.message));
  assert.throws(bad('[1, 2]\n'), (e: Error) => e instanceof ConfigError && /mapping/.test(e.message));
  assert.throws(bad('a: [\n'), (e: Error) => e instanceof ConfigError && /YAML/.test(e.message));
  assert.throws(() => loadConfig({}, { SWITCHYARD_PORT: '80x' }), (e: Error) => e instanceof ConfigError && /SWITCHYARD_PORT/.test(e.message));
  assert.throws(() => loadConfig({ configFile: join(dir, 'missing.yaml') }, {}), (e: Error) => e instanceof ConfigError && /cannot read/.test(e.message));
});

test('database.synchronous: normal by default, full on request (one fsync per commit), anything else refused', async () => {
  const { openSqliteStore } = await import('./store/open.js');
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  assert.equal(loadConfig({}, {}).database.synchronous, 'normal');
  const cfg = loadConfig({}, { SWITCHYARD_SQLITE_SYNCHRONOUS: 'FULL' });
  assert.equal(cfg.database.synchronous, 'full');
  assert.throws(() => loadConfig({}, { SWITCHYARD_SQLITE_SYNCHRONOUS: 'off' }), (e: Error) => e instanceof ConfigError && /database\.synchronous/.test(e.message));
  for (const [mode, level] of [['normal', 1], ['full', 2]] as const) {
    const { store } = await openSqliteStore(join(dir, `${mode}.db`), { synchronous: mode });
    const { rows } = await sql<{ synchronous: number }>`PRAGMA synchronous`.execute((store as unknown as { db: Kysely<unknown> }).db);
    assert.equal(rows[0]!.synchronous, level, `${mode} → PRAGMA synchronous ${level}`);
    await store.close();
  }
});

test('database.cache_mb: SQLite\'s 2 MB page cache by default, set from the config or the environment, nonsense refused', async () => {
  const { startSwitchyard } = await import('./server.js');
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  assert.equal(loadConfig({}, {}).database.cache_mb, 2);
  assert.equal(loadConfig({}, { SWITCHYARD_SQLITE_CACHE_MB: '8' }).database.cache_mb, 8);
  for (const v of ['0', '-4', '1.5', 'lots']) {
    assert.throws(() => loadConfig({}, { SWITCHYARD_SQLITE_CACHE_MB: v }), (e: Error) => e instanceof ConfigError && /SQLITE_CACHE_MB|cache_mb/.test(e.message), v);
  }
  // What the server's connection really runs with (PRAGMA cache_size is negative for KiB).
  for (const mb of [2, 8]) {
    const cfg = loadConfig({ dataDir: join(dir, String(mb)), port: 0, host: '127.0.0.1' }, { SWITCHYARD_ADMIN_TOKEN: 'cfg-test-token-0123456789', SWITCHYARD_SQLITE_CACHE_MB: String(mb) });
    const running = await startSwitchyard(cfg, { log: (await import('pino')).default({ level: 'silent' }) });
    try {
      const { rows } = await sql<{ cache_size: number }>`PRAGMA cache_size`.execute((running.ctx.store as unknown as { db: Kysely<unknown> }).db);
      assert.equal(rows[0]!.cache_size, -mb * 1024);
    } finally {
      await running.stop();
    }
  }
  rmSync(dir, { recursive: true, force: true });
});
