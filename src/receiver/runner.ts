/**
 * The flow runner: takes queued runs from the store (leased, so a crashed process's runs resume elsewhere or after
 * restart), or straight from the catch hook's write when it has a free slot (takeRun: written leased, no claim),
 * walks their steps and records each step's input, output, status and duration as it goes.
 *
 * A run: queued → running → succeeded | stopped (a filter said no) | failed | retrying (an action step failed with
 * a retryable error; it is tried again on the autoreplay schedule). Steps already `succeeded` in the run's record are
 * not run again — that is how a crashed run resumes and how a replay "from step X" reuses the steps before X.
 * A paths step records which branch it took, so a resumed run continues down the same branch.
 */
import type { Logger } from 'pino';
import type { Clock } from '../core/types.js';
import { evaluate, type Condition } from '../core/flow/conditions.js';
import { renderValue } from '../core/flow/template.js';
import type { FlowContext, StepOutcome, StepServices } from '../core/flow/types.js';
import type { CaptureRecord, FlowRecord, RunRecord, RunStatus, RunStepInput, RunStepRecord, Store } from '../store/store.js';
import type { Transactor } from '../store/group-commit.js';
import { captureView } from './capture-view.js';
import { BatchWriter } from './batch-writer.js';
import { Waker } from '../loop/waker.js';
import { isSecretRef, redactSecretRefs, runCheckedStep, runStep, secretRefNames, stepRegistry, validateStepConfig } from './steps/registry.js';
import { mayHoldAny } from './steps/secrets.js';

/**
 * What a step's config needs at run time, worked out once per step of a definition (runs share their definition's
 * parsed objects, see the store's parsed-definition cache): a config without templates renders to itself, so its
 * validation, its recorded (redacted) form and its secret names are the same on every run.
 */
interface PreparedConfig {
  /** null: the config has templates, so it is rendered and validated on each run. */
  fixed: { checked: { ok: true; config: unknown } | { ok: false; problems: string[] }; recorded: unknown; secretNames: string[] } | null;
}

const PLACEHOLDER_IN_JSON = /\{\{\s*[^{}]*?\s*\}\}/;
const prepared = new WeakMap<object, PreparedConfig>();

function prepare(step: StepDef): PreparedConfig {
  let p = prepared.get(step);
  if (p) return p;
  const config = step.config ?? {};
  // A placeholder inside any string (value or key) shows in the JSON text unchanged (JSON does not escape braces).
  const templated = PLACEHOLDER_IN_JSON.test(JSON.stringify(config) ?? '');
  p = {
    fixed: templated || !stepRegistry[step.type] ? null : {
      checked: validateStepConfig(step.type, config), recorded: redactSecretRefs(config), secretNames: secretRefNames(config),
    },
  };
  if (typeof step === 'object' && step !== null) prepared.set(step, p);
  return p;
}

/** The first path of a `paths` step whose condition holds (else its fallback), with a line per condition tried. */
function choosePath(step: StepDef, ctx: Parameters<typeof evaluate>[1]): { hit: NonNullable<StepDef['paths']>[number] | undefined; explain: string[] } {
  const explain: string[] = [];
  const hit = (step.paths ?? []).find((p) => {
    if (p.fallback) return false;
    const ev = evaluate(p.when!, ctx);
    explain.push(`${p.name}: ${ev.pass ? 'yes' : 'no'} (${ev.explain.join('; ')})`);
    return ev.pass;
  }) ?? (step.paths ?? []).find((p) => p.fallback);
  return { hit, explain };
}

/** The values of the secrets long enough to be scrubbed, per secrets map (the map changes when secrets do). */
const scrubNeedles = new WeakMap<Map<string, string>, string[]>();

/** A step of a definition, as the runner reads it (the definition was validated when the flow was saved). */
export interface StepDef {
  id: string; type: string; config?: unknown; when?: Condition; retry?: { attempts: number };
  paths?: { name: string; when?: Condition; fallback?: boolean; steps: StepDef[] }[];
}

/** The result of testing one step outside a run. */
export interface StepTestResult {
  status: 'succeeded' | 'stopped' | 'failed'; input: unknown; output: unknown; error: string | null;
  /** For a failed action: whether a run would retry it. */
  retryable?: boolean;
  durationMs: number;
}

