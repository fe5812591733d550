/** Flows: create, change, turn on and off, rotate the catch URL, export and import; secrets; runs and replays. */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../core/types.js';
import { flattenSteps, parseFlowDefinition, type ActionStep, type FlowDefinition, type FlowProblem } from '../core/flow/definition.js';
import { ApiError, invalid } from '../http/errors.js';
import { Fields } from '../http/fields.js';
import type { FlowRecord, RunRecord, Store } from '../store/store.js';
import { stepRegistry, validateStepConfig } from './steps/registry.js';
import { SECRET_NAME } from './steps/secrets.js';


export function newHookKey(): string {
  return randomBytes(24).toString('base64url'); // 192 bits
}

/** Static check of an action step: a known type, and a config that is valid wherever it holds no template. */
export function checkActionStep(step: ActionStep): FlowProblem[] {
  if (!stepRegistry[step.type]) {
    return [{ path: 'type', message: `unknown step type "${step.type}"; known types: ${['filter', 'paths', ...Object.keys(stepRegistry)].join(', ')}` }];
  }
  const cfg = step.config ?? {};
  // Templates are only known at run time: problems at fields that hold one are checked then.
  const r = validateStepConfig(step.type, cfg);
  if (r.ok) return [];
  // Problems read `config.to[0]: must be …` (see formatPath in the registry).
  return r.problems.flatMap((p) => {
    const at = p.indexOf(':');
    const path = p.slice(0, at);
    if (/\{\{/.test(String(valueAt(cfg, path.replace(/^config\.?/, ''))))) return [];
    return [{ path, message: p.slice(at + 1).trim() }];
  });
}

function valueAt(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const seg of path.split(/[.[\]]+/).filter(Boolean)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

export function parseFlow(body: unknown): FlowDefinition {
  const r = parseFlowDefinition(body, { checkAction: checkActionStep });
  if (!r.ok) throw new ApiError('invalid_flow', `the flow has ${r.problems.length} problem${r.problems.length > 1 ? 's' : ''}: ${r.problems.join('; ')}`);
  return r.definition;
}

export class FlowService {
  constructor(private readonly store: Store, private readonly clock: Clock, private readonly onChange: () => void) {}

  async get(id: number): Promise<FlowRecord> {
    const f = await this.store.getFlow(id);
    if (!f) throw new ApiError('flow_not_found', `flow ${id} not found; list flows with GET /api/v1/flows`);
    return f;
  }

  async create(body: unknown): Promise<FlowRecord> {
    const def = parseFlow(body);
    const created = await this.store.transaction(async (tx) => {
      if (await tx.getFlowByName(def.name)) throw new ApiError('flow_name_taken', `a flow named "${def.name}" already exists; choose another name`);
      return tx.createFlow({ name: def.name, description: def.description ?? '', enabled: def.enabled, definition: def, hookKey: newHookKey() }, this.clock.now());
    });
    this.onChange();
    return created;
  }

  /** Replaces the definition (PUT), or merges the given top-level fields into it (PATCH). */
  async update(id: number, body: unknown, merge: boolean): Promise<FlowRecord> {
    const updated = await this.store.transaction(async (tx) => {
      const f = await new FlowService(tx, this.clock, this.onChange).get(id);
      let next = body;
      if (merge) {
        new Fields(body, 'flow', ['name', 'description', 'enabled', 'steps', 'response', 'dedup', 'rateLimit']);
        next = { ...(f.definition as object), ...(body as object) };
      }
      const def = parseFlow(next);
      const other = await tx.getFlowByName(def.name);
      if (other && other.id !== id) throw new ApiError('flow_name_taken', `a flow named "${def.name}" already exists; choose another name`);
      return (await tx.updateFlow(id, { name: def.name, description: def.description ?? '', enabled: def.enabled, definition: def }, this.clock.now()))!;
    });
    this.onChange();
    return updated;
  }

  async setEnabled(id: number, enabled: boolean): Promise<FlowRecord> {
    const f = await this.get(id);
    const def = { ...(f.definition as FlowDefinition), enabled };
    const r = (await this.store.updateFlow(id, { enabled, definition: def }, this.clock.now()))!;
    this.onChange();
    return r;
  }

  async rotateKey(id: number): Promise<FlowRecord> {
    await this.get(id);
    const r = (await this.store.updateFlow(id, { hookKey: newHookKey() }, this.clock.now()))!;
    this.onChange();
    return r;
  }

  async delete(id: number): Promise<void> {
    if (!(await this.store.deleteFlow(id))) throw new ApiError('flow_not_found', `flow ${id} not found; list flows with GET /api/v1/flows`);
    this.onChange();
  }

  async capture(flowId: number, captureId: number) {
    const c = await this.store.getCapture(captureId);
    if (!c || c.flowId !== flowId) throw new ApiError('capture_not_found', `flow ${flowId} has no capture ${captureId}; list them with GET /api/v1/flows/${flowId}/captures`);
    return c;
  }

  async setSample(flowId: number, body: unknown): Promise<FlowRecord> {
    const f = new Fields(body, 'body', ['captureId']);
    const captureId = f.int('captureId', { required: true, min: 1 })!;
    await this.get(flowId);
    await this.capture(flowId, captureId);
    return (await this.store.updateFlow(flowId, { sampleCaptureId: captureId }, this.clock.now()))!;
  }

  /** Runs the flow's current definition on a stored capture (Test Trigger's "replay into the flow"). */
  async runCapture(flowId: number, captureId: number): Promise<RunRecord> {
    const flow = await this.get(flowId);
    await this.capture(flowId, captureId);
    return this.store.createRun({ flowId, captureId, origin: 'sample', replayOf: null, definition: flow.definition }, this.clock.now());
  }

  async run(id: number): Promise<RunRecord> {
    const r = await this.store.getRun(id);
    if (!r) throw new ApiError('run_not_found', `run ${id} not found; list runs with GET /api/v1/runs`);
    return r;
  }

  /**
   * Replays a run with the flow's current definition: from the start, or from a step — the steps before it keep
   * their recorded outputs (so a verified signature is not verified again against a key that has since rotated).
   */
  async replay(id: number, body: unknown): Promise<RunRecord> {
    const f = new Fields(body ?? {}, 'body', ['fromStep', 'fromFailed']);
    let fromStep = f.string('fromStep');
    const fromFailed = f.bool('fromFailed') ?? false;
    if (fromFailed && fromStep !== undefined) throw invalid('give fromStep or fromFailed, not both');
    const run = await this.run(id);
    const flow = await this.get(run.flowId);
    const def = flow.definition as FlowDefinition;
    const order = flattenSteps(def.steps).map((l) => l.step.id);
    const recorded = await this.store.listRunSteps(id);
    if (fromFailed) {
      // The step that ended the run: failed for good, or still waiting for its next automatic attempt.
      const failed = recorded.find((s) => s.status === 'failed' || s.status === 'retrying');
      if (!failed) throw new ApiError('no_failed_step', `run ${id} has no failed step (it is ${run.status}); replay it from the start, or from a step with fromStep`);
      fromStep = failed.stepId;
    }
    let keep: string[] = [];
    if (fromStep !== undefined) {
      const at = order.indexOf(fromStep);
      if (at < 0) throw invalid(`fromStep: flow ${flow.id} has no step "${fromStep}"; its steps are ${order.join(', ')}`);
      keep = order.slice(0, at);
    }
    const steps = recorded.filter((s) => keep.includes(s.stepId) && s.status === 'succeeded');
    return this.store.transaction((tx) => tx.createRun(
      { flowId: flow.id, captureId: run.captureId, origin: 'replay', replayOf: run.id, definition: def }, this.clock.now(),
      steps.map((s) => ({ ...s, runId: 0 })),
    ));
  }

  async putSecret(name: string, body: unknown): Promise<void> {
    if (!SECRET_NAME.test(name)) throw invalid(`secret name "${name}" must start with a letter and hold only letters, digits and _ (at most 64)`);
    const f = new Fields(body, 'secret', ['value']);
    const value = f.string('value', { required: true, max: 64 * 1024 })!;
    if (value === '') throw invalid('secret.value cannot be empty');
    await this.store.putSecret(name, value, this.clock.now());
    this.onChange();
  }

  async deleteSecret(name: string): Promise<void> {
    if (!(await this.store.deleteSecret(name))) throw new ApiError('secret_not_found', `no secret named "${name}"; list them with GET /api/v1/secrets`);
    this.onChange();
  }
}
