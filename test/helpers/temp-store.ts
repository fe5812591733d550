/** A real SQLite store in a fresh temporary folder, closed and removed after `f`. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../src/store/open.js';

export type TempStore = Awaited<ReturnType<typeof openSqliteStore>>['store'];

export async function withTempStore(prefix: string, f: (store: TempStore) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  const { store } = await openSqliteStore(join(dir, 'db.sqlite'));
  try {
    await f(store);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
