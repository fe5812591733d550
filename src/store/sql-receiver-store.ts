/** The receiving side of the Store on Kysely: flows, captures, runs, run steps, secrets. */
import { sql, type Kysely, type Selectable } from 'kysely';
import type { CaptureTable, DB, FlowTable, RunStepTable, RunTable } from './schema.js';
import type {
  CaptureInput, CaptureRecord, CaptureStatus, FlowInput, FlowRecord, ReceiverStore, RunFilter, RunOrigin, RunRecord,
  RunStatus, RunStepInput, RunStepRecord, SecretInfo, StepStatus,
} from './receiver-types.js';

const toFlow = (r: Selectable<FlowTable>): FlowRecord => ({
  id: r.id, name: r.name, description: r.description, enabled: r.enabled === 1, definition: JSON.parse(r.definition),
  hookKey: r.hook_key, sampleCaptureId: r.sample_capture_id, createdAt: r.created_at, updatedAt: r.updated_at,
});

const toCapture = (r: Selectable<CaptureTable>): CaptureRecord => ({
  id: r.id, flowId: r.flow_id, method: r.method, path: r.path, query: r.query, rawHeaders: JSON.parse(r.raw_headers),
  body: Buffer.isBuffer(r.body) ? r.body : Buffer.from(r.body), contentType: r.content_type, remoteAddress: r.remote_address,
  receivedAt: r.received_at, dedupKey: r.dedup_key, status: r.status as CaptureStatus,
});

const toRun = (r: Selectable<RunTable>): RunRecord => ({
  id: r.id, flowId: r.flow_id, captureId: r.capture_id, origin: r.origin as RunOrigin, replayOf: r.replay_of,
  status: r.status as RunStatus, definition: JSON.parse(r.definition), nextAttemptAt: r.next_attempt_at,
  leaseUntil: r.lease_until, error: r.error, createdAt: r.created_at, startedAt: r.started_at, finishedAt: r.finished_at,
  updatedAt: r.updated_at,
});

const toStep = (r: Selectable<RunStepTable>): RunStepRecord => ({
  id: r.id, runId: r.run_id, stepId: r.step_id, stepType: r.step_type, status: r.status as StepStatus,
  input: r.input === null ? null : JSON.parse(r.input), output: r.output === null ? null : JSON.parse(r.output),
  error: r.error, attempts: r.attempts, startedAt: r.started_at, durationMs: r.duration_ms,
});

export abstract class SqlReceiverStore implements ReceiverStore {
  constructor(protected readonly db: Kysely<DB>, protected readonly inTransaction = false) {}

  async createFlow(f: FlowInput, now: number): Promise<FlowRecord> {
    const r = await this.db.insertInto('flows').values({
      name: f.name, description: f.description, enabled: f.enabled ? 1 : 0, definition: JSON.stringify(f.definition),
      hook_key: f.hookKey, sample_capture_id: null, created_at: now, updated_at: now,
    }).returningAll().executeTakeFirstOrThrow();
    return toFlow(r);
  }
  async getFlow(id: number): Promise<FlowRecord | null> {
    const r = await this.db.selectFrom('flows').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toFlow(r) : null;
  }
  async getFlowByName(name: string): Promise<FlowRecord | null> {
    const r = await this.db.selectFrom('flows').selectAll().where('name', '=', name).executeTakeFirst();
    return r ? toFlow(r) : null;
  }
  async getFlowByKey(hookKey: string): Promise<FlowRecord | null> {
    const r = await this.db.selectFrom('flows').selectAll().where('hook_key', '=', hookKey).executeTakeFirst();
    return r ? toFlow(r) : null;
  }
  async listFlows(): Promise<FlowRecord[]> {
    return (await this.db.selectFrom('flows').selectAll().orderBy('id').execute()).map(toFlow);
  }
  async updateFlow(id: number, p: Partial<FlowInput> & { sampleCaptureId?: number | null }, now: number): Promise<FlowRecord | null> {
    const set: Record<string, unknown> = { updated_at: now };
    if (p.name !== undefined) set.name = p.name;
    if (p.description !== undefined) set.description = p.description;
    if (p.enabled !== undefined) set.enabled = p.enabled ? 1 : 0;
    if (p.definition !== undefined) set.definition = JSON.stringify(p.definition);
    if (p.hookKey !== undefined) set.hook_key = p.hookKey;
    if (p.sampleCaptureId !== undefined) set.sample_capture_id = p.sampleCaptureId;
    const r = await this.db.updateTable('flows').set(set as never).where('id', '=', id).returningAll().executeTakeFirst();
    return r ? toFlow(r) : null;
  }
  async deleteFlow(id: number): Promise<boolean> {
    return Number((await this.db.deleteFrom('flows').where('id', '=', id).executeTakeFirst()).numDeletedRows) > 0;
  }

