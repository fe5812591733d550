/**
 * `switchyard sink`: a tiny local receiver to try webhooks with (no server, no token). It prints every request and,
 * given the signing key, whether Determined's signature verifies:
 *   X-Determined-AI-Signature = hex(HMAC-SHA256(key = UTF-8 of the key, msg = "<X-Determined-AI-Signature-Timestamp>,<raw body>")).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Command } from 'commander';
import { CliError } from '../client.js';
import { defaultIo, intArg, type Io } from '../format.js';

const MAX_BODY = 10 * 1024 * 1024;

export type SignatureResult = 'valid' | 'invalid' | 'missing';

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** Checks Determined's signature of a request (header names case-insensitive), comparing in constant time. */
export function verifyDetermined(key: string, headers: IncomingHttpHeaders, body: Buffer): SignatureResult {
  const timestamp = header(headers, 'X-Determined-AI-Signature-Timestamp');
  const signature = header(headers, 'X-Determined-AI-Signature');
  if (timestamp === undefined || signature === undefined) return 'missing';
  const expected = createHmac('sha256', Buffer.from(key, 'utf8'))
    .update(Buffer.concat([Buffer.from(`${timestamp},`, 'utf8'), body]))
    .digest();
  const given = /^[0-9a-f]{64}$/i.test(signature.trim()) ? Buffer.from(signature.trim(), 'hex') : Buffer.alloc(0);
  return given.length === expected.length && timingSafeEqual(given, expected) ? 'valid' : 'invalid';
}

const VERDICT: Record<SignatureResult, string> = {
  valid: 'signature: valid (X-Determined-AI-Signature matches)',
  invalid: 'signature: INVALID (X-Determined-AI-Signature does not match this key, timestamp and body)',
  missing: 'signature: missing (no X-Determined-AI-Signature / -Timestamp headers)',
};

export interface SinkOptions {
  host: string;
  port: number;
  status: number;
  signingKey?: string;
  json: boolean;
  out: (text: string) => void;
}

/** Starts the receiver; resolves once it listens. */
export async function startSink(o: SinkOptions): Promise<{ url: string; close(): Promise<void> }> {
  let seen = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const signature = o.signingKey === undefined ? undefined : verifyDetermined(o.signingKey, req.headers, body);
      const status = size > MAX_BODY ? 413 : o.status;
      seen += 1;
      const time = new Date().toISOString();
      const pairs: [string, string][] = [];
      for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) pairs.push([req.rawHeaders[i] ?? '', req.rawHeaders[i + 1] ?? '']);
      if (o.json) {
        o.out(`${JSON.stringify({ time, method: req.method, path: req.url, headers: Object.fromEntries(pairs), body: body.toString('utf8'), signature: signature ?? null, status })}\n`);
      } else {
        const lines = [`#${seen} ${req.method} ${req.url}  ${time}  ${body.length} bytes`, ...pairs.map(([k, v]) => `  ${k}: ${v}`), ''];
        lines.push(body.length ? body.toString('utf8') : '(empty body)');
        if (signature) lines.push(VERDICT[signature]);
        lines.push(`answered ${status}`, '');
        o.out(`${lines.join('\n')}\n`);
      }
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(status === 204 ? undefined : `${status}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new CliError(`port ${o.port} is in use; pick another with --port`) : err));
    server.listen(o.port, o.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

export function register(program: Command, io: Io = defaultIo()): void {
  program.command('sink').description('run a local receiver that prints webhook requests and checks their signatures')
    .option('--port <port>', 'port to listen on (0 = any free port)', intArg('--port', 0, 65535), 9000)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--signing-key <key>', 'verify X-Determined-AI-Signature with this key (env DET_WEBHOOKS_SIGNING_KEY; see: switchyard keys show)')
    .option('--status <code>', 'HTTP status to answer with', intArg('--status', 200, 599), 200)
    .option('--json', 'print one JSON object per request')
    .action(async (o: { port: number; host: string; signingKey?: string; status: number; json?: boolean }) => {
      const signingKey = o.signingKey ?? (io.env.DET_WEBHOOKS_SIGNING_KEY || undefined);
      const sink = await startSink({ ...o, signingKey, json: o.json === true, out: io.out });
      const checking = signingKey === undefined ? 'not checking signatures (pass --signing-key)' : 'checking Determined signatures';
      io.err(`sink listening on ${sink.url} (answers ${o.status}; ${checking}); stop with Ctrl-C\n`);
      io.err(`point a webhook at it: switchyard webhooks create --url ${sink.url}/hook --trigger COMPLETED\n`);
      await stopped(io.signal);
      await sink.close();
    });
}

/** Resolves when `signal` aborts or, without one, on SIGINT/SIGTERM. */
function stopped(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal) {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
      return;
    }
    const stop = (): void => {
      process.off('SIGINT', stop).off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop).on('SIGTERM', stop);
  });
}
