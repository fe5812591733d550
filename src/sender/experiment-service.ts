/** Experiments, task logs and custom alerts reported by producers: the facts that fire triggers. */
import { ApiError, invalid } from '../http/errors.js';
import { Fields, isObject, typeName } from '../http/fields.js';
import { LOG_LEVELS, TERMINAL_STATES, type Clock, type LogLevel, type WebhookIntegrations } from '../core/types.js';
import type { ExperimentRecord, Store } from '../store/store.js';
import type { Transactor } from '../store/group-commit.js';
import { EventSource } from './event-source.js';
import type { DeliveryEngine, Handoff } from '../delivery/engine.js';
import { parseExperimentState } from './webhook-input.js';

const EXPERIMENT_FIELDS = ['name', 'workspace', 'project', 'resourcePool', 'slotsPerTrial', 'integrations', 'startTime'] as const;
const LOG_FIELDS = [
  'id', 'taskId', 'allocationId', 'agentId', 'containerId', 'rankId', 'timestamp', 'level', 'log', 'source', 'stdtype',
  'experimentId', 'trialId', 'taskType', 'workspaceId',
] as const;
export const MAX_LOGS_PER_REQUEST = 5000;
const DELETION_STATES = new Set(['DELETING', 'DELETED', 'DELETE_FAILED', 'PARTIALLY_DELETED']);
const LEVEL_NUMBERS: Record<number, LogLevel> = { 0: 'UNSPECIFIED', 1: 'TRACE', 2: 'DEBUG', 3: 'INFO', 4: 'WARNING', 5: 'ERROR', 6: 'CRITICAL' };

/** `integrations` of an experiment config (expconf `webhooks.json`: webhook_id, webhook_name, exclude; nothing else). */
export function parseIntegrations(v: unknown): WebhookIntegrations {
  const none: WebhookIntegrations = { webhook_id: null, webhook_name: null, exclude: false };
  if (v === undefined || v === null) return none;
  const outer = new Fields(v, 'integrations', ['webhooks']);
  const inner = outer.raw('webhooks');
  if (inner === undefined) return none;
  const f = new Fields(inner, 'integrations.webhooks', ['webhookId', 'webhookName', 'exclude']);
  const ids = f.raw('webhookId');
  const names = f.raw('webhookName');
  if (ids !== undefined && (!Array.isArray(ids) || !ids.every((x) => Number.isInteger(x) && x > 0 && x <= 2147483647))) {
    throw invalid(`integrations.webhooks.webhook_id must be an array of webhook ids (positive whole numbers), got ${JSON.stringify(ids)}`);
  }
  if (names !== undefined && (!Array.isArray(names) || !names.every((x) => typeof x === 'string'))) {
    throw invalid(`integrations.webhooks.webhook_name must be an array of webhook names (strings), got ${JSON.stringify(names)}`);
  }
  return { webhook_id: (ids as number[] | undefined) ?? null, webhook_name: (names as string[] | undefined) ?? null, exclude: f.bool('exclude') ?? false };
}

export class ExperimentService {
  /**
   * `writes` runs the writes of reported facts: the store, or a GroupCommit in front of it. `engine` is woken for
   * the events they fire; when it runs in this thread, it takes those it has room for straight from the writes
   * (Handoff) and is woken only for the rest.
   */
  constructor(
    private readonly store: Store, private readonly clock: Clock, private readonly events: EventSource,
    private readonly writes: Transactor = store, private readonly engine?: Pick<DeliveryEngine, 'handoff' | 'wake'>,
  ) {}

  /** A write that may fire events: the engine's handoff is committed with it, or aborted when it fails. */
  private async firing<T extends { events: number }>(fn: (tx: Store, h: Handoff | null) => Promise<T>): Promise<T> {
    const h = this.engine?.handoff?.() ?? null;
    let v: T;
    try {
      v = await this.writes.transaction((tx) => fn(tx, h));
    } catch (e) {
      h?.abort();
      throw e;
    }
    if (h) h.commit();
    else if (v.events > 0) this.engine?.wake();
    return v;
  }

  async get(id: number, tx: Store = this.store): Promise<ExperimentRecord> {
    const e = await tx.getExperiment(id);
    if (!e) throw new ApiError('experiment_not_found', `experiment ${id} not found; create one with POST /api/v1/experiments`);
    return e;
  }

