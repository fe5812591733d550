import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GroupCommit } from '../store/group-commit.js';
import { BatchWriter } from './batch-writer.js';
import { withTempStore, type TempStore } from '../../test/helpers/temp-store.js';

const withStore = (f: (store: TempStore) => Promise<void>): Promise<void> => withTempStore('batch-writer', f);

test('items of one moment are written by one operation; each caller gets its own result after the commit', async () => {
  await withStore(async (store) => {
    const calls: number[] = [];
    const writer = new BatchWriter<string, string>(new GroupCommit(store), async (tx, names) => {
      calls.push(names.length);
      const out: string[] = [];
      for (const n of names) out.push((await tx.createWorkspace(n, 1)).name);
      return out;
    });
    const names = Array.from({ length: 40 }, (_, i) => `ws-${i}`);
    assert.deepEqual(await Promise.all(names.map((n) => writer.write(n))), names);
    assert.deepEqual(calls, [40], 'one operation for the 40 items');
    for (const n of names) assert.ok(await store.getWorkspaceByName(n), `${n} stored`);
    // later items start a new operation
    assert.equal(await writer.write('late'), 'late');
    assert.deepEqual(calls, [40, 1]);
  });
});

test('a batch that fails is written again item by item: only the bad item fails, the others are stored once', async () => {
  await withStore(async (store) => {
    const calls: number[] = [];
    const writer = new BatchWriter<string, string>(new GroupCommit(store), async (tx, names) => {
      calls.push(names.length);
      const out: string[] = [];
      for (const n of names) {
        const w = await tx.createWorkspace(n, 1);
        if (n === 'bad') throw new Error('bad item');
        out.push(w.name);
      }
      return out;
    });
    const names = ['a', 'b', 'bad', 'c'];
    const results = await Promise.allSettled(names.map((n) => writer.write(n)));
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    assert.equal((results[2] as PromiseRejectedResult).reason.message, 'bad item');
    assert.deepEqual(calls, [4, 1, 1, 1, 1], 'the batch, then each item alone');
    assert.equal(await store.getWorkspaceByName('bad'), null, 'the failed item wrote nothing');
    const stored = (await store.listWorkspaces()).map((w) => w.name).filter((n) => names.includes(n)).sort();
    assert.deepEqual(stored, ['a', 'b', 'c'], 'each good item stored once (the failed batch was rolled back)');
  });
});
