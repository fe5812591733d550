/**
 * Which webhooks an experiment or task fires (Determined's `matchWebhook`, spec §5):
 *
 * | webhook workspace \ mode | SPECIFIC                                              | WORKSPACE                       |
 * |--------------------------|-------------------------------------------------------|---------------------------------|
 * | set                      | same workspace AND the config lists its id or name    | everything in that workspace    |
 * | null (global)            | the config lists its id or name                       | everything                      |
 *
 * `exclude: true` in the experiment config fires nothing. SPECIFIC never fires for a task without an experiment.
 */
import type { WebhookIntegrations, WebhookMode } from './types.js';

export interface MatchableWebhook { id: number; name: string; workspaceId: number | null; mode: WebhookMode }
export interface MatchScope {
  /** Workspace of the experiment or task; null for a task outside any workspace. */
  workspaceId: number | null;
  /** The experiment's `integrations.webhooks`, or null (no experiment, or no such block). */
  integrations: WebhookIntegrations | null;
}

export function listsWebhook(cfg: WebhookIntegrations | null, w: MatchableWebhook): boolean {
  if (!cfg) return false;
  return (cfg.webhook_id ?? []).includes(w.id) || (cfg.webhook_name ?? []).includes(w.name);
}

export function matchWebhook(w: MatchableWebhook, scope: MatchScope): boolean {
  if (scope.integrations?.exclude) return false;
  if (w.workspaceId !== null && w.workspaceId !== scope.workspaceId) return false;
  if (w.mode === 'SPECIFIC') return listsWebhook(scope.integrations, w);
  return true;
}

/** Matches `"log_policies":` — the echoed experiment config, which Determined never scans for TASK_LOG triggers. */
export const ECHOED_EXPCONF = /"log_policies":/;
