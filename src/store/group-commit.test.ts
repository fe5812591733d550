import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from './open.js';
import { GroupCommit } from './group-commit.js';

test('group commit: concurrent operations share commits; a failing one rolls back alone and gets its own error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'group-commit-'));
  const { store } = await openSqliteStore(join(dir, 'db.sqlite'));
  let transactions = 0;
  const counting = { ...store, transaction: (fn: any) => { transactions++; return store.transaction(fn); } } as typeof store;
  Object.setPrototypeOf(counting, Object.getPrototypeOf(store));
  const gc = new GroupCommit(counting);
  try {
    const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => gc.transaction(async (tx) => {
      const w = await tx.createWorkspace(`ws-${i}`, 1);
      if (i === 7) throw new Error('op 7 fails');
      return w.name;
    })));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 49);
    const failed = results[7] as PromiseRejectedResult;
    assert.equal(failed.reason.message, 'op 7 fails');
    assert.equal((results[8] as PromiseFulfilledResult<string>).value, 'ws-8');
    assert.equal(await store.getWorkspaceByName('ws-7'), null, 'the failed operation wrote nothing');
    assert.equal((await store.listWorkspaces()).length, 1 + 49);
    assert.ok(transactions <= 2, `50 concurrent operations committed in ${transactions} transactions`);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