type Walk = { status: 'succeeded' } | { status: 'stopped'; reason: string } | { status: 'failed'; error: string } | { status: 'retrying'; error: string; at: number };

export interface RunnerOptions {
  store: Store; clock: Clock; log: Logger;
  /** The collaborators of one run's steps (secrets read once per run; the context is the run's). */
  services: (secrets: Map<string, string>, context: FlowContext) => StepServices;
  concurrency: number; leaseMs: number;
  /** Waits in ms before the 2nd, 3rd… attempt of a failed action step. */
  retryScheduleMs: number[];
  onFinished?: (run: RunRecord, status: RunStatus) => void;
  /** A run failed for good (its run.failed alert is written): the alert notifier should look. */
  onRunFailed?: () => void;
  /** Where a run's records are written: the store, or a GroupCommit in front of it (runs finishing together share a commit). */
  writes?: Transactor;
}

/** A run handed to the runner by the write that creates it: see FlowRunner.takeRun. */
export interface RunHandoff {
  /** The lease to write the run with (status running). */
  leaseUntil: number;
  /** The write committed: run it now. */
  commit(run: RunRecord, capture: CaptureRecord): void;
  /** The write failed or made no run: the slot is free again. */
  abort(): void;
}

/**
 * A run's step records not yet written: they go with the run's end (one write, shared with the runs that end
 * together). An action's record must be durable before anything else can have an effect, so that a resumed run never
 * repeats it: when another action follows, the records so far are written before that action runs (`settle`);
 * when none does, the run's end, written right after, carries it.
 */
type Pending = RunStepInput[];
/** Pending lists holding the record of an action that ran (to be written before the next action). */
const unsettled = new WeakSet<Pending>();

const SECRETS_CACHE_MS = 1000;
const FLOW_CACHE_MS = 1000;

/** What the runner reads for a batch of claimed runs at once. */
interface Prefetched { captures: Map<number, CaptureRecord>; steps: Map<number, RunStepRecord[]> }

const STEP_TIMEOUT_MS = 120_000;
/** Longest time between two claims while no run is known to wait in the store (see FlowRunner.lastClaimAt). */
const SWEEP_MS = 5_000;

export class FlowRunner {
  private running = false;
  private inflight = new Map<number, Promise<void>>();
  private readonly waker = new Waker(30_000);
  private loopDone: Promise<void> | null = null;

  private renewTimer: NodeJS.Timeout | null = null;
  private secretsCache: { values: Map<string, string>; until: number } | null = null;
  private readonly flows = new Map<number, { flow: FlowRecord | null; until: number }>();
  private readonly writes: Transactor;
  private readonly finishes: BatchWriter<{ rows: RunStepInput[]; id: number; status: RunStatus; error: string | null; now: number; at: number | undefined; flow: { id: number; name: string } }, null>;

  constructor(private readonly o: RunnerOptions) {
    this.writes = o.writes ?? o.store;
    this.finishes = new BatchWriter(this.writes, async (tx, items) => {
      await tx.saveRunSteps(items.flatMap((i) => i.rows));
      for (const i of items) {
        await tx.finishRun(i.id, i.status, i.error, i.now, i.at);
        // A run that failed for good raises run.failed (one open alert per flow, counted), routed to the channels
        // that take it: in the same transaction as the run's end, so neither is written without the other.
        if (i.status === 'failed') {
          await tx.raiseAlert({
            kind: 'run.failed', severity: 'error', webhookId: null, deliveryId: null,
            title: `Flow "${i.flow.name}" has failed runs`,
            message: `run ${i.id} of flow ${i.flow.id} failed: ${i.error ?? 'unknown error'}. Replay it from the failed step or the start: POST /api/v1/runs/${i.id}/replay (body {"fromStep": "<step id>"} or {}), or from the run's page in the UI.`,
          }, i.now);
        }
      }
      return items.map(() => null);
    });
  }

  /** Secrets or flows changed: read them again for the next run. */
  invalidateSecrets(): void {
    this.secretsCache = null;
    this.flows.clear();
  }