  list(limit: number, offset: number) {
    return this.store.listExperiments({ limit, offset });
  }

  async create(body: unknown): Promise<ExperimentRecord> {
    const f = new Fields(body, 'experiment', EXPERIMENT_FIELDS);
    const name = f.string('name', { required: true, max: 255, trim: true })!;
    if (name === '') throw invalid('experiment.name cannot be empty');
    const workspace = f.string('workspace', { max: 255, trim: true }) ?? '';
    const project = f.string('project', { max: 255, trim: true }) ?? '';
    const resourcePool = f.string('resourcePool', { max: 255 }) ?? 'default';
    const slotsPerTrial = f.int('slotsPerTrial', { min: 0, max: 1_000_000 }) ?? 1;
    const integrations = parseIntegrations(f.raw('integrations'));
    const startRaw = f.string('startTime');
    const now = this.clock.now();
    let startTime = now;
    if (startRaw !== undefined) {
      startTime = Date.parse(startRaw);
      if (!Number.isFinite(startTime) || !/^\d{4}-\d\d-\d\dT/.test(startRaw)) {
        throw invalid(`experiment.startTime must be an RFC 3339 time such as 2026-01-31T12:00:00Z, got "${startRaw}"`);
      }
      if (startTime > now + 60_000) throw invalid('experiment.startTime is in the future');
      if (startTime < Date.UTC(2000, 0, 1)) throw invalid(`experiment.startTime must be after 2000-01-01, got "${startRaw}"`);
    }
    return this.writes.transaction(async (tx) => {
      let workspaceId = 1;
      if (workspace !== '') {
        const ws = await tx.getWorkspaceByName(workspace);
        if (!ws) {
          throw new ApiError('workspace_not_found', `workspace "${workspace}" not found; create it first (POST /api/v1/workspaces or: switchyard workspaces create "${workspace}"), or leave workspace empty for Uncategorized`);
        }
        workspaceId = ws.id;
      }
      const projectId = await tx.ensureProject(workspaceId, project === '' ? 'Uncategorized' : project, now);
      return tx.createExperiment({
        name, state: 'ACTIVE', workspaceId, projectId, workspaceName: workspace, projectName: project, resourcePool,
        slotsPerTrial, integrations, startTime,
      }, now);
    });
  }

  /**
   * Moves an experiment to a new state and fires its EXPERIMENT_STATE_CHANGE triggers, in one transaction.
   * The same state again is a no-op (no event); an ended experiment may only move on to deletion states.
   */
  async setState(id: number, body: unknown): Promise<{ experiment: ExperimentRecord; events: number }> {
    const f = new Fields(body, 'body', ['state']);
    const raw = f.raw('state');
    if (raw === undefined) throw invalid('state is required, e.g. {"state": "COMPLETED"}');
    const state = parseExperimentState(raw, 'state');
    return this.firing(async (tx, h) => {
      const e = await this.get(id, tx);
      if (e.state === state) return { experiment: e, events: 0 };
      const ended = TERMINAL_STATES.has(e.state) || DELETION_STATES.has(e.state);
      if (ended && !DELETION_STATES.has(state)) {
        throw new ApiError('invalid_transition', `experiment ${id} has ended (${e.state}); it can only move to ${[...DELETION_STATES].join(', ')}`);
      }
      const now = this.clock.now();
      const endTime = e.endTime ?? (TERMINAL_STATES.has(state) ? now : null);
      const next: ExperimentRecord = { ...e, state, endTime, updatedAt: now };
      const events = await this.events.experimentStateChanged(tx, next, h);
      // One write of the row: the new state and the events it fired (same transaction as the events themselves).
      await tx.setExperimentState(id, state, endTime, now, events);
      return { experiment: { ...next, eventsFired: e.eventsFired + events }, events };
    });
  }

