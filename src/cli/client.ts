/**
 * The CLI's HTTP client of Switchyard's /api/v1, plus the two error types the CLI reports.
 *
 * - ApiError: the server answered with an error body `{"error":{code, reason, error, type}}` (Determined's shape plus a
 *   stable `type` slug); main.ts prints it as `error: <message> (<reason>, HTTP <status>)` and exits 1.
 * - CliError: anything the CLI itself refuses (bad input: exit 2; missing token, unreachable server: exit 1).
 */
import { request } from 'undici';
import type { Command } from 'commander';

export const DEFAULT_URL = 'http://127.0.0.1:8080';
export const NO_TOKEN_MESSAGE =
  'no API token: pass --token or set SWITCHYARD_TOKEN (the admin token was printed when the server first started)';

/** An error the CLI reports as `error: <message>` and exits with `exitCode` (2 = usage, 1 = everything else). */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'CliError';
  }
}

/** An error answer of the API. `code` is the gRPC code number, `reason` its name, `type` the stable slug. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly type: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** HTTP status → gRPC code (number, name), for error bodies that are not in the API's own shape. */
const STATUS_CODES: Record<number, [number, string]> = {
  400: [3, 'InvalidArgument'], 401: [16, 'Unauthenticated'], 403: [7, 'PermissionDenied'], 404: [5, 'NotFound'],
  409: [6, 'AlreadyExists'], 412: [9, 'FailedPrecondition'], 429: [8, 'ResourceExhausted'], 499: [1, 'Canceled'],
  501: [12, 'Unimplemented'], 503: [14, 'Unavailable'], 504: [4, 'DeadlineExceeded'],
};

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Builds an ApiError from any error answer; falls back sensibly when the body is not `{"error":{…}}`. */
export function apiErrorFrom(status: number, text: string): ApiError {
  let body: unknown;
  try { body = JSON.parse(text); } catch { body = undefined; }
  const outer = (body ?? {}) as Record<string, unknown>;
  const e = (typeof outer.error === 'object' && outer.error !== null ? outer.error : {}) as Record<string, unknown>;
  const [fallbackCode, fallbackReason] = STATUS_CODES[status] ?? (status >= 500 ? [13, 'Internal'] : [2, 'Unknown']);
  const message = str(e.error) ?? str(e.message) ?? str(outer.message) ?? str(outer.error) ?? str(body) ?? (text.trim().slice(0, 200) || `HTTP ${status}`);
  return new ApiError(
    status,
    typeof e.code === 'number' ? e.code : fallbackCode,
    str(e.reason) ?? fallbackReason,
    message,
    str(e.type) ?? 'unknown',
  );
}

function errorCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; cause?: { code?: unknown }; errors?: { code?: unknown }[] } | null;
  const code = e?.code ?? e?.cause?.code ?? e?.errors?.[0]?.code;
  return typeof code === 'string' ? code : undefined;
}

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export class ApiClient {
  readonly url: string;
  private readonly base: URL;
  private readonly token: string | undefined;

  constructor(opts: { url: string; token?: string }) {
    this.url = opts.url;
    this.token = opts.token;
    try {
      this.base = new URL(opts.url.endsWith('/') ? opts.url : `${opts.url}/`);
    } catch {
      throw new CliError(`invalid server URL "${opts.url}" (expected e.g. ${DEFAULT_URL})`, 2);
    }
  }

  /** Sends one API call; `path` is like `/api/v1/webhooks`. Resolves to the parsed JSON answer ({} when empty). */
  /** Fails early (before e.g. reading stdin) when there is no token. */
  ensureToken(): void {
    if (!this.token) throw new CliError(NO_TOKEN_MESSAGE);
  }

  async request<T>(method: Method, path: string, body?: unknown): Promise<T> {
    this.ensureToken();
    const target = new URL(path.replace(/^\/+/, ''), this.base);
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res;
    try {
      res = await request(target, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      const code = errorCode(err);
      if (code === 'ECONNREFUSED') {
        throw new CliError(`cannot reach Switchyard at ${this.url}: is the server running? (start it with: npm start)`);
      }
      throw new CliError(`cannot reach Switchyard at ${this.url}: ${code ?? (err as Error).message}`);
    }
    const text = await res.body.text();
    if (res.statusCode >= 400) throw apiErrorFrom(res.statusCode, text);
    if (text.trim() === '') return {} as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CliError(`the server at ${this.url} answered HTTP ${res.statusCode} with a body that is not JSON`);
    }
  }
}

/** The connection options (`--url`, `--token`, `--json`) every API command takes, on the program and on the command. */
export function addConnectionOptions(cmd: Command, opts: { url: boolean } = { url: true }): Command {
  if (opts.url) cmd.option('--url <url>', `Switchyard server URL (env SWITCHYARD_URL, default ${DEFAULT_URL})`);
  if (!opts.url) urlIsNotServer.add(cmd);
  return cmd
    .option('--token <token>', 'API token (env SWITCHYARD_TOKEN)')
    .option('--json', 'print the raw API response as JSON');
}
const urlIsNotServer = new WeakSet<Command>();

/**
 * Resolves the connection of a command: the command's own option, else the program's, else the environment.
 * (`webhooks create/update` use `--url` for the webhook; their server URL comes from the program or SWITCHYARD_URL.)
 */
export function connect(cmd: Command, env: Record<string, string | undefined>): { client: ApiClient; json: boolean } {
  let url: string | undefined;
  let token: string | undefined;
  let json = false;
  for (let c: Command | null = cmd; c; c = c.parent) {
    const o = c.opts<{ url?: string; token?: string; json?: boolean }>();
    if (url === undefined && !urlIsNotServer.has(c)) url = o.url;
    token ??= o.token;
    json ||= o.json === true;
  }
  const client = new ApiClient({
    url: url || env.SWITCHYARD_URL || DEFAULT_URL,
    token: token || env.SWITCHYARD_TOKEN || undefined,
  });
  return { client, json };
}

/** `path?name=value&…` with the defined parameters, in the order given (`path` alone when there are none). */
export function withQuery(path: string, params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.append(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}