  async insertCapture(c: CaptureInput, run: { definition: unknown } | null, dedupWindowMs: number | null): Promise<{ captureId: number; runId: number | null; status: CaptureStatus }> {
    let status: CaptureStatus = run ? 'queued' : 'off';
    if (run && c.dedupKey !== null && dedupWindowMs !== null) {
      const seen = await this.db.selectFrom('captures').select('id').where('flow_id', '=', c.flowId)
        .where('dedup_key', '=', c.dedupKey).where('received_at', '>', c.receivedAt - dedupWindowMs)
        .where('status', '=', 'queued').limit(1).executeTakeFirst();
      if (seen) status = 'duplicate';
    }
    const r = await this.db.insertInto('captures').values({
      flow_id: c.flowId, method: c.method, path: c.path, query: c.query, raw_headers: JSON.stringify(c.rawHeaders),
      body: c.body, content_type: c.contentType, remote_address: c.remoteAddress, received_at: c.receivedAt,
      dedup_key: c.dedupKey, status,
    }).returning('id').executeTakeFirstOrThrow();
    if (status !== 'queued' || !run) return { captureId: r.id, runId: null, status };
    const runRow = await this.db.insertInto('runs').values({
      flow_id: c.flowId, capture_id: r.id, origin: 'capture', replay_of: null, status: 'queued',
      definition: JSON.stringify(run.definition), next_attempt_at: c.receivedAt, lease_until: null, error: null,
      created_at: c.receivedAt, started_at: null, finished_at: null, updated_at: c.receivedAt,
    }).returning('id').executeTakeFirstOrThrow();
    return { captureId: r.id, runId: runRow.id, status };
  }
  async getCapture(id: number): Promise<CaptureRecord | null> {
    const r = await this.db.selectFrom('captures').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toCapture(r) : null;
  }
  async listCaptures(flowId: number, limit: number, beforeId?: number): Promise<CaptureRecord[]> {
    let q = this.db.selectFrom('captures').selectAll().where('flow_id', '=', flowId);
    if (beforeId !== undefined) q = q.where('id', '<', beforeId);
    return (await q.orderBy('id', 'desc').limit(limit).execute()).map(toCapture);
  }

