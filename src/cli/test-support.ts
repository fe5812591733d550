/**
 * Test support of the CLI tests (not a test file itself): a fake API (node:http, records requests, replies canned
 * JSON by `METHOD /path?query`) and runners of the CLI with an in-memory Io.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { run } from './main.js';
import type { Io } from './format.js';

export interface Recorded {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}
export type Routes = Record<string, [number, unknown]>;

export const NOT_FOUND = { error: { code: 5, reason: 'NotFound', error: 'no such route', type: 'route_not_found' } };

export async function fakeApi(routes: Routes): Promise<{ url: string; requests: Recorded[]; close(): Promise<void> }> {
  const requests: Recorded[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: text ? JSON.parse(text) : undefined });
      const [status, reply] = routes[`${req.method} ${req.url}`] ?? [404, NOT_FOUND];
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(reply));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}

export interface Started { done: Promise<number>; out: string[]; err: string[] }

export function start(args: string[], o: { env?: Record<string, string>; stdin?: string; signal?: AbortSignal } = {}): Started {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = {
    out: (s) => { out.push(s); },
    err: (s) => { err.push(s); },
    env: o.env ?? {},
    stdin: Readable.from(o.stdin === undefined ? [] : [Buffer.from(o.stdin)]),
    ...(o.signal ? { signal: o.signal } : {}),
  };
  return { done: run(['node', 'switchyard', ...args], io), out, err };
}

export async function cli(args: string[], o: { env?: Record<string, string>; stdin?: string } = {}) {
  const s = start(args, o);
  const code = await s.done;
  return { code, out: s.out.join(''), err: s.err.join('') };
}

/** Runs `fn` with a fake API whose URL and a token are in the CLI's environment. */
export async function withApi(routes: Routes, fn: (api: Awaited<ReturnType<typeof fakeApi>>, env: Record<string, string>) => Promise<void>) {
  const api = await fakeApi(routes);
  try {
    await fn(api, { SWITCHYARD_URL: api.url, SWITCHYARD_TOKEN: 'sy_test' });
  } finally {
    await api.close();
  }
}

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return port;
}
