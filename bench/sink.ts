/**
 * The benchmark's HTTP sink: a bare node:http server in its own process, forked by the harness (IPC channel).
 *
 * Modes (argv[2]):
 * - `record` (default): paths decide the behaviour of each request
 *     /ok/<w>    answer 200 at once; record receive time, webhook index w, experiment id and state, event_id, timestamp
 *     /fail/<w>  answer 500 at once (counted, not recorded)
 *     /hang/<w>  never answer (the request stays open until the sender gives up or goes away)
 * - `bare`: answer 200 to everything, count only (the machine's own request-rate limit).
 *
 * Receive time is `performance.timeOrigin + performance.now()` at the end of the request body, the same clock the
 * harness uses for acknowledgements. Control messages over IPC: {id, cmd: 'count' | 'records' | 'reset'}; each is
 * answered with {id, ...}.
 */
import http from 'node:http';
import type { Socket } from 'node:net';

export type SinkMode = 'record' | 'bare';

export interface SinkCounts { ok: number; fail: number; hang: number; bare: number; unparsed: number; duplicates: number; lastAt: number }

/** One delivery as the sink saw it; flattened into RECORD_WIDTH numbers per delivery for IPC. */
export const RECORD_WIDTH = 5; // webhook index, experiment id, state code, receive time (ms), payload timestamp (s; 0 = none)
export const STATE_CODES = ['PAUSED', 'ACTIVE'] as const;

export type SinkRequest = { id: number; cmd: 'count' | 'records' | 'reset' };
export type SinkReply = { id: number; counts: SinkCounts; records?: number[] };

const now = (): number => performance.timeOrigin + performance.now();

const SLACK_ID = /\(#(\d+)\)/;
const SLACK_STATE = /\*Status\*: ([A-Z_]+)/;

/** Experiment id, state and (DEFAULT only) event_id and timestamp of a delivery body: DEFAULT JSON or a Slack message. */
export function parseDelivery(text: string): { expId: number; state: string; eventId: string | null; timestamp: number } | null {
  try {
    const body = JSON.parse(text) as {
      event_id?: string; timestamp?: number; event_data?: { experiment?: { id?: number; state?: string } };
    };
    const e = body.event_data?.experiment;
    if (e && typeof e.id === 'number' && typeof e.state === 'string') {
      return { expId: e.id, state: e.state, eventId: body.event_id ?? null, timestamp: body.timestamp ?? 0 };
    }
  } catch {
    return null;
  }
  const id = SLACK_ID.exec(text);
  const state = SLACK_STATE.exec(text);
  if (id && state) return { expId: Number(id[1]), state: state[1]!, eventId: null, timestamp: 0 };
  return null;
}

function stateCode(state: string): number {
  const i = (STATE_CODES as readonly string[]).indexOf(state);
  return i < 0 ? STATE_CODES.length : i;
}

export function startSink(mode: SinkMode, port = 0): Promise<{ server: http.Server; port: number; handle(msg: SinkRequest): SinkReply }> {
  let counts: SinkCounts = { ok: 0, fail: 0, hang: 0, bare: 0, unparsed: 0, duplicates: 0, lastAt: 0 };
  let records: number[] = [];
  let seen = new Set<string>();
  const hanging = new Set<http.ServerResponse>();
  const sockets = new Set<Socket>();

  const server = http.createServer((req, res) => {
    if (mode === 'bare') {
      req.on('data', () => {});
      req.on('end', () => { counts.bare++; res.end(); });
      return;
    }
    const url = req.url ?? '/';
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = now();
      const slash = url.indexOf('/', 1);
      const kind = slash > 0 ? url.slice(1, slash) : url.slice(1);
      const w = slash > 0 ? Number(url.slice(slash + 1)) || 0 : 0;
      if (kind === 'ok') {
        counts.ok++;
        counts.lastAt = at;
        const d = parseDelivery(Buffer.concat(chunks).toString('utf8'));
        if (!d) counts.unparsed++;
        else {
          if (d.eventId !== null) {
            if (seen.has(d.eventId)) counts.duplicates++;
            else seen.add(d.eventId);
          }
          records.push(w, d.expId, stateCode(d.state), at, d.timestamp);
        }
        res.end();
      } else if (kind === 'fail') {
        counts.fail++;
        res.statusCode = 500;
        res.end('benchmark sink: failing on purpose');
      } else if (kind === 'hang') {
        counts.hang++;
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
      } else {
        res.statusCode = 404;
        res.end();
      }
    });
  });
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 65_000;
  server.requestTimeout = 0;
  server.on('connection', (s: Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });

  const handle = (msg: SinkRequest): SinkReply => {
    switch (msg.cmd) {
      case 'count':
        return { id: msg.id, counts: { ...counts } };
      case 'records':
        return { id: msg.id, counts: { ...counts }, records };
      case 'reset': {
        const out = { id: msg.id, counts: { ...counts } };
        counts = { ok: 0, fail: 0, hang: 0, bare: 0, unparsed: 0, duplicates: 0, lastAt: 0 };
        records = [];
        seen = new Set();
        // Hung requests stay hung: they end when their sender gives up or its process exits.
        return out;
      }
    }
  };

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const addr = server.address();
      resolve({ server, port: typeof addr === 'object' && addr ? addr.port : port, handle });
    });
  });
}

// Run as a forked process: listen, report the port, answer control messages until the parent goes away.
if (process.send && process.argv[1] && /sink\.js$/.test(process.argv[1])) {
  const mode: SinkMode = process.argv[2] === 'bare' ? 'bare' : 'record';
  const sink = await startSink(mode);
  process.on('message', (msg: SinkRequest) => { process.send!(sink.handle(msg)); });
  process.on('disconnect', () => process.exit(0));
  process.send({ ready: true, port: sink.port });
}
