/** Workspaces, API tokens and the signing key. */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { Fields, pathId } from '../fields.js';
import { ApiError, invalid } from '../errors.js';
import { requireAdmin } from '../../sender/auth-context.js';
import { tokenView, workspaceView } from '../../sender/views.js';

export function registerAdminRoutes(api: FastifyInstance, ctx: AppContext): void {
  api.get('/workspaces', async () => ({ workspaces: (await ctx.store.listWorkspaces()).map(workspaceView) }));

  api.post('/workspaces', async (req) => {
    const f = new Fields(req.body, 'workspace', ['name']);
    const name = f.string('name', { required: true, max: 255, trim: true })!;
    if (name === '') throw invalid('workspace.name cannot be empty');
    return ctx.store.transaction(async (tx) => {
      if (await tx.getWorkspaceByName(name)) throw new ApiError('workspace_name_taken', `a workspace named "${name}" already exists`);
      return { workspace: workspaceView(await tx.createWorkspace(name, ctx.clock.now())) };
    });
  });

  api.get('/tokens', async (req) => {
    requireAdmin(req.caller, 'listing API tokens');
    return { tokens: (await ctx.store.listTokens()).map(tokenView) };
  });

  api.post('/tokens', async (req) => {
    requireAdmin(req.caller, 'creating API tokens');
    const f = new Fields(req.body, 'token', ['name', 'role']);
    const name = f.string('name', { required: true, max: 255, trim: true })!;
    if (name === '') throw invalid('token.name cannot be empty');
    const role = f.string('role') ?? 'user';
    if (role !== 'admin' && role !== 'user') throw invalid(`token.role must be "admin" or "user", got "${role}"`);
    const { token, secret } = await ctx.auth.create(name, role);
    return { token: tokenView(token), secret };
  });

  api.delete<{ Params: { id: string } }>('/tokens/:id', async (req) => {
    requireAdmin(req.caller, 'revoking API tokens');
    await ctx.auth.revoke(pathId(req.params.id, 'token'));
    return {};
  });

  api.get('/keys/signing', async (req) => {
    requireAdmin(req.caller, 'reading the signing key');
    return { signingKey: ctx.signingKey() };
  });

  // Determined returns the signing key in its master config; admins only here.
  api.get('/master/config', async (req) => {
    requireAdmin(req.caller, 'reading the master config');
    return { webhooks: { signing_key: ctx.signingKey(), base_url: ctx.config.webhooks.base_url } };
  });
}
