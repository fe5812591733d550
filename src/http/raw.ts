/**
 * Answers written on Node's own request and response, for the fast paths in front of Fastify (the catch hooks'
 * common case, the producers' state changes): the same status, headers and body as Fastify's reply would send.
 */
import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { ApiError } from './errors.js';

export function sendJson(res: ServerResponse, status: number, body: unknown, extra?: Record<string, string>): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...extra });
  res.end(text);
}

/** An error as the API answers it: an ApiError as itself, anything else as a logged 500 (as the app's error handler). */
export function sendFailure(res: ServerResponse, err: unknown, log: Logger, where: { url: string; method: string }): void {
  if (err instanceof ApiError) return sendJson(res, err.http, err.toBody());
  log.error({ err, ...where }, 'unexpected error');
  const e = new ApiError('internal', 'internal error: Switchyard did not expect this, and nothing was written; the server log has the details');
  sendJson(res, e.http, e.toBody());
}
