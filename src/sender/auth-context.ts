/** Who is calling: the token behind the request. */
import { ApiError } from '../http/errors.js';
import type { TokenRole } from '../store/store.js';

export interface Caller { tokenId: number; role: TokenRole; name: string }

export function requireAdmin(c: Caller, what: string): void {
  if (c.role !== 'admin') throw new ApiError('permission_denied', `${what} needs an admin token; token "${c.name}" has role ${c.role}`);
}

/** Determined's basic authz: only admins edit global webhooks. */
export function requireCanEditWebhook(c: Caller, workspaceId: number | null): void {
  if (workspaceId === null && c.role !== 'admin') {
    throw new ApiError('permission_denied', "non admin users can't edit global webhooks: use an admin token or give the webhook a workspaceId");
  }
}
