/** The launcher's flags (src/launcher-flags.ts): one list, in bin/switchyard.js's first line and in `npm start`. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../test/helpers/vectors.js';
import { launcherNodeFlags } from './launcher-flags.js';

const BIN = join(repoRoot(), 'bin', 'switchyard.js');

test('bin/switchyard.js runs node with the young generation made small, and npm start passes the same flags', () => {
  const flags = launcherNodeFlags(BIN);
  assert.ok(flags.includes('--max-semi-space-size=8'), flags.join(' '));
  const pkg = JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  assert.equal(pkg.scripts.start, `node ${flags.join(' ')} bin/switchyard.js serve`);
});

test('the launcher runs as an executable through its first line (env -S)', () => {
  const r = spawnSync(BIN, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout.trim(), /^\d+\.\d+\.\d+/);
});

test('a first line that is not "#!/usr/bin/env -S node [flags]" is refused, not guessed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'launcher-'));
  try {
    const f = join(dir, 'bin.js');
    writeFileSync(f, '#!/bin/sh\nexec node "$@"\n');
    assert.throws(() => launcherNodeFlags(f), /first line/);
    writeFileSync(f, '#!/usr/bin/env node\n');
    assert.deepEqual(launcherNodeFlags(f), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