  private async secrets(): Promise<Map<string, string>> {
    const now = Date.now();
    if (this.secretsCache && this.secretsCache.until > now) return this.secretsCache.values;
    const values = await this.o.store.secretValues();
    this.secretsCache = { values, until: now + SECRETS_CACHE_MS };
    return values;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop().catch((e) => this.o.log.error({ err: e }, 'flow runner stopped by an error'));
    // Runs in flight keep their leases: renewed three times per lease, so a run slower than lease_ms is never
    // claimed by another process while this one still executes it (only after this process is gone).
    this.renewTimer = setInterval(() => void this.renewLeases(), Math.max(50, Math.floor(this.o.leaseMs / 3)));
    this.renewTimer.unref();
  }

  /** Extends the lease of every run this runner is executing. Called on a timer; exposed for tests. */
  async renewLeases(): Promise<void> {
    const ids = [...this.inflight.keys()];
    if (ids.length === 0) return;
    await this.o.store.renewRunLeases(ids, this.o.clock.now() + this.o.leaseMs)
      .catch((e) => this.o.log.error({ err: e, runs: ids.length }, 'could not renew run leases'));
  }

  /** Runs were queued (or made due): claim them now rather than at the next timer. */
  wake(): void {
    this.backlog = true;
    this.wakes++;
    this.waker.wake();
  }

  /**
   * Whether queued (or due) runs may be waiting in the store. While they may, captures do not hand their runs over
   * (takeRun): freed slots go to claims, oldest first, so new captures cannot starve runs that are already waiting.
   * True from the start (runs queued before it) and after every wake-up; false once a claim found less than it asked
   * for with no wake-up meanwhile. A retry that falls due sets it again (see noteDue).
   */
  private backlog = true;
  private wakes = 0;
  /**
   * When the loop last asked the store (clock ms). Without a backlog it asks at most every SWEEP_MS all the same: a
   * run whose execution crashed in this process keeps its lease, and is claimed again once that lease has expired.
   */
  private lastClaimAt = -Infinity;
  private dueTimer: { at: number; t: NodeJS.Timeout } | null = null;

  /** A run will be due again at `at` (a retry): from then on, it waits in the store like a queued run. */
  private noteDue(at: number): void {
    if (this.dueTimer && this.dueTimer.at <= at) return;
    if (this.dueTimer) clearTimeout(this.dueTimer.t);
    const t = setTimeout(() => { this.dueTimer = null; this.wake(); }, Math.max(0, at - this.o.clock.now()));
    t.unref();
    this.dueTimer = { at, t };
  }

  /** Slots promised to runs whose capture writes have not committed yet (see takeRun). */
  private reserved = 0;

  /**
   * A run handed straight to this runner by the write that creates it (the catch hook's), skipping the claim: when
   * a slot is free, the run is written already leased (status running, `leaseUntil`), and `commit` starts it as soon
   * as the write has committed, with the capture in hand (no claim, no reads). A crash leaves it leased, so it
   * resumes when the lease expires, like any claimed run. `abort` gives the slot back (the write failed, or made no
   * run). Exactly one of the two must be called. Null: no room now; the run is written queued and claimed later.
   */
  takeRun(): RunHandoff | null {
    if (!this.running || this.backlog || this.inflight.size + this.reserved >= this.o.concurrency) return null;
    this.reserved++;
    let open = true;
    return {
      leaseUntil: this.o.clock.now() + this.o.leaseMs,
      commit: (run, capture) => {
        if (!open) return;
        open = false;
        this.reserved--;
        if (!this.running) {
          // Stopped meanwhile: hand it back (queued, due now) for the next start, as stop() does.
          this.o.store.releaseRuns([run.id], this.o.clock.now())
            .catch((e) => this.o.log.error({ err: e, runId: run.id }, 'could not release a run taken while stopping; it resumes when its lease expires'));
          return;
        }
        this.start1(run, { captures: new Map([[capture.id, capture]]), steps: new Map([[run.id, []]]) });
      },
      abort: () => {
        if (!open) return;
        open = false;
        this.reserved--;
        this.waker.wake();
      },
    };
  }

