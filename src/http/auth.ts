/** API tokens: generated with 192 bits of randomness, stored as SHA-256 hashes, checked on every /api/v1 request. */
import * as nodeCrypto from 'node:crypto';
import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../core/types.js';
import type { Store, TokenRecord, TokenRole } from '../store/store.js';
import { ApiError } from './errors.js';
import type { Caller } from '../sender/auth-context.js';

export const TOKEN_PREFIX = 'sy_';
const CACHE_MS = 10_000;
const TOUCH_EVERY_MS = 60_000;

/** crypto.hash (Node ≥ 20.12): one call, no Hash object; 0.5 µs against 2 µs here, on every API request. */
const oneShot = (nodeCrypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

export function hashToken(secret: string): string {
  return oneShot ? oneShot('sha256', secret, 'hex') : createHash('sha256').update(secret, 'utf8').digest('hex');
}

export function generateTokenSecret(): string {
  return TOKEN_PREFIX + randomBytes(24).toString('base64url');
}

export class TokenAuth {
  private readonly cache = new Map<string, { token: TokenRecord; until: number }>();
  private readonly touched = new Map<number, number>();

  constructor(private readonly store: Store, private readonly clock: Clock) {}

  /** Creates the first admin token when there is none. Returns the secret when one was generated (print it once). */
  async bootstrap(given: string | undefined): Promise<{ generated: string | null }> {
    const now = this.clock.now();
    if (given) {
      if (!(await this.store.findTokenByHash(hashToken(given)))) {
        await this.store.createToken({ name: 'admin (SWITCHYARD_ADMIN_TOKEN)', role: 'admin', hash: hashToken(given), prefix: given.slice(0, 7) }, now);
      }
      return { generated: null };
    }
    if ((await this.store.countTokens()) > 0) return { generated: null };
    const secret = generateTokenSecret();
    await this.store.createToken({ name: 'admin', role: 'admin', hash: hashToken(secret), prefix: secret.slice(0, 7) }, now);
    return { generated: secret };
  }

  async create(name: string, role: TokenRole): Promise<{ token: TokenRecord; secret: string }> {
    const secret = generateTokenSecret();
    const token = await this.store.createToken({ name, role, hash: hashToken(secret), prefix: secret.slice(0, 7) }, this.clock.now());
    return { token, secret };
  }

  async revoke(id: number): Promise<void> {
    if (!(await this.store.revokeToken(id, this.clock.now()))) {
      throw new ApiError('token_not_found', `token ${id} not found; list tokens with GET /api/v1/tokens`);
    }
    this.cache.clear();
  }

  /** The caller behind an Authorization header, or a 401 that says what is missing. */
  async authenticate(header: string | undefined): Promise<Caller> {
    if (!header) {
      throw new ApiError('unauthenticated', 'missing Authorization header: send "Authorization: Bearer <token>" (the admin token was printed when the server first started)');
    }
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) throw new ApiError('unauthenticated', 'the Authorization header must be "Bearer <token>"');
    const hash = hashToken(m[1]!);
    const now = this.clock.now();
    let token = this.cache.get(hash);
    if (!token || token.until < now) {
      const rec = await this.store.findTokenByHash(hash);
      if (!rec) throw new ApiError('unauthenticated', 'unknown API token: check it, or create one with `switchyard tokens create`');
      token = { token: rec, until: now + CACHE_MS };
      if (this.cache.size > 1000) this.cache.clear();
      this.cache.set(hash, token);
    }
    const t = token.token;
    if (t.revokedAt !== null) throw new ApiError('unauthenticated', `API token "${t.name}" was revoked; use another token`);
    if ((this.touched.get(t.id) ?? 0) + TOUCH_EVERY_MS < now) {
      this.touched.set(t.id, now);
      await this.store.touchToken(t.id, now);
    }
    return { tokenId: t.id, role: t.role, name: t.name };
  }
}
