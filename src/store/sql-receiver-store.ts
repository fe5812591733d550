/** The receiving side of the Store on Kysely: flows, captures, runs, run steps, secrets. */
import { CompiledQuery, sql, type Kysely, type Selectable } from 'kysely';
import type { CaptureTable, DB, FlowTable, RunStepTable, RunTable } from './schema.js';
import type {
  CaptureInput, CaptureRecord, CaptureStatus, CaptureSweep, FlowInput, FlowRecord, ReceiverStore, RunFilter, RunOrigin, RunRecord,
  RunStatus, RunStepInput, RunStepRecord, SecretInfo, StepStatus, SweepBatch,
} from './receiver-types.js';
import { definitionText, parseDefinition } from './run-definition.js';

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
  status: r.status as RunStatus, definition: parseDefinition(r.definition), nextAttemptAt: r.next_attempt_at,
  leaseUntil: r.lease_until, error: r.error, createdAt: r.created_at, startedAt: r.started_at, finishedAt: r.finished_at,
  updatedAt: r.updated_at,
});

const toStep = (r: Selectable<RunStepTable>): RunStepRecord => ({
  id: r.id, runId: r.run_id, stepId: r.step_id, stepType: r.step_type, status: r.status as StepStatus,
  input: r.input === null ? null : JSON.parse(r.input), output: r.output === null ? null : JSON.parse(r.output),
  error: r.error, attempts: r.attempts, startedAt: r.started_at, durationMs: r.duration_ms,
});

/** Runs one statement straight on the connection (better-sqlite3), without Kysely; rows for a statement that has them. */
export type DirectExec = (text: string, params: readonly unknown[]) => unknown[];

export abstract class SqlReceiverStore implements ReceiverStore {
  constructor(
    protected readonly db: Kysely<DB>, protected readonly inTransaction = false, protected readonly direct: DirectExec | null = null,
  ) {}

  /**
   * Hot paths (every capture, run and event) run fixed SQL without Kysely's query builder, which costs more than
   * running the statement (about 23 µs against 10 µs here). Portable SQL with `?` placeholders. Inside a
   * transaction, the statement goes to the driver directly: the transaction holds the connection (Kysely's mutex
   * keeps everyone else waiting), and Kysely's executor would add ~2.7 µs to every statement, more than most of ours
   * take to run.
   */
  protected async raw<R>(text: string, params: readonly unknown[]): Promise<R[]> {
    if (this.inTransaction && this.direct) return this.direct(text, params) as R[];
    return (await this.db.executeQuery(CompiledQuery.raw(text, params as unknown[]))).rows as R[];
  }