  /** Executes a run this runner holds the lease of; its slot is counted in `inflight` until it ends. */
  private start1(run: RunRecord, pre?: Prefetched): void {
    const p = this.execute(run, pre).then(() => undefined, (e) => this.o.log.error({ err: e, runId: run.id }, 'run crashed; its lease will expire and it will resume'))
      .finally(() => { this.inflight.delete(run.id); this.waker.wake(); });
    this.inflight.set(run.id, p);
  }

  private async loop(): Promise<void> {
    // Under load, claim in batches: a slot freed by a finishing run waits until an eighth of the slots are free, so
    // a saturated runner makes one claim (and one prefetch) per several runs instead of one per run. Runs in flight
    // wake the loop as they finish, so the wait ends; an idle runner claims at once.
    const batchMin = Math.max(1, Math.floor(this.o.concurrency / 8));
    while (this.running) {
      const room = this.o.concurrency - this.inflight.size - this.reserved;
      // (Slots reserved by handoffs count as taken: their commit or abort wakes the loop.)
      if (room < batchMin && (this.inflight.size > 0 || room <= 0)) {
        await this.waker.sleep(30_000);
        continue;
      }
      let claimed: RunRecord[] = [];
      if (room > 0) {
        const now = this.o.clock.now();
        if (!this.backlog && now - this.lastClaimAt < SWEEP_MS) {
          // Nothing waits in the store: every new run was handed over (takeRun), and anything else that queues a run
          // wakes this loop (wake, noteDue). A slot freed by a finishing run needs no claim, and no 'next due' query.
          await this.waker.sleep(this.lastClaimAt + SWEEP_MS - now);
          continue;
        }
        this.lastClaimAt = now;
        const limit = Math.min(room, 64);
        const wakes = this.wakes;
        let ok = true;
        claimed = await this.o.store.claimRuns(now, limit, now + this.o.leaseMs).catch((e) => {
          this.o.log.error({ err: e }, 'could not claim runs');
          ok = false;
          return [];
        });
        if (ok && claimed.length < limit && this.wakes === wakes) this.backlog = false;
      }
      // A run this process is still executing, whose lease ran out (a step slower than lease_ms): the claim has
      // just renewed its lease; running it a second time would repeat its steps' side effects.
      const fresh = claimed.filter((run) => !this.inflight.has(run.id));
      // The captures and step records of the claimed runs, read together (two statements, not two per run).
      const pre = fresh.length > 1 ? await this.prefetch(fresh).catch(() => undefined) : undefined;
      for (const run of fresh) this.start1(run, pre);
      if (!this.running) break;
      if (claimed.length > 0 && this.inflight.size + this.reserved < this.o.concurrency) continue;
      // Every slot busy: a finishing run wakes the loop (see batchMin above). Asking the store when the next run is
      // due would spin here (a queued run is already due, but there is no room to claim it).
      if (this.inflight.size + this.reserved >= this.o.concurrency) continue;
      const next = await this.o.store.nextRunDueAt().catch(() => null);
      await this.waker.sleep(next === null ? 30_000 : next - this.o.clock.now());
    }
  }

  private async prefetch(runs: RunRecord[]): Promise<Prefetched> {
    const captures = new Map((await this.o.store.getCaptures([...new Set(runs.map((r) => r.captureId))])).map((c) => [c.id, c]));
    const steps = new Map<number, RunStepRecord[]>(runs.map((r) => [r.id, []]));
    for (const s of await this.o.store.listRunStepsOf(runs.map((r) => r.id))) steps.get(s.runId)?.push(s);
    return { captures, steps };
  }

  /** A flow as the runner needs it (its id and name), cached for a second; dropped on any flow change. */
  private async flow(id: number): Promise<FlowRecord | null> {
    const now = Date.now();
    const hit = this.flows.get(id);
    if (hit && hit.until > now) return hit.flow;
    const flow = await this.o.store.getFlow(id);
    if (this.flows.size > 10_000) this.flows.clear();
    this.flows.set(id, { flow, until: now + FLOW_CACHE_MS });
    return flow;
  }

