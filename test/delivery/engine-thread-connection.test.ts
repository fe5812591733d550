/** The engine thread (`delivery.thread`) opens its own SQLite connection with the database settings of the config. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer } from '../helpers/harness.js';
import { ThreadedEngine } from '../../src/delivery/engine-thread.js';

test('the engine thread\'s own SQLite connection takes database.synchronous and database.cache_mb', async () => {
  const s = await startTestServer({ patch: (c) => { c.delivery.thread = true; c.database.synchronous = 'full'; c.database.cache_mb = 16; } });
  try {
    const engine = s.running.ctx.worker;
    assert.ok(engine instanceof ThreadedEngine, 'delivery.thread runs the engine in its own thread');
    // PRAGMA synchronous 2 is FULL; a negative cache_size is in KiB.
    assert.deepEqual(engine.connection, { synchronous: 2, cacheSize: -16 * 1024 });
  } finally {
    await s.stop();
  }
});
