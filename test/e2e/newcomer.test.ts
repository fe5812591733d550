/**
 * The "done when", as a newcomer would do it: start the real server, then with the CLI alone create a
 * webhook pointing at a local HTTP sink, create an experiment, move it to COMPLETED; the sink receives the DEFAULT
 * payload, and Python's hmac over the raw body verifies the signature (the seed's corrected snippet).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { cli, spawnServer } from '../helpers/process.js';
import { startSink } from '../helpers/harness.js';

const PY_VERIFY = `
import hmac, hashlib, json, sys
d = json.load(sys.stdin)
raw = bytes.fromhex(d["body_hex"]).decode("utf-8")
calc = hmac.new(d["key"].encode(), f"{d['timestamp']},{raw}".encode(), digestmod=hashlib.sha256).hexdigest()
print("PASS" if hmac.compare_digest(calc, d["signature"]) else "FAIL")
`;

test('a newcomer, CLI only: webhook → experiment → COMPLETED → signed DEFAULT payload that Python verifies', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-newcomer-'));
  const sink = await startSink();
  const server = await spawnServer(['--data-dir', join(dir, 'data'), '--port', '0'], { SWITCHYARD_ADMIN_TOKEN: '', DET_WEBHOOKS_SIGNING_KEY: '' });
  try {
    const token = /export SWITCHYARD_TOKEN=(\S+)/.exec(server.output())?.[1];
    assert.ok(token, `the first start prints an admin token:\n${server.output()}`);
    const env = { SWITCHYARD_URL: server.url, SWITCHYARD_TOKEN: token };

    const key = cli(['keys', 'show'], env);
    assert.equal(key.status, 0, key.stderr);
    const signingKey = key.stdout.trim();
    assert.match(signingKey, /^[0-9a-f]{32}$/);

    const wh = cli(['webhooks', 'create', '--url', `${sink.url}/hook`, '--name', 'first', '--trigger', 'COMPLETED'], env);
    assert.equal(wh.status, 0, wh.stderr);
    const exp = cli(['experiments', 'create', '--name', 'mnist <&> é', '--json'], env);
    assert.equal(exp.status, 0, exp.stderr);
    const id = JSON.parse(exp.stdout).experiment.id as number;
    const st = cli(['experiments', 'state', String(id), 'COMPLETED'], env);
    assert.equal(st.status, 0, st.stderr);

    const [req] = await sink.waitFor(1);
    assert.equal(req!.path, '/hook');
    const body = JSON.parse(req!.text);
    assert.equal(body.event_type, 'EXPERIMENT_STATE_CHANGE');
    assert.deepEqual(body.condition, { state: 'COMPLETED' });
    assert.equal(body.event_data.experiment.id, id);
    assert.equal(body.event_data.experiment.name, 'mnist <&> é');
    assert.ok(req!.text.includes('mnist \\u003c\\u0026\\u003e é'), 'Go escaping of <&>, raw UTF-8 for é');

    const py = spawnSync('python3', ['-c', PY_VERIFY], {
      input: JSON.stringify({
        key: signingKey, timestamp: req!.headers['x-determined-ai-signature-timestamp'],
        signature: req!.headers['x-determined-ai-signature'], body_hex: req!.body.toString('hex'),
      }),
      encoding: 'utf8',
    });
    assert.equal(py.status, 0, py.stderr);
    assert.equal(py.stdout.trim(), 'PASS');

    // The key is kept: after a restart on the same data folder it is the same, and no new admin token is printed.
    await server.kill('SIGTERM');
    const again = await spawnServer(['--data-dir', join(dir, 'data'), '--port', '0'], { SWITCHYARD_ADMIN_TOKEN: '', DET_WEBHOOKS_SIGNING_KEY: '' });
    try {
      assert.doesNotMatch(again.output(), /export SWITCHYARD_TOKEN=/);
      const key2 = cli(['keys', 'show'], { ...env, SWITCHYARD_URL: again.url });
      assert.equal(key2.stdout.trim(), signingKey);
    } finally {
      await again.kill();
    }
  } finally {
    await server.kill();
    await sink.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