  /** Runs one claimed run to its next resting state. Exposed for tests. */
  async execute(run: RunRecord, pre?: Prefetched): Promise<RunStatus> {
    const { store, clock } = this.o;
    const capture = pre?.captures.get(run.captureId) ?? await store.getCapture(run.captureId);
    const flow = await this.flow(run.flowId);
    if (!capture || !flow) {
      await store.finishRun(run.id, 'failed', 'the capture or the flow was deleted', clock.now());
      return 'failed';
    }
    const prior = new Map((pre?.steps.get(run.id) ?? await store.listRunSteps(run.id)).map((s) => [s.stepId, s]));
    const secrets = await this.secrets();
    const pending: Pending = [];
    const ctx: FlowContext = { capture: captureView(capture), steps: {}, flow: { id: flow.id, name: flow.name }, run: { id: run.id } };
    const services = this.o.services(secrets, ctx);
    const def = run.definition as { steps?: StepDef[] };
    let walk: Walk;
    try {
      walk = await this.walk(def.steps ?? [], ctx, prior, run, services, secrets, pending);
    } catch (e) {
      walk = { status: 'failed', error: `internal error: ${(e as Error).message}` };
    }
    const now = clock.now();
    const [error, at] = walk.status === 'succeeded' ? [null, undefined] : walk.status === 'stopped' ? [walk.reason, undefined]
      : walk.status === 'failed' ? [walk.error, undefined] : [walk.error, walk.at];
    // The remaining step records and the run's end, in one write shared with the runs finishing at the same moment.
    await this.finishes.write({ rows: pending.splice(0), id: run.id, status: walk.status, error, now, at, flow: { id: flow.id, name: flow.name } });
    if (walk.status === 'failed') this.o.onRunFailed?.();
    if (walk.status === 'retrying') this.noteDue(walk.at);
    this.o.onFinished?.(run, walk.status);
    return walk.status;
  }

  private async walk(steps: StepDef[], ctx: FlowContext, prior: Map<string, RunStepRecord>, run: RunRecord, services: StepServices, secrets: Map<string, string>, pending: Pending): Promise<Walk> {
    for (const step of steps) {
      const done = prior.get(step.id);
      if (step.type === 'filter') {
        const ev = done?.status === 'succeeded' || done?.status === 'stopped'
          ? (done.output as { pass: boolean; explain: string[] })
          : evaluate(step.when!, ctx);
        if (!done) await this.record(pending, run, step, ev.pass ? 'succeeded' : 'stopped', { when: step.when }, ev, null, 1, this.o.clock.now(), 0);
        ctx.steps[step.id] = ev;
        if (!ev.pass) return { status: 'stopped', reason: `filter ${step.id} did not pass: ${ev.explain.join('; ')}` };
        continue;
      }
      if (step.type === 'paths') {
        let chosen: { name: string; explain: string[] };
        if (done?.status === 'succeeded') chosen = done.output as { name: string; explain: string[] };
        else {
          const { hit, explain } = choosePath(step, ctx);
          chosen = { name: hit?.name ?? '', explain };
          await this.record(pending, run, step, 'succeeded', { paths: (step.paths ?? []).map((p) => p.name) }, { path: chosen.name || null, explain }, null, 1, this.o.clock.now(), 0);
        }
        ctx.steps[step.id] = { path: chosen.name || null, explain: chosen.explain };
        const branch = (step.paths ?? []).find((p) => p.name === chosen.name);
        if (!branch) continue; // no path matched and there is no fallback: nothing to do on this branch
        const r = await this.walk(branch.steps, ctx, prior, run, services, secrets, pending);
        if (r.status !== 'succeeded') return r;
        continue;
      }
      if (done?.status === 'succeeded') {
        ctx.steps[step.id] = done.output;
        continue;
      }
      const r = await this.runAction(step, ctx, done, run, services, secrets, pending);
      if (r) return r;
    }
    return { status: 'succeeded' };
  }

