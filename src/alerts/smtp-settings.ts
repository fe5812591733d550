/**
 * The SMTP server that send_email steps (without an smtp block of their own) and email alert channels use: set over
 * the API (`/api/v1/settings/smtp`, kept in the settings table, the password sealed with the secrets key), else the
 * config file's `smtp` section. Read synchronously from a copy loaded at start and replaced on every change.
 */
import type { Config } from '../config.js';
import type { SmtpSettings } from '../core/flow/types.js';
import type { Store } from '../store/store.js';
import { invalid } from '../http/errors.js';
import { Fields } from '../http/fields.js';

const KEY = 'smtp';
const PASSWORD_KEY = 'smtp.password';

export type SmtpSource = 'api' | 'config' | 'none';
interface Stored { host: string; port: number; secure: boolean; user?: string; from?: string }

export class SmtpSettingsService {
  private fromApi: SmtpSettings | null = null;

  constructor(private readonly store: Store, private readonly config: Config['smtp']) {}

  async load(): Promise<void> {
    const raw = await this.store.getSetting(KEY);
    if (raw === null) { this.fromApi = null; return; }
    const s = JSON.parse(raw) as Stored;
    const password = await this.store.getSecretSetting(PASSWORD_KEY);
    this.fromApi = { ...s, ...(password !== null ? { password } : {}) };
  }

  source(): SmtpSource {
    return this.fromApi ? 'api' : this.config.host ? 'config' : 'none';
  }

  /** The settings in effect, or null when there is no SMTP server. */
  current(): SmtpSettings | null {
    if (this.fromApi) return this.fromApi;
    const c = this.config;
    if (!c.host) return null;
    return { host: c.host, port: c.port, secure: c.secure, user: c.user, password: c.password, from: c.from };
  }

  /** What the API shows: never the password, only whether one is set. */
  view() {
    const s = this.current();
    return {
      source: this.source(),
      host: s?.host ?? null, port: s?.port ?? null, secure: s?.secure ?? null, user: s?.user ?? null, from: s?.from ?? null,
      passwordSet: Boolean(s?.password),
    };
  }

  /**
   * Replaces the API settings. `password`: a string sets it, null clears it, absent keeps the stored one (so a form
   * can save the other fields without knowing it).
   */
  async put(body: unknown): Promise<void> {
    const f = new Fields(body, 'smtp', ['host', 'port', 'secure', 'user', 'password', 'from']);
    const host = f.string('host', { required: true, max: 255, trim: true })!;
    if (host === '' || /[\s/]/.test(host)) throw invalid(`smtp.host must be a host name or IP address such as smtp.example.com, got "${host}"`);
    const secure = f.bool('secure') ?? false;
    const port = f.int('port', { min: 1, max: 65535 }) ?? (secure ? 465 : 587);
    const user = f.string('user', { max: 255, trim: true }) || undefined;
    const from = f.string('from', { max: 320, trim: true }) || undefined;
    if (from !== undefined && !/@/.test(from)) throw invalid(`smtp.from must be an email address, optionally with a name ("Alerts <alerts@example.com>"), got "${from}"`);
    const rawPassword = (body as Record<string, unknown>).password;
    if (rawPassword !== undefined && rawPassword !== null && typeof rawPassword !== 'string') throw invalid('smtp.password must be a string, or null to clear it');
    if (typeof rawPassword === 'string' && rawPassword.length > 1024) throw invalid('smtp.password is too long: at most 1024 characters');
    const stored: Stored = { host, port, secure, ...(user ? { user } : {}), ...(from ? { from } : {}) };
    await this.store.transaction(async (tx) => {
      await tx.putSetting(KEY, JSON.stringify(stored));
      if (rawPassword === null || rawPassword === '') await tx.deleteSetting(PASSWORD_KEY);
      else if (typeof rawPassword === 'string') await tx.putSecretSetting(PASSWORD_KEY, rawPassword);
    });
    await this.load();
  }

  /** Removes the API settings (the config file's, if any, apply again). Idempotent. */
  async delete(): Promise<void> {
    await this.store.transaction(async (tx) => {
      await tx.deleteSetting(KEY);
      await tx.deleteSetting(PASSWORD_KEY);
    });
    await this.load();
  }
}
