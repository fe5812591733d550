/** Producers report experiments, state changes and task logs here; these facts fire the triggers. */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { pathId } from '../fields.js';
import { experimentView } from '../../sender/views.js';
import { invalid } from '../errors.js';

type IdParams = { Params: { id: string } };

function pageParam(v: unknown, name: string, def: number, max: number): number {
  if (v === undefined || v === '') return def;
  if (typeof v !== 'string' || !/^\d+$/.test(v) || Number(v) > max) throw invalid(`query parameter ${name} must be a whole number from 0 to ${max}`);
  return Number(v);
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

  api.post<IdParams>('/experiments/:id/state', async (req) => {
    const { experiment, events } = await ctx.experiments.setState(pathId(req.params.id, 'experiment'), req.body);
    return { experiment: experimentView(experiment), eventsFired: events };
  });

  api.post('/task/logs', async (req) => {
    await ctx.experiments.postLogs(req.body);
    return {};
  });
}
