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
  stop(): Promise<void>;
}

export async function startTestServer(opts: { env?: Record<string, string>; clock?: Clock; patch?: (c: Config) => void } = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-test-'));
  const config = loadConfig({ dataDir, port: 0, host: '127.0.0.1' }, {
    SWITCHYARD_ADMIN_TOKEN: ADMIN_TOKEN, DET_WEBHOOKS_SIGNING_KEY: 'testsigningkey', ...opts.env,
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
  return {
    url: running.url, token: ADMIN_TOKEN, running, dataDir, api,
    async stop() {
      await running.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface SinkRequest {
  method: string; path: string; headers: http.IncomingHttpHeaders; rawHeaders: string[]; body: Buffer; text: string; at: number;
}

export interface Sink {
  url: string;
  requests: SinkRequest[];
  /** Set the status (or a function of the request) the sink answers with. */
  respond: (status: number | ((r: SinkRequest) => number)) => void;
  waitFor(n: number, timeoutMs?: number): Promise<SinkRequest[]>;
  byPath(path: string): SinkRequest[];
  close(): Promise<void>;
}

export async function startSink(): Promise<Sink> {
  const requests: SinkRequest[] = [];
  let status: number | ((r: SinkRequest) => number) = 200;
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
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    respond: (s) => { status = s; },
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
