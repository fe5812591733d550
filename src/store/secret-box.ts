/**
 * Secrets at rest: AES-256-GCM with a 32-byte key from config secrets.key / SWITCHYARD_SECRETS_KEY (64 hex characters or base64) or,
 * when that is unset, from `<data_dir>/secrets.key`, generated (mode 0600) on first start. A sealed value reads
 * `enc:v1:<base64 of iv(12) | tag(16) | ciphertext>`; a value without that prefix is legacy plaintext (migrated at
 * start). A check value kept in the settings table tells a wrong key apart from a corrupt value at start.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const PREFIX = 'enc:v1:';
const CHECK_PLAINTEXT = 'switchyard secrets check v1';
export const CHECK_SETTING = 'secrets.check';

export class SecretBoxError extends Error {}

export class SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new SecretBoxError('the secrets key must be 32 bytes');
  }
  static isSealed(text: string): boolean {
    return text.startsWith(PREFIX);
  }
  seal(plain: string): string {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    const ct = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
    return PREFIX + Buffer.concat([iv, c.getAuthTag(), ct]).toString('base64');
  }
  /** The plaintext of a sealed value; a value that is not sealed (legacy plaintext) is returned as it is. */
  open(text: string): string {
    if (!SecretBox.isSealed(text)) return text;
    const raw = Buffer.from(text.slice(PREFIX.length), 'base64');
    if (raw.length < 28) throw new SecretBoxError('a sealed secret is truncated');
    const d = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
    d.setAuthTag(raw.subarray(12, 28));
    try {
      return Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString('utf8');
    } catch {
      throw new SecretBoxError('a sealed secret cannot be decrypted with this secrets key');
    }
  }
  checkValue(): string {
    return this.seal(CHECK_PLAINTEXT);
  }
  /** Does a check value written by some key open with this one? */
  matches(check: string): boolean {
    try {
      return this.open(check) === CHECK_PLAINTEXT;
    } catch {
      return false;
    }
  }
}

function parseKey(text: string, where: string): Buffer {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, 'hex');
  const b = Buffer.from(t, 'base64');
  if (/^[A-Za-z0-9+/_-]+=*$/.test(t) && b.length === 32) return b;
  throw new SecretBoxError(`${where} must be a 32-byte key: 64 hex characters or base64 (make one with: openssl rand -hex 32)`);
}

/** The secrets key and where it came from; generates `<dataDir>/secrets.key` (0600) when there is neither. */
export function loadSecretsKey(dataDir: string, configured: string | undefined): { key: Buffer; source: string } {
  if (configured !== undefined && configured !== '') return { key: parseKey(configured, 'secrets.key (SWITCHYARD_SECRETS_KEY)'), source: 'secrets.key (SWITCHYARD_SECRETS_KEY)' };
  const file = join(dataDir, 'secrets.key');
  if (existsSync(file)) return { key: parseKey(readFileSync(file, 'utf8'), file), source: file };
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, key.toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return { key, source: file };
}
