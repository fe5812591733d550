/** The receiver's API: flows, their catch hooks and captures (Test Trigger), runs and replays, secrets. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { pathId } from '../fields.js';
import { ApiError, invalid } from '../errors.js';
import { Fields } from '../fields.js';
import { flattenSteps, type FlowDefinition } from '../../core/flow/definition.js';
import type { StepDef } from '../../receiver/runner.js';
import type { FlowRecord, RunRecord, RunStatus, RunStepRecord } from '../../store/store.js';
import { captureApiView } from '../../receiver/capture-view.js';
import { parseFlow } from '../../receiver/flow-service.js';
import { time } from './deliveries.js';
import { iso } from '../../sender/views.js';

type Q = Record<string, string | undefined>;
type Id = { Params: { id: string } };
const RUN_STATUSES: RunStatus[] = ['queued', 'running', 'retrying', 'succeeded', 'failed', 'stopped'];

export function catchUrl(req: FastifyRequest, key: string): string {
  return `${req.protocol}://${req.headers.host ?? 'localhost'}/hooks/catch/${key}`;
}

export function flowView(f: FlowRecord, req: FastifyRequest) {
  return {
    id: f.id, name: f.name, description: f.description, enabled: f.enabled, catchUrl: catchUrl(req, f.hookKey),
    sampleCaptureId: f.sampleCaptureId, definition: f.definition, createdAt: iso(f.createdAt), updatedAt: iso(f.updatedAt),
  };
}

export function runView(r: RunRecord, steps?: RunStepRecord[]) {
  return {
    id: r.id, flowId: r.flowId, captureId: r.captureId, origin: r.origin, replayOf: r.replayOf, status: r.status, error: r.error,
    createdAt: iso(r.createdAt), startedAt: iso(r.startedAt), finishedAt: iso(r.finishedAt),
    nextAttemptAt: r.status === 'retrying' || r.status === 'queued' ? iso(r.nextAttemptAt) : null,
    ...(steps ? {
      steps: steps.map((s) => ({
        stepId: s.stepId, type: s.stepType, status: s.status, input: s.input, output: s.output, error: s.error,
        attempts: s.attempts, startedAt: iso(s.startedAt), durationMs: s.durationMs,
      })),
    } : {}),
  };
}

function limitOf(q: Q, max: number, def: number): number {
  const v = q.limit;
  if (v === undefined || v === '') return def;
  if (!/^\d{1,6}$/.test(v) || Number(v) < 1) throw invalid(`query parameter limit must be a whole number from 1 to ${max}`);
  return Math.min(Number(v), max);
}
function optId(q: Q, name: string): number | undefined {
  const v = q[name];
  if (v === undefined || v === '') return undefined;
  return pathId(v, name);
}

export function registerFlowRoutes(api: FastifyInstance, ctx: AppContext): void {
  const flows = ctx.flows;
  api.get('/flows', async (req) => ({ flows: (await ctx.store.listFlows()).map((f) => flowView(f, req)) }));
  api.post('/flows', async (req) => ({ flow: flowView(await flows.create(req.body), req) }));
  // Import is create from an exported file: the same document.
  api.post('/flows/import', async (req) => ({ flow: flowView(await flows.create(req.body), req) }));
  api.post('/flows/validate', async (req) => { parseFlow(req.body); return { valid: true }; });
  api.get<Id>('/flows/:id', async (req) => ({ flow: flowView(await flows.get(pathId(req.params.id, 'flow')), req) }));
  api.put<Id>('/flows/:id', async (req) => ({ flow: flowView(await flows.update(pathId(req.params.id, 'flow'), req.body, false), req) }));
  api.patch<Id>('/flows/:id', async (req) => ({ flow: flowView(await flows.update(pathId(req.params.id, 'flow'), req.body, true), req) }));
  api.delete<Id>('/flows/:id', async (req) => { await flows.delete(pathId(req.params.id, 'flow')); return {}; });
  api.post<Id>('/flows/:id/enable', async (req) => ({ flow: flowView(await flows.setEnabled(pathId(req.params.id, 'flow'), true), req) }));
  api.post<Id>('/flows/:id/disable', async (req) => ({ flow: flowView(await flows.setEnabled(pathId(req.params.id, 'flow'), false), req) }));
  api.post<Id>('/flows/:id/rotate-key', async (req) => ({ flow: flowView(await flows.rotateKey(pathId(req.params.id, 'flow')), req) }));
  api.get<Id>('/flows/:id/export', async (req, reply) => {
    const f = await flows.get(pathId(req.params.id, 'flow'));
    void reply.header('content-disposition', `attachment; filename="${f.name.replace(/[^A-Za-z0-9_.-]+/g, '_')}.flow.json"`);
    return f.definition;
  });

  api.get<Id & { Querystring: Q }>('/flows/:id/captures', async (req) => {
    const id = pathId(req.params.id, 'flow');
    await flows.get(id);
    const rows = await ctx.store.listCaptures(id, limitOf(req.query, 100, 100), optId(req.query, 'beforeId'));
    return { captures: rows.map(captureApiView) };
  });
  api.get<{ Params: { id: string; cid: string } }>('/flows/:id/captures/:cid', async (req) => ({
    capture: captureApiView(await flows.capture(pathId(req.params.id, 'flow'), pathId(req.params.cid, 'capture'))),
  }));
  api.post<Id>('/flows/:id/sample', async (req) => ({ flow: flowView(await flows.setSample(pathId(req.params.id, 'flow'), req.body), req) }));
  api.post<{ Params: { id: string; cid: string } }>('/flows/:id/captures/:cid/run', async (req) => {
    const run = await flows.runCapture(pathId(req.params.id, 'flow'), pathId(req.params.cid, 'capture'));
    ctx.runner.wake();
    return { run: runView(run) };
  });

  // Test step: one step of the flow (by id) or a step given in the body, on the sample capture (else the newest; or captureId), with
  // the earlier steps' outputs given; nothing is recorded.
  api.post<Id>('/flows/:id/test-step', async (req) => {
    const flow = await flows.get(pathId(req.params.id, 'flow'));
    const f = new Fields(req.body ?? {}, 'body', ['stepId', 'step', 'captureId', 'steps']);
    const stepId = f.string('stepId', { trim: true });
    if ((stepId === undefined) === !f.has('step')) throw invalid('give either body.stepId (a step of the flow) or body.step (a step definition to try)');
    let step: StepDef;
    if (stepId !== undefined) {
      const all = flattenSteps((flow.definition as FlowDefinition).steps).map((l) => l.step);
      const found = all.find((x) => x.id === stepId);
      if (!found) throw invalid(`body.stepId: flow ${flow.id} has no step "${stepId}"; its steps are ${all.map((x) => x.id).join(', ') || '(none)'}`);
      step = found as StepDef;
    } else {
      const raw = f.raw('step');
      const candidate = raw && typeof raw === 'object' && !Array.isArray(raw) && !('id' in raw) ? { id: 'test', ...raw } : raw;
      try {
        step = parseFlow({ name: flow.name, steps: [candidate] }).steps[0] as StepDef;
      } catch (e) {
        if (e instanceof ApiError) throw new ApiError(e.type, e.message.replace(/the flow has/, 'the step has').replace(/\bsteps\[0\]/g, 'step'));
        throw e;
      }
    }
    const earlier = f.raw('steps') ?? {};
    if (typeof earlier !== 'object' || Array.isArray(earlier)) throw invalid('body.steps must be an object of earlier step ids to their outputs, e.g. {"verify": {"result": "PASS"}}');
    let captureId = f.int('captureId', { min: 1 });
    if (captureId === undefined) {
      // The chosen sample, else the newest capture (as Test Trigger shows them).
      captureId = flow.sampleCaptureId ?? (await ctx.store.listCaptures(flow.id, 1))[0]?.id;
      if (captureId === undefined) {
        throw new ApiError('no_capture', `flow ${flow.id} has no capture to test with: send a request to its catch URL (${catchUrl(req, flow.hookKey)}) or pass captureId`);
      }
    }
    const capture = await flows.capture(flow.id, captureId);
    const r = await ctx.runner.testStep({ id: flow.id, name: flow.name }, capture, step, earlier as Record<string, unknown>);
    return { result: { stepId: step.id, type: step.type, captureId, ...r } };
  });

  const listRuns = async (q: Q, flowId?: number) => {
    if (q.status !== undefined && q.status !== '' && !RUN_STATUSES.includes(q.status as RunStatus)) {
      throw invalid(`query parameter status must be one of ${RUN_STATUSES.join(', ')}`);
    }
    const rows = await ctx.store.listRuns({
      flowId, status: (q.status || undefined) as RunStatus | undefined, since: time(q.since, 'since'), until: time(q.until, 'until'),
      limit: limitOf(q, 1000, 100), beforeId: optId(q, 'beforeId'),
    });
    return { runs: rows.map((r) => runView(r)) };
  };
  api.get<Id & { Querystring: Q }>('/flows/:id/runs', async (req) => {
    const id = pathId(req.params.id, 'flow');
    await flows.get(id);
    return listRuns(req.query, id);
  });
  api.get<{ Querystring: Q }>('/runs', async (req) => listRuns(req.query, optId(req.query, 'flowId')));
  api.get<Id>('/runs/:id', async (req) => {
    const run = await flows.run(pathId(req.params.id, 'run'));
    return { run: runView(run, await ctx.store.listRunSteps(run.id)) };
  });
  api.post<Id>('/runs/:id/replay', async (req) => {
    const run = await flows.replay(pathId(req.params.id, 'run'), req.body);
    ctx.runner.wake();
    return { run: runView(run) };
  });

  api.get('/secrets', async () => ({
    secrets: (await ctx.store.listSecrets()).map((s) => ({ name: s.name, createdAt: iso(s.createdAt), updatedAt: iso(s.updatedAt) })),
  }));
  api.put<{ Params: { name: string } }>('/secrets/:name', async (req) => { await flows.putSecret(req.params.name, req.body); return {}; });
  api.delete<{ Params: { name: string } }>('/secrets/:name', async (req) => { await flows.deleteSecret(req.params.name); return {}; });
}
