/**
 * post_slack: posts a message to a Slack incoming webhook through services.http (SSRF-guarded). The webhook URL is
 * itself a credential, so it is best given as `{"secret": "NAME"}`; it never appears in the outcome either way.
 * Slack answers 200 `ok`; 4xx bodies name the problem (`invalid_payload`, `no_text`, `no_service`,
 * `channel_is_archived`…) and are not retried; 429 and 5xx are. Output: `{ ok: true, status }`.
 */
import { z } from 'zod';
import type { StepServices } from '../../../core/flow/types.js';
import type { HttpClientRequest, HttpClientResponse } from '../../services/http.js';
import { abortable, clip, describeHttpFailure, fail, isHttpUrl, ok, secretOr, withSecrets } from '../common.js';
import type { StepDefinition } from '../registry.js';

/** Blocks may arrive as a JSON string when a template renders them. */
const blocks = z.preprocess((v) => {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return v;
  }
}, z.array(z.unknown(), { error: 'must be an array of Slack blocks (or its JSON text)' }));

export const postSlackConfig = z
  .strictObject({
    webhookUrl: secretOr(),
    text: z.string().optional(),
    blocks: blocks.optional(),
    username: z.string().optional(),
    iconEmoji: z.string().optional(),
  })
  .superRefine((c, ctx) => {
    if (!c.text && !(c.blocks && c.blocks.length > 0)) ctx.addIssue({ code: 'custom', path: ['text'], message: 'text or blocks is required' });
    if (typeof c.webhookUrl === 'string' && !isHttpUrl(c.webhookUrl)) {
      ctx.addIssue({ code: 'custom', path: ['webhookUrl'], message: 'must be an https:// URL (Slack incoming webhook)' });
    }
  });

export type PostSlackConfig = z.output<typeof postSlackConfig>;

export function slackPayload(c: PostSlackConfig): Record<string, unknown> {
  const p: Record<string, unknown> = {};
  if (c.text) p.text = c.text;
  if (c.blocks && c.blocks.length > 0) p.blocks = c.blocks;
  if (c.username) p.username = c.username;
  if (c.iconEmoji) p.icon_emoji = c.iconEmoji.startsWith(':') ? c.iconEmoji : `:${c.iconEmoji}:`;
  return p;
}

export const postSlackStep: StepDefinition<PostSlackConfig> = {
  type: 'post_slack',
  title: 'Post to Slack',
  configSchema: postSlackConfig,
  action: true,
  run(config: PostSlackConfig, services: StepServices, signal: AbortSignal) {
    return withSecrets(services, signal, async (scope) => {
      const url = scope.resolve(config.webhookUrl).trim();
      if (!isHttpUrl(url)) {
        return fail(typeof config.webhookUrl === 'string'
          ? 'webhookUrl is not an http(s) URL'
          : `secret "${config.webhookUrl.secret}" (webhookUrl) is not an http(s) URL`, false);
      }
      const req: HttpClientRequest = {
        method: 'POST',
        url,
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify(slackPayload(config)),
        signal,
      };
      let res: HttpClientResponse;
      try {
        res = await abortable(services.http(req), signal);
      } catch (e) {
        if (signal.aborted) throw e;
        const { message, retryable } = describeHttpFailure(e, 'posting to the Slack webhook');
        return fail(message, retryable);
      }
      const body = clip(res.body, 200);
      if (res.status >= 200 && res.status < 300) {
        if (res.body.trim() === 'ok') return ok({ ok: true, status: res.status });
        return fail(`the Slack webhook answered ${res.status} but not "ok": ${body || 'empty body'}`, false);
      }
      if (res.status === 429) {
        const after = res.headers['retry-after'];
        return fail(`Slack rate-limited the webhook (429${after ? `, retry after ${after} s` : ''})`, true);
      }
      if (res.status >= 500) return fail(`Slack answered ${res.status}: ${body || 'empty body'}`, true);
      if (res.status >= 300 && res.status < 400) {
        return fail(`the Slack webhook answered ${res.status} (a redirect, not followed): is the URL right?`, false);
      }
      return fail(`Slack rejected the message (${res.status} ${body || 'empty body'})`, false);
    });
  },
};