  async createRun(r: { flowId: number; captureId: number; origin: RunOrigin; replayOf: number | null; definition: unknown }, now: number, steps: RunStepInput[] = []): Promise<RunRecord> {
    const row = await this.db.insertInto('runs').values({
      flow_id: r.flowId, capture_id: r.captureId, origin: r.origin, replay_of: r.replayOf, status: 'queued',
      definition: JSON.stringify(r.definition), next_attempt_at: now, lease_until: null, error: null, created_at: now,
      started_at: null, finished_at: null, updated_at: now,
    }).returningAll().executeTakeFirstOrThrow();
    for (const s of steps) await this.saveRunStep({ ...s, runId: row.id });
    return toRun(row);
  }
  async claimRuns(now: number, limit: number, leaseUntil: number): Promise<RunRecord[]> {
    const due = await sql<{ id: number }>`
      SELECT id FROM (
        SELECT id, next_attempt_at AS at FROM runs INDEXED BY runs_queued
          WHERE status IN ('queued', 'retrying') AND next_attempt_at <= ${now} ORDER BY next_attempt_at, id LIMIT ${limit})
      UNION ALL
      SELECT id FROM (
        SELECT id, lease_until AS at FROM runs INDEXED BY runs_leased
          WHERE status = 'running' AND lease_until <= ${now} ORDER BY lease_until, id LIMIT ${limit})
      LIMIT ${limit}`.execute(this.db);
    if (due.rows.length === 0) return [];
    const rows = await this.db.updateTable('runs')
      .set({ status: 'running', lease_until: leaseUntil, updated_at: now, started_at: sql`COALESCE(started_at, ${now})` as never })
      .where('id', 'in', due.rows.map((r) => r.id))
      // Still due: a run may have finished (or been set to retry later) between the SELECT and this UPDATE.
      .where(sql<boolean>`((status IN ('queued', 'retrying') AND next_attempt_at <= ${now}) OR (status = 'running' AND lease_until <= ${now}))`)
      .returningAll().execute();
    return rows.map(toRun).sort((a, b) => a.id - b.id);
  }
  async getRun(id: number): Promise<RunRecord | null> {
    const r = await this.db.selectFrom('runs').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toRun(r) : null;
  }
  async listRuns(f: RunFilter): Promise<RunRecord[]> {
    let q = this.db.selectFrom('runs').selectAll();
    if (f.flowId !== undefined) q = q.where('flow_id', '=', f.flowId);
    if (f.status !== undefined) q = q.where('status', '=', f.status);
    if (f.since !== undefined) q = q.where('created_at', '>=', f.since);
    if (f.until !== undefined) q = q.where('created_at', '<', f.until);
    if (f.beforeId !== undefined) q = q.where('id', '<', f.beforeId);
    return (await q.orderBy('id', 'desc').limit(f.limit).execute()).map(toRun);
  }
  async listRunSteps(runId: number): Promise<RunStepRecord[]> {
    return (await this.db.selectFrom('run_steps').selectAll().where('run_id', '=', runId).orderBy('id').execute()).map(toStep);
  }
  async saveRunStep(s: RunStepInput): Promise<void> {
    const row = {
      run_id: s.runId, step_id: s.stepId, step_type: s.stepType, status: s.status,
      input: s.input === undefined ? null : JSON.stringify(s.input), output: s.output === undefined ? null : JSON.stringify(s.output),
      error: s.error, attempts: s.attempts, started_at: s.startedAt, duration_ms: s.durationMs,
    };
    await this.db.insertInto('run_steps').values(row)
      .onConflict((oc) => oc.columns(['run_id', 'step_id']).doUpdateSet({
        status: row.status, input: row.input, output: row.output, error: row.error, attempts: row.attempts,
        started_at: row.started_at, duration_ms: row.duration_ms,
      })).execute();
  }
  async finishRun(id: number, status: RunStatus, error: string | null, now: number, nextAttemptAt?: number): Promise<void> {
    const done = status === 'succeeded' || status === 'failed' || status === 'stopped';
    await this.db.updateTable('runs').set({
      status, error, lease_until: null, updated_at: now, ...(done ? { finished_at: now } : {}),
      ...(nextAttemptAt !== undefined ? { next_attempt_at: nextAttemptAt } : {}),
    }).where('id', '=', id).execute();
  }
  async releaseRuns(ids: number[], now: number): Promise<void> {
    if (ids.length === 0) return;
    await this.db.updateTable('runs').set({ status: 'queued', lease_until: null, next_attempt_at: now, updated_at: now })
      .where('id', 'in', ids).where('status', '=', 'running').execute();
  }
  async nextRunDueAt(): Promise<number | null> {
    const r = await sql<{ t: number | null }>`
      SELECT MIN(t) AS t FROM (
        SELECT MIN(next_attempt_at) AS t FROM runs INDEXED BY runs_queued WHERE status IN ('queued', 'retrying')
        UNION ALL
        SELECT MIN(lease_until) AS t FROM runs INDEXED BY runs_leased WHERE status = 'running')`.execute(this.db);
    const t = r.rows[0]?.t;
    return t === null || t === undefined ? null : Number(t);
  }

  async putSecret(name: string, value: string, now: number): Promise<void> {
    await this.db.insertInto('secrets').values({ name, value, created_at: now, updated_at: now })
      .onConflict((oc) => oc.column('name').doUpdateSet({ value, updated_at: now })).execute();
  }
  async listSecrets(): Promise<SecretInfo[]> {
    const rows = await this.db.selectFrom('secrets').selectAll().orderBy('name').execute();
    return rows.map((r) => ({ name: r.name, createdAt: r.created_at, updatedAt: r.updated_at, preview: r.value.length > 8 ? `${r.value.slice(0, 3)}…` : '…' }));
  }
  async deleteSecret(name: string): Promise<boolean> {
    return Number((await this.db.deleteFrom('secrets').where('name', '=', name).executeTakeFirst()).numDeletedRows) > 0;
  }
  async secretValues(): Promise<Map<string, string>> {
    const rows = await this.db.selectFrom('secrets').select(['name', 'value']).execute();
    return new Map(rows.map((r) => [r.name, r.value]));
  }
}
