/** Producers report experiments, state changes and task logs here; these facts fire the triggers. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { AppContext } from '../context.js';
import { pathId } from '../fields.js';
import { experimentView } from '../../sender/views.js';
import { invalid } from '../errors.js';
import { sendFailure, sendJson } from '../raw.js';

type IdParams = { Params: { id: string } };

function pageParam(v: unknown, name: string, def: number, max: number): number {
  if (v === undefined || v === '') return def;
  if (typeof v !== 'string' || !/^\d+$/.test(v) || Number(v) > max) throw invalid(`query parameter ${name} must be a whole number from 0 to ${max}`);
  return Number(v);
}

/** POST /api/v1/experiments/{id}/state: the state change and the answer (the route and its fast path share it). */
async function stateChanged(ctx: AppContext, id: number, body: unknown) {
  const { experiment, events } = await ctx.experiments.setState(id, body);
  return { experiment: experimentView(experiment), eventsFired: events };
}

const STATE_PATH = /^\/api\/v1\/experiments\/(\d{1,10})\/state$/;

/**
 * The producers' hottest request, a state change (`POST /api/v1/experiments/{id}/state`, a JSON body with a
 * Content-Length), read and answered on Node's request directly, as the catch hooks' fast path is: no Fastify
 * routing, request and reply objects or hooks on the main thread that bounds the sender (a few per cent of a state
 * change with one webhook, measured in a noisy phase; docs/benchmarks.md).
 * It does what the route does, in the same order: the token first (the API's onRequest hook), then the body as
 * the API's JSON parser reads it (`parseJson`), then the state change; errors are answered as the app's error
 * handler answers them. Anything else (returns false) goes to Fastify: another path or method, a query string, no
 * Content-Type, chunked or empty or over-limit bodies, and every request once the server is closing (Fastify
 * answers those 503).
 */
export function stateFastPath(ctx: AppContext, log: Logger, o: { parseJson: (text: string) => unknown; closing: () => boolean }): (req: IncomingMessage, res: ServerResponse) => boolean {
  const limit = ctx.config.limits.api_body_bytes;
  return (req, res) => {
    if (req.method !== 'POST') return false;
    const url = req.url;
    const m = url === undefined ? null : STATE_PATH.exec(url);
    if (!m || o.closing()) return false;
    const h = req.headers;
    if (h['transfer-encoding'] !== undefined || h['content-type'] === undefined) return false;
    const cl = h['content-length'];
    if (cl === undefined || !/^\d{1,15}$/.test(cl)) return false;
    const length = Number(cl);
    if (length === 0 || length > limit) return false;
    const where = { url: url!, method: 'POST' };
    // The token is checked while the body arrives; its error, if any, is the answer (as Fastify's onRequest hook).
    const caller = ctx.auth.authenticate(h.authorization);
    caller.catch(() => undefined);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => res.destroy());
    req.on('end', () => {
      void (async () => {
        try {
          await caller;
          const text = (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString('utf8');
          const body = o.parseJson(text);
          sendJson(res, 200, await stateChanged(ctx, pathId(m[1], 'experiment'), body));
        } catch (e) {
          sendFailure(res, e, log, where);
        }
      })();
    });
    return true;
  };
}

export function registerExperimentRoutes(api: FastifyInstance, ctx: AppContext): void {
  api.post('/experiments', async (req) => ({ experiment: experimentView(await ctx.experiments.create(req.body)) }));

  api.get<{ Querystring: { limit?: string; offset?: string } }>('/experiments', async (req) => {
    const limit = pageParam(req.query.limit, 'limit', 100, 1000);
    const offset = pageParam(req.query.offset, 'offset', 0, 1e9);
    const { experiments, total } = await ctx.experiments.list(limit, offset);
    return {
      experiments: experiments.map(experimentView),
      pagination: { offset, limit, startIndex: offset, endIndex: offset + experiments.length, total },
    };
  });

  api.get<IdParams>('/experiments/:id', async (req) => ({
    experiment: experimentView(await ctx.experiments.get(pathId(req.params.id, 'experiment'))),
  }));

  api.post<IdParams>('/experiments/:id/state', async (req) => stateChanged(ctx, pathId(req.params.id, 'experiment'), req.body));

  api.post('/task/logs', async (req) => {
    await ctx.experiments.postLogs(req.body);
    return {};
  });
}
