/**
 * Secrets at rest, with real SQLite files: flow secrets, a Slack channel's URL, HTTP channel header values and the
 * SMTP password are sealed with AES-256-GCM — the database files never hold their plaintext bytes. The key is
 * generated into data_dir/secrets.key (0600) or taken from SWITCHYARD_SECRETS_KEY; a wrong key fails the start with a
 * clear message; plaintext secrets of an older database are sealed on the first start.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startSink, startTestServer } from '../helpers/harness.js';
import { openSqliteStore } from '../../src/store/open.js';
import { spawnServer } from '../helpers/process.js';

/** Every byte the database keeps on disk: the SQLite file and its WAL and shared-memory files. */
function databaseBytes(dataDir: string): Buffer {
  return Buffer.concat(readdirSync(dataDir).filter((f) => f.startsWith('switchyard.db')).map((f) => readFileSync(join(dataDir, f))));
}

const FLOW_SECRET = 'flow-secret-plaintext-7f3a9c';
const SLACK_TOKEN = 'slack-token-plaintext-51b2e0';
const HEADER_VALUE = 'header-value-plaintext-c0ffee';
const SMTP_PASSWORD = 'smtp-password-plaintext-9d8e7f';

test('the database files never hold a secret\'s plaintext; the generated key file is 0600; secrets work after restart', async () => {
  const sink = await startSink();
  let s = await startTestServer();
  const dataDir = s.dataDir;
  try {
    const keyFile = join(dataDir, 'secrets.key');
    assert.ok(existsSync(keyFile), 'secrets.key generated on first start');
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    assert.match(readFileSync(keyFile, 'utf8').trim(), /^[0-9a-f]{64}$/);

    assert.equal((await s.api('PUT', '/api/v1/secrets/API_TOKEN', { value: FLOW_SECRET })).status, 200);
    assert.equal((await s.api('POST', '/api/v1/alert-channels', { name: 'slack', kind: 'slack', config: { url: `${sink.url}/services/${SLACK_TOKEN}` } })).status, 200);
    assert.equal((await s.api('POST', '/api/v1/alert-channels', { name: 'http', kind: 'http', config: { url: `${sink.url}/h`, headers: { 'X-Key': HEADER_VALUE } } })).status, 200);
    assert.equal((await s.api('PUT', '/api/v1/settings/smtp', { host: 'smtp.example.com', user: 'u', password: SMTP_PASSWORD })).status, 200);
    const flow = (await s.api('POST', '/api/v1/flows', {
      name: 'uses-secret', steps: [{ id: 'call', type: 'http_request', config: { method: 'POST', url: `${sink.url}/with-secret`, headers: { Authorization: { secret: 'API_TOKEN' } } } }],
    })).body.flow;

    await s.stop({ keepData: true });
    const bytes = databaseBytes(dataDir);
    assert.ok(bytes.length > 0);
    for (const secret of [FLOW_SECRET, SLACK_TOKEN, HEADER_VALUE, SMTP_PASSWORD]) {
      assert.equal(bytes.indexOf(Buffer.from(secret)), -1, `the database files hold "${secret}" in plaintext`);
    }
    assert.ok(bytes.indexOf(Buffer.from('enc:v1:')) >= 0, 'sealed values are there');

    // Restarted with the same key file: every secret reads back.
    s = await startTestServer({ dataDir });
    await fetch(`${s.url}${new URL(flow.catchUrl).pathname}`, { method: 'POST', body: '{}' });
    const [req] = await sink.waitFor(1);
    assert.equal(req!.headers.authorization, FLOW_SECRET);
    const slack = (await s.api('GET', '/api/v1/alert-channels')).body.channels.find((c: any) => c.kind === 'slack');
    assert.equal((await s.api('POST', `/api/v1/alert-channels/${slack.id}/test`)).status, 200);
    assert.equal(sink.byPath(`/services/${SLACK_TOKEN}`).length, 1, 'the Slack URL was decrypted');
    assert.equal((await s.running.ctx.store.getSecretSetting('smtp.password')), SMTP_PASSWORD);
  } finally {
    await s.stop();
    await sink.close();
  }
});

test('a wrong key fails the start with a clear message; a malformed key is named', async () => {
  const key = randomBytes(32).toString('hex');
  let s = await startTestServer({ env: { SWITCHYARD_SECRETS_KEY: key } });
  const dataDir = s.dataDir;
  try {
    assert.equal(existsSync(join(dataDir, 'secrets.key')), false, 'no key file when the key is given');
    await s.api('PUT', '/api/v1/secrets/X', { value: FLOW_SECRET });
    await s.stop({ keepData: true });
    await assert.rejects(startTestServer({ dataDir, env: { SWITCHYARD_SECRETS_KEY: randomBytes(32).toString('hex') } }),
      /the secrets key from secrets\.key \(SWITCHYARD_SECRETS_KEY\) is not the key this database's secrets were encrypted with/);
    // Without the variable, a new key file would be generated: also the wrong key.
    await assert.rejects(startTestServer({ dataDir }), /secrets\.key is not the key this database's secrets were encrypted with/);
    await assert.rejects(startTestServer({ dataDir, env: { SWITCHYARD_SECRETS_KEY: 'too-short' } }),
      /secrets\.key \(SWITCHYARD_SECRETS_KEY\) must be a 32-byte key: 64 hex characters or base64/);
    // `switchyard serve` says so and exits 1 (no traceback).
    await assert.rejects(spawnServer(['--data-dir', dataDir, '--port', '0'], { SWITCHYARD_SECRETS_KEY: randomBytes(32).toString('hex') }),
      (e: Error) => /server exited with 1:[\s\S]*switchyard: cannot start: the secrets key from secrets\.key \(SWITCHYARD_SECRETS_KEY\) is not the key this database's secrets were encrypted with/.test(e.message) && !/\n\s+at /.test(e.message));
    // The same key in base64 is accepted.
    s = await startTestServer({ dataDir, env: { SWITCHYARD_SECRETS_KEY: Buffer.from(key, 'hex').toString('base64') } });
    assert.equal((await s.running.ctx.store.secretValues()).get('X'), FLOW_SECRET);
  } finally {
    await s.stop();
  }
});

test('plaintext secrets of a database from before encryption are sealed on the first start', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-legacy-'));
  try {
    // A database as an earlier version left it: the schema, and a secret stored as it was given.
    const { store } = await openSqliteStore(join(dataDir, 'switchyard.db'));
    await store.putSecret('LEGACY', FLOW_SECRET, Date.now());
    await store.close();
    assert.ok(databaseBytes(dataDir).indexOf(Buffer.from(FLOW_SECRET)) >= 0, 'the legacy database holds the plaintext');

    const s = await startTestServer({ dataDir });
    assert.equal((await s.running.ctx.store.secretValues()).get('LEGACY'), FLOW_SECRET, 'the secret still reads');
    await s.stop({ keepData: true });
    assert.equal(databaseBytes(dataDir).indexOf(Buffer.from(FLOW_SECRET)), -1, 'no plaintext left in the files after sealing');
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