  /** Runs one registry step; returns a Walk that ends the run, or null to go on. */
  private async runAction(step: StepDef, ctx: FlowContext, done: RunStepRecord | undefined, run: RunRecord, services: StepServices, secrets: Map<string, string>, pending: Pending): Promise<Walk | null> {
    const def = stepRegistry[step.type];
    if (def?.action) await this.settle(pending);
    const attempts = (done?.attempts ?? 0) + 1;
    const started = this.o.clock.now();
    const t0 = performance.now();
    const fixed = prepare(step).fixed;
    const rendered = fixed ? null : keepSecretRefsOf(step.config ?? {}, renderValue(step.config ?? {}, ctx));
    const recorded = fixed ? fixed.recorded : redactSecretRefs(rendered);
    if (!def) {
      await this.record(pending, run, step, 'failed', recorded, null, `unknown step type "${step.type}"`, attempts, started, 0);
      return { status: 'failed', error: `step ${step.id}: unknown step type "${step.type}"` };
    }
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), STEP_TIMEOUT_MS);
    let outcome: StepOutcome;
    try {
      if (fixed) {
        // No templates: validated once for this definition.
        outcome = fixed.checked.ok ? await runCheckedStep(step.type, fixed.checked.config, fixed.secretNames, services, ac.signal)
          : { status: 'error', error: `invalid ${step.type} config: ${fixed.checked.problems.join('; ')}`, retryable: false };
      } else {
        // Validates the rendered config (a template may have produced something invalid) and runs the step.
        outcome = await runStep(step.type, rendered, services, ac.signal);
      }
    } finally {
      clearTimeout(timer);
    }
    const ms = Math.round(performance.now() - t0);
    const scrub = (v: unknown): unknown => scrubSecrets(v, secrets);
    if (outcome.status === 'ok') {
      ctx.steps[step.id] = scrub(outcome.output);
      await this.record(pending, run, step, 'succeeded', recorded, ctx.steps[step.id], null, attempts, started, ms);
      return null;
    }
    if (outcome.status === 'stop') {
      ctx.steps[step.id] = scrub(outcome.output);
      await this.record(pending, run, step, 'stopped', recorded, ctx.steps[step.id], null, attempts, started, ms);
      return { status: 'stopped', reason: `step ${step.id}: ${outcome.reason}` };
    }
    const error = String(scrub(outcome.error));
    const maxAttempts = Math.min(step.retry?.attempts ?? this.o.retryScheduleMs.length + 1, this.o.retryScheduleMs.length + 1);
    if (def.action && outcome.retryable && attempts < maxAttempts) {
      const at = this.o.clock.now() + this.o.retryScheduleMs[attempts - 1]!;
      await this.record(pending, run, step, 'retrying', recorded, scrub(outcome.output ?? null), error, attempts, started, ms);
      return { status: 'retrying', error: `step ${step.id} failed (attempt ${attempts} of ${maxAttempts}), retrying at ${new Date(at).toISOString()}: ${error}`, at };
    }
    await this.record(pending, run, step, 'failed', recorded, scrub(outcome.output ?? null), error, attempts, started, ms);
    return { status: 'failed', error: `step ${step.id} failed${attempts > 1 ? ` after ${attempts} attempts` : ''}: ${error}` };
  }

  private async record(pending: Pending, run: RunRecord, step: StepDef, status: RunStepRecord['status'], input: unknown, output: unknown, error: string | null, attempts: number, startedAt: number, durationMs: number): Promise<void> {
    pending.push({ runId: run.id, stepId: step.id, stepType: step.type, status, input, output, error, attempts, startedAt, durationMs });
    // An action's effect happened: its record goes out before the next action runs, or with the run's end.
    if (stepRegistry[step.type]?.action) unsettled.add(pending);
  }

  /** Before an action runs: the records of earlier actions (and everything before them) are made durable. */
  private async settle(pending: Pending): Promise<void> {
    if (!unsettled.has(pending)) return;
    unsettled.delete(pending);
    const rows = pending.splice(0);
    await this.writes.transaction((tx) => tx.saveRunSteps(rows));
  }

  /**
   * Runs one step on a capture with the given earlier outputs, outside any run (the UI's "Test step"): nothing is
   * recorded, and an action's effect is real (an email is sent). Secrets are used and scrubbed as in a run.
   */
  async testStep(flow: { id: number; name: string }, capture: CaptureRecord, step: StepDef, earlier: Record<string, unknown>): Promise<StepTestResult> {
    const secrets = await this.secrets();
    const ctx: FlowContext = { capture: captureView(capture), steps: { ...earlier }, flow, run: { id: 0 } };
    const t0 = performance.now();
    const ms = () => Math.round(performance.now() - t0);
    if (step.type === 'filter') {
      const ev = evaluate(step.when!, ctx);
      return { status: ev.pass ? 'succeeded' : 'stopped', input: { when: step.when }, output: ev, error: ev.pass ? null : `filter ${step.id} did not pass: ${ev.explain.join('; ')}`, durationMs: ms() };
    }
    if (step.type === 'paths') {
      const { hit, explain } = choosePath(step, ctx);
      return { status: 'succeeded', input: { paths: (step.paths ?? []).map((p) => p.name) }, output: { path: hit?.name ?? null, explain }, error: null, durationMs: ms() };
    }
    const rendered = keepSecretRefsOf(step.config ?? {}, renderValue(step.config ?? {}, ctx));
    const input = redactSecretRefs(rendered);
    const services = this.o.services(secrets, ctx);
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), STEP_TIMEOUT_MS);
    let outcome: StepOutcome;
    try {
      outcome = await runStep(step.type, rendered, services, ac.signal);
    } finally {
      clearTimeout(timer);
    }
    const scrub = (v: unknown): unknown => scrubSecrets(v, secrets);
    if (outcome.status === 'ok') return { status: 'succeeded', input, output: scrub(outcome.output), error: null, durationMs: ms() };
    if (outcome.status === 'stop') return { status: 'stopped', input, output: scrub(outcome.output), error: String(scrub(outcome.reason)), durationMs: ms() };
    return { status: 'failed', input, output: scrub(outcome.output ?? null), error: String(scrub(outcome.error)), retryable: outcome.retryable, durationMs: ms() };
  }

  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.all([...this.inflight.values()]);
  }

  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.waker.interrupt();
    await this.loopDone;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.idle(), new Promise<void>((r) => { timer = setTimeout(r, graceMs); })]);
    clearTimeout(timer);
    if (this.renewTimer) clearInterval(this.renewTimer);
    if (this.dueTimer) { clearTimeout(this.dueTimer.t); this.dueTimer = null; }
    await this.o.store.releaseRuns([...this.inflight.keys()], this.o.clock.now());
  }
}

