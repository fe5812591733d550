/**
 * http_request: one request through services.http (SSRF-guarded, no redirects). A header value may be a secret
 * reference; an object body is sent as JSON (with content-type application/json unless a content-type is given).
 * Output: `{ status, headers, body, json?, durationMs, truncated? }`, also attached to a failure for an unexpected
 * status. Retried: transport errors, 408, 429 and 5xx. Not retried: other statuses, SSRF refusals, TLS failures.
 */
import { z } from 'zod';
import type { StepServices } from '../../../core/flow/types.js';
import type { HttpClientRequest, HttpClientResponse } from '../../services/http.js';
import {
  abortable, caseless, clip, describeHttpFailure, fail, intish, isHttpUrl, ok, requestLabel, secretOr, withSecrets,
} from '../common.js';
import type { StepDefinition } from '../registry.js';

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const BAD_VALUE = /[\r\n\0]/;

const headerValue = z.string().refine((v) => !BAD_VALUE.test(v), { error: 'must not contain line breaks or NUL' });

/** "200, 201" (a rendered template) or a single number is read as a list. */
const statusList = z.preprocess(
  (v) => (typeof v === 'string' ? v.split(/[\s,]+/).filter((s) => s !== '') : typeof v === 'number' ? [v] : v),
  z.array(intish(100, 599)).min(1, { error: 'needs at least one status code' }),
);

export const httpRequestConfig = z.strictObject({
  method: caseless(z.enum(HTTP_METHODS, { error: `must be one of ${HTTP_METHODS.join(', ')}` }), true),
  url: z.string().trim().refine(isHttpUrl, { error: 'must be an http:// or https:// URL' }),
  headers: z.record(
    z.string().regex(TOKEN, { error: 'is not a valid header name' }),
    secretOr(headerValue, 'a string without line breaks'),
  ).optional(),
  body: z.union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())], {
    error: 'must be a string, or an object or array (sent as JSON)',
  }).optional(),
  timeoutMs: intish(1, 300_000).optional(),
  /** Statuses that count as success; default any 2xx. */
  expectStatus: statusList.optional(),
});

export type HttpRequestConfig = z.output<typeof httpRequestConfig>;

export interface HttpRequestOutput {
  status: number;
  headers: Record<string, string>;
  body: string;
  json?: unknown;
  durationMs: number;
  truncated?: true;
}

function parseJson(res: HttpClientResponse): { json: unknown } | Record<string, never> {
  const type = res.headers['content-type'] ?? '';
  if (!/[/+]json\b/i.test(type) || res.truncated) return {};
  try {
    return { json: JSON.parse(res.body) as unknown };
  } catch {
    return {};
  }
}

export function retryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

export const httpRequestStep: StepDefinition<HttpRequestConfig> = {
  type: 'http_request',
  title: 'Send an HTTP request',
  configSchema: httpRequestConfig,
  action: true,
  run(config: HttpRequestConfig, services: StepServices, signal: AbortSignal) {
    return withSecrets(services, signal, async (scope) => {
      const label = requestLabel(config.method, config.url);
      const headers: Record<string, string> = scope.resolve(config.headers ?? {});
      for (const [name, value] of Object.entries(headers)) {
        if (BAD_VALUE.test(value)) return fail(`header ${name}: the secret's value contains a line break`, false);
      }
      let body: string | undefined;
      if (typeof config.body === 'string') body = config.body;
      else if (config.body !== undefined) {
        body = JSON.stringify(config.body);
        if (!Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
      }
      const req: HttpClientRequest = {
        method: config.method,
        url: config.url,
        headers,
        signal,
        ...(body !== undefined ? { body } : {}),
        ...(config.timeoutMs !== undefined ? { timeoutMs: config.timeoutMs } : {}),
      };
      let res: HttpClientResponse;
      try {
        res = await abortable(services.http(req), signal);
      } catch (e) {
        if (signal.aborted) throw e;
        const { message, retryable } = describeHttpFailure(e, label);
        return fail(message, retryable);
      }
      const output: HttpRequestOutput = {
        status: res.status,
        headers: res.headers,
        body: res.body,
        ...parseJson(res),
        durationMs: res.durationMs,
        ...(res.truncated ? { truncated: true as const } : {}),
      };
      const expected = config.expectStatus;
      if (expected ? expected.includes(res.status) : res.status >= 200 && res.status < 300) return ok(output);
      const wanted = expected ? expected.join(', ') : '2xx';
      const location = res.headers.location;
      const detail = res.status >= 300 && res.status < 400
        ? `redirects are not followed${location ? `; Location: ${location}` : ''}`
        : clip(res.body, 200) || 'empty body';
      return fail(`${label} answered ${res.status} (expected ${wanted}): ${detail}`, retryableStatus(res.status), output);
    });
  },
};