  /** Determined's PostTaskLogs: `{"logs": [TaskLog…]}`; fires TASK_LOG triggers. */
  async postLogs(body: unknown): Promise<{ events: number }> {
    const f = new Fields(body, 'body', ['logs']);
    const logs = f.raw('logs');
    if (!Array.isArray(logs)) throw invalid(`logs must be an array of task logs, got ${typeName(logs)}`);
    if (logs.length > MAX_LOGS_PER_REQUEST) throw invalid(`at most ${MAX_LOGS_PER_REQUEST} logs per request, got ${logs.length}: send them in smaller batches`);
    interface Line { taskId: string; agentId: string; log: string; experimentId?: number; trialId?: number; taskType?: string; workspaceId?: number }
    const parsed: Line[] = logs.map((l, i) => {
      const lf = new Fields(l, `logs[${i}]`, LOG_FIELDS);
      const taskId = lf.string('taskId', { required: true, max: 255 })!;
      if (taskId === '') throw invalid(`logs[${i}].taskId cannot be empty`);
      const agentId = lf.string('agentId', { max: 255 });
      if (agentId === undefined) throw invalid(`logs[${i}].agentId is required (the node that produced the log)`);
      const log = lf.string('log', { required: true, max: 1024 * 1024 })!;
      const taskType = lf.string('taskType', { max: 64 });
      return {
        taskId, agentId, log, experimentId: lf.int('experimentId', { min: 1 }), trialId: lf.int('trialId', { min: 1 }),
        taskType: taskType?.toUpperCase(), workspaceId: lf.int('workspaceId', { min: 1 }),
      };
    });
    return this.firing(async (tx, h) => {
      const byTask = new Map<string, Line[]>();
      for (const l of parsed) byTask.set(l.taskId, [...(byTask.get(l.taskId) ?? []), l]);
      let events = 0;
      for (const [taskId, lines] of byTask) {
        const first = lines[0]!;
        let task = await tx.getTask(taskId);
        if (!task) {
          const exp = first.experimentId !== undefined ? await this.get(first.experimentId, tx) : null;
          if (!exp && first.workspaceId !== undefined && !(await tx.getWorkspace(first.workspaceId))) {
            throw new ApiError('workspace_not_found', `logs for task ${taskId}: workspace ${first.workspaceId} not found`);
          }
          task = {
            taskId, taskType: exp ? 'TRIAL' : (first.taskType ?? 'COMMAND'), experimentId: exp?.id ?? null,
            trialId: first.trialId ?? null, workspaceId: exp?.workspaceId ?? first.workspaceId ?? null, createdAt: this.clock.now(),
          };
          await tx.insertTask(task);
        }
        const exp = task.experimentId !== null ? await tx.getExperiment(task.experimentId) : null;
        // Lines of one task may come from several agents: scan per agent so node_name is the reporter's.
        const byAgent = new Map<string, string[]>();
        for (const l of lines) byAgent.set(l.agentId, [...(byAgent.get(l.agentId) ?? []), l.log]);
        for (const [agentId, logLines] of byAgent) {
          events += await this.events.taskLogs(tx, {
            taskId, taskType: task.taskType, nodeName: agentId, experimentId: task.experimentId, trialId: task.trialId,
          }, task.workspaceId, exp, logLines, h);
        }
      }
      return { events };
    });
  }

  /** Determined's PostWebhookEventData (what `core_context.alert()` sends). */
  async customAlert(body: unknown): Promise<{ events: number }> {
    const f = new Fields(body, 'body', ['data', 'experimentId', 'trialId']);
    const data = f.raw('data');
    if (!isObject(data)) throw invalid(`data is required: {"title": …, "description": …, "level": "LOG_LEVEL_INFO"}, got ${typeName(data)}`);
    const df = new Fields(data, 'data', ['level', 'title', 'description']);
    const level = df.enumOf('level', 'LOG_LEVEL_', LOG_LEVELS, LEVEL_NUMBERS) ?? 'UNSPECIFIED';
    const title = df.string('title', { max: 10_000 }) ?? '';
    const description = df.string('description', { max: 100_000 }) ?? '';
    const experimentId = f.int('experimentId', { min: 1 });
    if (experimentId === undefined) throw invalid('experimentId is required: the experiment whose webhooks should fire');
    const trialId = f.int('trialId', { min: 0 }) ?? 0;
    return this.firing(async (tx, h) => {
      const e = await this.get(experimentId, tx);
      const events = await this.events.customAlert(tx, e, trialId > 0 ? trialId : null, { title, description, level }, h);
      if (events > 0) await tx.countExperimentEvents(experimentId, events);
      return { events };
    });
  }
}