/**
 * Only the flow's author names secrets: a `{"secret": …}` object that a template produced (from the captured
 * request, say) is turned into plain JSON text, so a sender cannot make a step read a secret of its choosing.
 */
export function keepSecretRefsOf(original: unknown, rendered: unknown): unknown {
  if (isSecretRef(original)) return original;
  if (isSecretRef(rendered)) return JSON.stringify(rendered);
  if (Array.isArray(rendered)) return rendered.map((v, i) => keepSecretRefsOf(Array.isArray(original) ? original[i] : undefined, v));
  if (rendered && typeof rendered === 'object') {
    const o = (original && typeof original === 'object' ? original : {}) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(rendered).map(([k, v]) => [k, keepSecretRefsOf(o[k], v)]));
  }
  return rendered;
}

/** Replaces every secret value that appears in text by `[secret NAME]`, so run records never hold one. */
export function scrubSecrets(v: unknown, secrets: Map<string, string>): unknown {
  if (secrets.size === 0) return v;
  // One look at the value's JSON text instead of a walk over every string (and a copy of every object) in it.
  let needles = scrubNeedles.get(secrets);
  if (!needles) scrubNeedles.set(secrets, (needles = [...secrets.values()].filter((x) => x.length >= 4)));
  if (typeof v !== 'string' && !mayHoldAny(v, needles)) return v;
  return scrubWalk(v, secrets);
}

function scrubWalk(v: unknown, secrets: Map<string, string>): unknown {
  if (typeof v === 'string') {
    let s = v;
    for (const [name, value] of secrets) if (value.length >= 4 && s.includes(value)) s = s.split(value).join(`[secret ${name}]`);
    return s;
  }
  if (Array.isArray(v)) return v.map((x) => scrubWalk(x, secrets));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, scrubWalk(x, secrets)]));
  return v;
}