  async createFlow(f: FlowInput, now: number): Promise<FlowRecord> {
    const r = await this.db.insertInto('flows').values({
      name: f.name, description: f.description, enabled: f.enabled ? 1 : 0, definition: JSON.stringify(f.definition),
      hook_key: f.hookKey, sample_capture_id: null, created_at: now, updated_at: now,
    }).returningAll().executeTakeFirstOrThrow();
    return toFlow(r);
  }
  async getFlow(id: number): Promise<FlowRecord | null> {
    const [r] = await this.raw<Selectable<FlowTable>>('SELECT * FROM flows WHERE id = ?', [id]);
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
    const [r] = await this.raw<{ id: number }>(
      `INSERT INTO captures (flow_id, method, path, query, raw_headers, body, content_type, remote_address, received_at, dedup_key, status)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      [c.flowId, c.method, c.path, c.query, JSON.stringify(c.rawHeaders), c.body, c.contentType, c.remoteAddress, c.receivedAt, c.dedupKey, status]);
    if (status !== 'queued' || !run) return { captureId: r!.id, runId: null, status };
    const [runRow] = await this.raw<{ id: number }>(
      `INSERT INTO runs (flow_id, capture_id, origin, replay_of, status, definition, next_attempt_at, lease_until, error, created_at, started_at, finished_at, updated_at)
       VALUES (?, ?, 'capture', NULL, 'queued', ?, ?, NULL, NULL, ?, NULL, NULL, ?) RETURNING id`,
      [c.flowId, r!.id, definitionText(run.definition), c.receivedAt, c.receivedAt, c.receivedAt]);
    return { captureId: r!.id, runId: runRow!.id, status };
  }
  async insertCaptures(items: { c: CaptureInput; run: { definition: unknown; leaseUntil?: number | null } | null }[]): Promise<{ captureId: number; runId: number | null; status: CaptureStatus }[]> {
    const out: { captureId: number; runId: number | null; status: CaptureStatus }[] = [];
    // At most 64 rows per statement: few distinct statement texts to prepare and cache.
    for (let k = 0; k < items.length; k += 64) {
      const part = items.slice(k, k + 64);
      const params: unknown[] = [];
      for (const { c, run } of part) {
        params.push(c.flowId, c.method, c.path, c.query, JSON.stringify(c.rawHeaders), c.body, c.contentType, c.remoteAddress, c.receivedAt, c.dedupKey, run ? 'queued' : 'off');
      }
      // AUTOINCREMENT ids grow in the order rows are inserted (the VALUES order): sorted, they pair with `part`.
      const ids = (await this.raw<{ id: number }>(
        `INSERT INTO captures (flow_id, method, path, query, raw_headers, body, content_type, remote_address, received_at, dedup_key, status)
         VALUES ${part.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')} RETURNING id`, params)).map((r) => r.id).sort((a, b) => a - b);
      const withRun = part.flatMap((it, i) => (it.run ? [i] : []));
      const runIds = new Map<number, number>();
      if (withRun.length) {
        const rp: unknown[] = [];
        for (const i of withRun) {
          const { c, run } = part[i]!;
          const leased = run!.leaseUntil !== undefined && run!.leaseUntil !== null;
          rp.push(c.flowId, ids[i], leased ? 'running' : 'queued', definitionText(run!.definition), c.receivedAt,
            leased ? run!.leaseUntil : null, c.receivedAt, leased ? c.receivedAt : null, c.receivedAt);
        }
        const rids = (await this.raw<{ id: number }>(
          `INSERT INTO runs (flow_id, capture_id, origin, replay_of, status, definition, next_attempt_at, lease_until, error, created_at, started_at, finished_at, updated_at)
           VALUES ${withRun.map(() => "(?, ?, 'capture', NULL, ?, ?, ?, ?, NULL, ?, ?, NULL, ?)").join(', ')} RETURNING id`, rp)).map((r) => r.id).sort((a, b) => a - b);
        withRun.forEach((i, j) => runIds.set(i, rids[j]!));
      }
      part.forEach((it, i) => out.push({ captureId: ids[i]!, runId: runIds.get(i) ?? null, status: it.run ? 'queued' : 'off' }));
    }
    return out;
  }
  async getCapture(id: number): Promise<CaptureRecord | null> {
    const [r] = await this.raw<Selectable<CaptureTable>>('SELECT * FROM captures WHERE id = ?', [id]);
    return r ? toCapture(r) : null;
  }
  async getCaptures(ids: number[]): Promise<CaptureRecord[]> {
    const out: CaptureRecord[] = [];
    for (let k = 0; k < ids.length; k += 64) {
      const part = ids.slice(k, k + 64);
      const rows = await this.raw<Selectable<CaptureTable>>(`SELECT * FROM captures WHERE id IN (${part.map(() => '?').join(', ')})`, part);
      for (const r of rows) out.push(toCapture(r));
    }
    return out;
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
  async renewRunLeases(ids: number[], leaseUntil: number): Promise<void> {
    if (ids.length === 0) return;
    await this.db.updateTable('runs').set({ lease_until: leaseUntil }).where('id', 'in', ids).where('status', '=', 'running')
      .where('lease_until', '<', leaseUntil).execute();
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
    return (await this.raw<Selectable<RunStepTable>>('SELECT * FROM run_steps WHERE run_id = ? ORDER BY id', [runId])).map(toStep);
  }
  async listRunStepsOf(runIds: number[]): Promise<RunStepRecord[]> {
    const out: RunStepRecord[] = [];
    for (let k = 0; k < runIds.length; k += 64) {
      const part = runIds.slice(k, k + 64);
      const rows = await this.raw<Selectable<RunStepTable>>(`SELECT * FROM run_steps WHERE run_id IN (${part.map(() => '?').join(', ')}) ORDER BY id`, part);
      for (const r of rows) out.push(toStep(r));
    }
    return out;
  }
  async saveRunStep(s: RunStepInput): Promise<void> {
    const row = {
      run_id: s.runId, step_id: s.stepId, step_type: s.stepType, status: s.status,
      input: s.input === undefined ? null : JSON.stringify(s.input), output: s.output === undefined ? null : JSON.stringify(s.output),
      error: s.error, attempts: s.attempts, started_at: s.startedAt, duration_ms: s.durationMs,
    };
    await this.raw(
      `INSERT INTO run_steps (run_id, step_id, step_type, status, input, output, error, attempts, started_at, duration_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (run_id, step_id) DO UPDATE SET status = excluded.status, input = excluded.input, output = excluded.output,
         error = excluded.error, attempts = excluded.attempts, started_at = excluded.started_at, duration_ms = excluded.duration_ms`,
      [row.run_id, row.step_id, row.step_type, row.status, row.input, row.output, row.error, row.attempts, row.started_at, row.duration_ms]);
  }
  async saveRunSteps(rows: RunStepInput[]): Promise<void> {
    for (let k = 0; k < rows.length; k += 32) {
      const part = rows.slice(k, k + 32);
      const params: unknown[] = [];
      for (const s of part) {
        params.push(s.runId, s.stepId, s.stepType, s.status, s.input === undefined ? null : JSON.stringify(s.input),
          s.output === undefined ? null : JSON.stringify(s.output), s.error, s.attempts, s.startedAt, s.durationMs);
      }
      await this.raw(
        `INSERT INTO run_steps (run_id, step_id, step_type, status, input, output, error, attempts, started_at, duration_ms)
         VALUES ${part.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}
         ON CONFLICT (run_id, step_id) DO UPDATE SET status = excluded.status, input = excluded.input, output = excluded.output,
           error = excluded.error, attempts = excluded.attempts, started_at = excluded.started_at, duration_ms = excluded.duration_ms`, params);
    }
  }
  async finishRun(id: number, status: RunStatus, error: string | null, now: number, nextAttemptAt?: number): Promise<void> {
    const done = status === 'succeeded' || status === 'failed' || status === 'stopped';
    await this.raw(
      `UPDATE runs SET status = ?, error = ?, lease_until = NULL, updated_at = ?,
         finished_at = CASE WHEN ? THEN ? ELSE finished_at END, next_attempt_at = COALESCE(?, next_attempt_at)
       WHERE id = ?`,
      [status, error, now, done ? 1 : 0, now, nextAttemptAt ?? null, id]);
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

  async captureIdBehind(flowId: number, n: number): Promise<number | null> {
    const [r] = await this.raw<{ id: number }>('SELECT id FROM captures WHERE flow_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?', [flowId, n]);
    return r ? r.id : null;
  }
  async sweepCaptures(o: CaptureSweep): Promise<SweepBatch> {
    const byFlow = o.flowId !== undefined;
    // length() of a BLOB column reads its size from the record, not the (overflow) pages of a large body.
    const rows = await this.raw<{ id: number; flow_id: number; received_at: number; keyed: unknown; size: number; busy: unknown }>(
      `SELECT c.id, c.flow_id, c.received_at, c.dedup_key IS NOT NULL AS keyed, length(c.body) AS size,
         EXISTS (SELECT 1 FROM runs r WHERE r.capture_id = c.id
           AND (r.status NOT IN ('succeeded', 'failed', 'stopped') OR r.finished_at IS NULL OR r.finished_at >= ?)) AS busy
       FROM captures c WHERE c.id > ?${byFlow ? ' AND c.flow_id = ? AND c.id <= ?' : ''} ORDER BY c.id LIMIT ?`,
      byFlow ? [o.runsFinishedBefore, o.afterId, o.flowId, o.maxId ?? Number.MAX_SAFE_INTEGER, o.limit] : [o.runsFinishedBefore, o.afterId, o.limit]);
    const samples = new Set((await this.raw<{ id: number }>('SELECT sample_capture_id AS id FROM flows WHERE sample_capture_id IS NOT NULL', [])).map((r) => Number(r.id)));
    const victims: number[] = [];
    let bytes = 0;
    let next: number | null = rows.length === o.limit ? rows[rows.length - 1]!.id : null;
    let prev = o.afterId;
    for (const r of rows) {
      // Ids grow in the order captures were received: the first young one ends the pass by age.
      if (o.receivedBefore !== undefined && r.received_at >= o.receivedBefore) { next = null; break; }
      const since = o.dedupSince.get(r.flow_id);
      const kept = samples.has(r.id) || Boolean(r.busy) || (Boolean(r.keyed) && since !== undefined && r.received_at > since);
      if (!kept) {
        if (victims.length > 0 && bytes + r.size > o.maxBytes) { next = prev; break; }
        victims.push(r.id);
        bytes += r.size;
      }
      prev = r.id;
    }
    let runs = 0;
    for (let k = 0; k < victims.length; k += 64) {
      const part = victims.slice(k, k + 64);
      const marks = part.map(() => '?').join(', ');
      const [n] = await this.raw<{ n: number }>(`SELECT COUNT(*) AS n FROM runs WHERE capture_id IN (${marks})`, part);
      runs += Number(n?.n ?? 0);
      // The runs (all finished, see above) and their steps go with the capture: ON DELETE CASCADE.
      await this.raw(`DELETE FROM captures WHERE id IN (${marks})`, part);
    }
    return { captures: victims.length, runs, bytes, next };
  }
  async sweepRuns(o: { afterId: number; limit: number; before: number }): Promise<SweepBatch> {
    const rows = await this.raw<{ id: number; status: string; created_at: number; finished_at: number | null }>(
      'SELECT id, status, created_at, finished_at FROM runs WHERE id > ? ORDER BY id LIMIT ?', [o.afterId, o.limit]);
    const victims: number[] = [];
    let next: number | null = rows.length === o.limit ? rows[rows.length - 1]!.id : null;
    for (const r of rows) {
      // A run created at or after the cutoff cannot have finished before it; the later ones are younger still.
      if (r.created_at >= o.before) { next = null; break; }
      if ((r.status === 'succeeded' || r.status === 'failed' || r.status === 'stopped') && r.finished_at !== null && r.finished_at < o.before) victims.push(r.id);
    }
    for (let k = 0; k < victims.length; k += 64) {
      const part = victims.slice(k, k + 64);
      await this.raw(`DELETE FROM runs WHERE id IN (${part.map(() => '?').join(', ')})`, part);
    }
    return { captures: 0, runs: victims.length, bytes: 0, next };
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
