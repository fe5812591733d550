/**
 * Test harness: a real Switchyard on a fresh SQLite file in a temp folder, and real HTTP sinks that record every
 * request exactly as received (raw body bytes, header names as sent).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { loadConfig, type Config } from '../../src/config.js';
import { startSwitchyard, type Running } from '../../src/server.js';
import type { Clock } from '../../src/core/types.js';

export const ADMIN_TOKEN = 'sy_test_admin_token_0123456789abcdef';

export interface ApiResponse<T = any> { status: number; body: T; text: string }

export interface TestServer {
  url: string;
  token: string;
  running: Running;
  dataDir: string;
  api<T = any>(method: string, path: string, body?: unknown, opts?: { token?: string | null; raw?: string; headers?: Record<string, string> }): Promise<ApiResponse<T>>;
  /** Stops the server and removes its data dir; with `keepData: true` the data dir stays, to start again on it. */
  stop(opts?: { keepData?: boolean }): Promise<void>;
  /** Stops this server (keeping its data) and starts a new one on the same data dir, with the same options
   * unless `opts` overrides them. The returned server owns the data dir from then on. */
  restart(opts?: TestServerOptions): Promise<TestServer>;
}

export interface TestServerOptions {
  env?: Record<string, string>;
  clock?: Clock;
  patch?: (c: Config) => void;
  /** Start on this existing data dir (e.g. a stopped server's, kept with `stop({ keepData: true })`) instead of a fresh one. */
  dataDir?: string;
}

export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'switchyard-test-'));
  const config = loadConfig({ dataDir, port: 0, host: '127.0.0.1' }, {
    // Test sinks listen on loopback: open it explicitly, as an operator would (the default refuses it).
    SWITCHYARD_ADMIN_TOKEN: ADMIN_TOKEN, DET_WEBHOOKS_SIGNING_KEY: 'testsigningkey', SWITCHYARD_OUTBOUND_ALLOW: '127.0.0.0/8,::1', ...opts.env,
  });
  opts.patch?.(config);
  const running = await startSwitchyard(config, { clock: opts.clock, log: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }) });
  const api: TestServer['api'] = async (method, path, body, o = {}) => {
    const headers: Record<string, string> = { ...o.headers };
    const token = o.token === undefined ? ADMIN_TOKEN : o.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    let payload: string | undefined = o.raw;
    if (payload === undefined && body !== undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(`${running.url}${path}`, { method, headers, body: payload });
    const text = await res.text();
    let parsed: any = undefined;
    try { parsed = JSON.parse(text); } catch { parsed = text; }
    return { status: res.status, body: parsed, text };
  };
  const server: TestServer = {
    url: running.url, token: ADMIN_TOKEN, running, dataDir, api,
    async stop(o = {}) {
      await running.stop();
      if (!o.keepData) rmSync(dataDir, { recursive: true, force: true });
    },
    async restart(o = {}) {
      await server.stop({ keepData: true });
      return startTestServer({ env: opts.env, clock: opts.clock, patch: opts.patch, ...o, dataDir });
    },
  };
  return server;
}

export interface SinkRequest {
  method: string; path: string; headers: http.IncomingHttpHeaders; rawHeaders: string[]; body: Buffer; text: string; at: number;
}

export interface Sink {
  url: string;
  requests: SinkRequest[];
  /** Set the status (or a function of the request) the sink answers with. */
  respond: (status: number | ((r: SinkRequest) => number)) => void;
  /** Answer every request only after this many milliseconds (the request is recorded on arrival). Default 0. */
  delay: (ms: number) => void;
  waitFor(n: number, timeoutMs?: number): Promise<SinkRequest[]>;
  byPath(path: string): SinkRequest[];
  close(): Promise<void>;
}

export async function startSink(): Promise<Sink> {
  const requests: SinkRequest[] = [];
  let status: number | ((r: SinkRequest) => number) = 200;
  let delayMs = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const r: SinkRequest = {
        method: req.method ?? '', path: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, body,
        text: body.toString('utf8'), at: Date.now(),
      };
      requests.push(r);
      res.statusCode = typeof status === 'function' ? status(r) : status;
      if (delayMs > 0) setTimeout(() => res.end('ok'), delayMs);
      else res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  // A test that fails before closing its sink (e.g. Chromium missing) must still end.
  server.unref();
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    respond: (s) => { status = s; },
    delay: (ms) => { delayMs = ms; },
    async waitFor(n, timeoutMs = 5000) {
      const until = Date.now() + timeoutMs;
      while (requests.length < n) {
        if (Date.now() > until) throw new Error(`sink got ${requests.length} requests, expected ${n} within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return requests;
    },
    byPath: (p) => requests.filter((r) => r.path === p),
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/** Polls `f` until it returns something truthy (returned), or fails after `ms` naming `what`. */
export async function until<T>(
  f: () => Promise<T | undefined | null | false> | T | undefined | null | false, what: string, ms = 15_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Waits until the outbox has nothing left to send (pending, delivering or failed-with-retry). */
export async function drained(s: TestServer, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const open = await Promise.all(['pending', 'delivering', 'failed'].map((st) => s.api('GET', `/api/v1/deliveries?status=${st}&limit=1`)));
    if (open.every((r) => r.body.deliveries.length === 0)) return;
    if (Date.now() > until) throw new Error('deliveries did not drain in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
