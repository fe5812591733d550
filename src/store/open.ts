/** Opens the configured store and brings its schema up to date. */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, type MigrationProvider } from 'kysely';
import type { DB } from './schema.js';
import { SqlStore } from './sql-store.js';
import type { DirectExec } from './sql-receiver-store.js';
import { sqliteMigrations } from './sqlite/migrations.js';
import { startCheckpointer } from './checkpointer.js';

/**
 * Kysely prepares every statement anew; preparing costs more than running most of ours. Statements are reusable in
 * better-sqlite3 (calls are synchronous), so keep the most recent ones by SQL text.
 */
function withStatementCache(sqlite: Database.Database, max = 512): Database.Database {
  const cache = new Map<string, Database.Statement>();
  return new Proxy(sqlite, {
    get(target, prop, receiver) {
      if (prop !== 'prepare') {
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      }
      return (text: string) => {
        // Every transaction takes the write lock at once (BEGIN IMMEDIATE): with the delivery engine's own
        // connection in another thread, a deferred transaction that read first could not upgrade to a writer
        // (SQLITE_BUSY without waiting); an immediate one waits for the lock under busy_timeout instead.
        const sql = text === 'begin' ? 'BEGIN IMMEDIATE' : text;
        let st = cache.get(sql);
        if (st) {
          cache.delete(sql);
        } else {
          st = target.prepare(sql);
          if (cache.size >= max) cache.delete(cache.keys().next().value!);
        }
        cache.set(sql, st);
        return st;
      };
    },
  });
}

export interface OpenedStore { store: SqlStore; driver: 'sqlite'; path: string }

/**
 * `busyTimeoutMs`: how long a statement waits synchronously for a lock (default 5 s); see SqlStore.transaction.
 * `checkpointThread`: checkpoint the WAL from a worker thread (checkpointer.ts) instead of in the committing thread.
 */
export async function openSqliteStore(
  path: string, opts: { busyTimeoutMs?: number; checkpointThread?: boolean; synchronous?: 'normal' | 'full'; cacheMb?: number } = {},
): Promise<OpenedStore> {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new Database(path);
  sqlite.pragma('journal_mode = WAL');
  // NORMAL in WAL mode: a commit survives a process crash (kill -9); only an OS crash may lose the last commits.
  // FULL (database.synchronous): each commit is fsynced before it returns, so it survives that too.
  sqlite.pragma(`synchronous = ${opts.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  // Every group-commit operation runs in its own savepoint, and a savepoint journals each page it first changes:
  // in memory instead of a temporary file, that costs a copy, not a write (store micro-benchmark, fan-out cycle:
  // 54 → 39 µs per delivery; docs/benchmarks.md, 2026-12-07).
  sqlite.pragma('temp_store = MEMORY');
  // The page cache (database.cache_mb; default 2 MB, SQLite's own). 32 MB measured 4-6 % faster in one interleaved
  // round and even in others, and took ~30 MB more RSS, past 300 MB in fan-out-10-1k and flow-python
  // (docs/benchmarks.md, 2026-12-07 afternoon): a knob for machines with memory to spare, not a default here.
  if (opts.cacheMb !== undefined) sqlite.pragma(`cache_size = ${-Math.round(opts.cacheMb * 1024)}`);
  // SQLite's default checkpoint interval (1,000 pages), set so it is not changed by accident: 10,000 pages made each
  // checkpoint long enough to stall the writers behind it (p99 of catch-hook ingest at 2,000/s 36 ms against 6-7 ms,
  // and of deliveries at 1,000 events/s 45 ms against 6-10 ms; docs/benchmarks.md, 2026-12-06 evening).
  // With the checkpoint thread, the committing connection checkpoints only as a backstop (10,000 pages, ~40 MB).
  const checkpointThread = opts.checkpointThread === true && path !== ':memory:';
  sqlite.pragma(`wal_autocheckpoint = ${checkpointThread ? 10_000 : 1000}`);
  const handle = withStatementCache(sqlite);
  const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: handle }) });
  // What Kysely's SQLite driver does per statement, without its executor (for transactions' own statements).
  const direct: DirectExec = (text, params) => {
    const st = handle.prepare(text);
    if (st.reader) return st.all(params as unknown[]);
    st.run(params as unknown[]);
    return [];
  };
  const provider: MigrationProvider = { getMigrations: async () => sqliteMigrations };
  const { error } = await new Migrator({ db, provider }).migrateToLatest();
  if (error) {
    await db.destroy();
    throw new Error(`cannot migrate the SQLite database at ${path}: ${(error as Error).message ?? String(error)}`);
  }
  // Migrations (above) wait the full 5 s for the lock; afterwards, the connection's own choice.
  if (opts.busyTimeoutMs !== undefined) sqlite.pragma(`busy_timeout = ${Math.max(0, Math.round(opts.busyTimeoutMs))}`);
  const store = new SqlStore(db, false, { box: null }, direct);
  if (checkpointThread) {
    const checkpointer = startCheckpointer(path);
    const close = store.close.bind(store);
    store.close = async () => { await checkpointer.stop(); await close(); };
  }
  return { store, driver: 'sqlite', path };
}
