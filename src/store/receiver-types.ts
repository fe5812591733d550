/** The receiving side's part of the Store port: flows, captures, runs, run steps and secrets. */

export interface FlowRecord {
  id: number; name: string; description: string; enabled: boolean;
  /** The flow definition JSON (see src/core/flow/definition.ts). */
  definition: unknown;
  /** The secret part of the catch URL /hooks/catch/<hookKey>. */
  hookKey: string;
  sampleCaptureId: number | null;
  createdAt: number; updatedAt: number;
}
export interface FlowInput { name: string; description: string; enabled: boolean; definition: unknown; hookKey: string }

/** capture status: `queued` (a run was created), `duplicate` (dedup: acknowledged, not run), `off` (flow off: kept for Test Trigger only). */
export type CaptureStatus = 'queued' | 'duplicate' | 'off';
export interface CaptureInput {
  flowId: number; method: string; path: string; query: string; rawHeaders: [string, string][]; body: Buffer;
  contentType: string | null; remoteAddress: string; receivedAt: number; dedupKey: string | null;
}
export interface CaptureRecord extends CaptureInput { id: number; status: CaptureStatus }

/** queued → running → succeeded | failed | stopped (a filter ended it) ; running → retrying (an action step will be tried again). */
export type RunStatus = 'queued' | 'running' | 'retrying' | 'succeeded' | 'failed' | 'stopped';
export type RunOrigin = 'capture' | 'replay' | 'sample';
export interface RunRecord {
  id: number; flowId: number; captureId: number; origin: RunOrigin; replayOf: number | null; status: RunStatus;
  /** The flow definition the run follows (a snapshot taken when it was created). */
  definition: unknown;
  nextAttemptAt: number; leaseUntil: number | null; error: string | null;
  createdAt: number; startedAt: number | null; finishedAt: number | null; updatedAt: number;
}
export type StepStatus = 'succeeded' | 'failed' | 'stopped' | 'skipped' | 'retrying';
export interface RunStepRecord {
  id: number; runId: number; stepId: string; stepType: string; status: StepStatus;
  input: unknown; output: unknown; error: string | null; attempts: number; startedAt: number; durationMs: number;
}
export type RunStepInput = Omit<RunStepRecord, 'id'>;
export interface RunFilter { flowId?: number; status?: RunStatus; since?: number; until?: number; limit: number; beforeId?: number }
export interface SecretInfo { name: string; createdAt: number; updatedAt: number; preview: string }

/**
 * One bounded batch of capture retention (src/receiver/retention.ts): the captures after `afterId`, in id order (the
 * order they were received), at most `limit` of them looked at. A capture is deleted together with its runs and their
 * steps, never apart from them, so it stays while any of its runs is not finished or finished at or after
 * `runsFinishedBefore`. A flow's sample stays, and so does a capture with a dedup key received after its flow's
 * `dedupSince` (its window still needs it).
 */
export interface CaptureSweep {
  afterId: number;
  limit: number;
  /** Bytes of bodies deleted in the batch at most (a capture larger than this goes alone). */
  maxBytes: number;
  /** By age: captures received before this; the batch ends at the first capture received at or after it. */
  receivedBefore?: number;
  /** By count: this flow's captures up to this id. */
  flowId?: number;
  maxId?: number;
  runsFinishedBefore: number;
  dedupSince: ReadonlyMap<number, number>;
}
/** What a retention batch deleted; `next`: the `afterId` of the next batch, or null when there is nothing after. */
export interface SweepBatch { captures: number; runs: number; bytes: number; next: number | null }

export interface ReceiverStore {
  createFlow(f: FlowInput, now: number): Promise<FlowRecord>;
  getFlow(id: number): Promise<FlowRecord | null>;
  getFlowByName(name: string): Promise<FlowRecord | null>;
  getFlowByKey(hookKey: string): Promise<FlowRecord | null>;
  listFlows(): Promise<FlowRecord[]>;
  updateFlow(id: number, patch: Partial<FlowInput> & { sampleCaptureId?: number | null }, now: number): Promise<FlowRecord | null>;
  deleteFlow(id: number): Promise<boolean>;

  /**
   * Stores a captured request and, when `run` is given, its queued run — in the caller's transaction, before the
   * hook answers. With a dedup key and window, a capture whose key was seen within the window is a `duplicate`.
   */
  insertCapture(c: CaptureInput, run: { definition: unknown } | null, dedupWindowMs: number | null): Promise<{ captureId: number; runId: number | null; status: CaptureStatus }>;
  /**
   * `insertCapture` for many captures without dedup at once (multi-row statements), results in the order given:
   * the catch hooks' requests of one moment share one write. A run with `leaseUntil` is written already leased
   * (status running): a run handed to the runner (FlowRunner.takeRun).
   */
  insertCaptures(items: { c: CaptureInput; run: { definition: unknown; leaseUntil?: number | null } | null }[]): Promise<{ captureId: number; runId: number | null; status: CaptureStatus }[]>;
  getCapture(id: number): Promise<CaptureRecord | null>;
  /** The captures with these ids that exist (any order). */
  getCaptures(ids: number[]): Promise<CaptureRecord[]>;
  listCaptures(flowId: number, limit: number, beforeId?: number): Promise<CaptureRecord[]>;

  createRun(r: { flowId: number; captureId: number; origin: RunOrigin; replayOf: number | null; definition: unknown }, now: number, steps?: RunStepInput[]): Promise<RunRecord>;
  claimRuns(now: number, limit: number, leaseUntil: number): Promise<RunRecord[]>;
  getRun(id: number): Promise<RunRecord | null>;
  listRuns(f: RunFilter): Promise<RunRecord[]>;
  listRunSteps(runId: number): Promise<RunStepRecord[]>;
  /** The step records of these runs, each run's in `listRunSteps` order. */
  listRunStepsOf(runIds: number[]): Promise<RunStepRecord[]>;
  /** Inserts or replaces the record of one step of a run. */
  saveRunStep(s: RunStepInput): Promise<void>;
  /** `saveRunStep` for many records in one statement. */
  saveRunSteps(rows: RunStepInput[]): Promise<void>;
  finishRun(id: number, status: RunStatus, error: string | null, now: number, nextAttemptAt?: number): Promise<void>;
  releaseRuns(ids: number[], now: number): Promise<void>;
  /** Extends the leases of runs still running (a long run keeps its lease while its process lives). */
  renewRunLeases(ids: number[], leaseUntil: number): Promise<void>;
  nextRunDueAt(): Promise<number | null>;

  /** The id of the flow's capture that has `n` newer ones, or null (the flow has `n` captures or fewer). */
  captureIdBehind(flowId: number, n: number): Promise<number | null>;
  /** One batch of capture retention (see CaptureSweep); in the caller's transaction. */
  sweepCaptures(o: CaptureSweep): Promise<SweepBatch>;
  /**
   * One batch of run retention: of the runs after `afterId` (at most `limit`, in id order), the finished ones that
   * finished before `before` go with their steps; the batch ends at the first run created at or after `before`.
   * In the caller's transaction. `captures` and `bytes` are 0.
   */
  sweepRuns(o: { afterId: number; limit: number; before: number }): Promise<SweepBatch>;

  putSecret(name: string, value: string, now: number): Promise<void>;
  listSecrets(): Promise<SecretInfo[]>;
  deleteSecret(name: string): Promise<boolean>;
  secretValues(): Promise<Map<string, string>>;
}
