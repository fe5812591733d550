/**
 * Catch hooks: `/hooks/catch/<key>` keeps the request exactly (method, path, query, raw headers with their names,
 * order and duplicates, raw body bytes, remote address, time) and stores it durably — with its queued run, in one
 * transaction shared with the other requests of the moment (group commit) — before it answers.
 */
import type { Clock } from '../core/types.js';
import type { Transactor } from '../store/group-commit.js';
import type { CaptureStatus, FlowRecord, Store } from '../store/store.js';
import { render } from '../core/flow/template.js';
import { captureView } from './capture-view.js';
import { BatchWriter } from './batch-writer.js';
import type { CaptureInput } from '../store/store.js';
import type { RunHandoff } from './runner.js';
import { runDefinitionOf } from '../store/run-definition.js';

/** The parts of a flow definition that the hook itself uses. */
interface HookSettings {
  response?: { status: number; headers?: Record<string, string>; body?: string };
  dedup?: { key: string; windowSeconds: number };
  rateLimit?: { perSecond: number; burst?: number };
}

/** Where the runs of captures go: the runner, woken for queued runs, and (when it has room) handed them directly. */
export interface RunIntake {
  wake(): void;
  takeRun?(): RunHandoff | null;
}

export interface IncomingRequest {
  method: string; url: string; rawHeaders: string[]; body: Buffer; remoteAddress: string;
}

export type IngressResult =
  | { kind: 'unknown_hook' }
  | { kind: 'rate_limited'; retryAfterSec: number }
  | { kind: 'captured'; flow: FlowRecord; captureId: number; runId: number | null; status: CaptureStatus; response: HookSettings['response'] };

const FLOW_CACHE_MS = 1000;

/** A token bucket per flow. */
class Buckets {
  private readonly b = new Map<number, { tokens: number; at: number }>();
  take(flowId: number, perSecond: number, burst: number, now: number): number {
    const s = this.b.get(flowId) ?? { tokens: burst, at: now };
    s.tokens = Math.min(burst, s.tokens + ((now - s.at) / 1000) * perSecond);
    s.at = now;
    this.b.set(flowId, s);
    if (s.tokens >= 1) { s.tokens -= 1; return 0; }
    return Math.max(1, Math.ceil((1 - s.tokens) / perSecond));
  }
}

export class Ingress {
  private readonly flows = new Map<string, { flow: FlowRecord | null; until: number }>();
  private readonly buckets = new Buckets();
  /** Captures without dedup: the requests of one moment share one multi-row write. */
  private readonly batch: BatchWriter<{ c: CaptureInput; run: { definition: unknown; leaseUntil: number | null } | null }, { captureId: number; runId: number | null; status: CaptureStatus }>;

  constructor(
    private readonly store: Store, private readonly writes: Transactor, private readonly clock: Clock,
    private readonly defaultRatePerSecond: number, private readonly runs: RunIntake,
  ) {
    this.batch = new BatchWriter(writes, (tx, items) => tx.insertCaptures(items));
  }

  /** A flow changed (or its key rotated): forget cached lookups. */
  invalidate(): void {
    this.flows.clear();
  }

  /** The flow of a key as cached by an earlier request (undefined: not cached, or no longer fresh). */
  cachedFlow(key: string): FlowRecord | null | undefined {
    const hit = this.flows.get(key);
    return hit && hit.until > Date.now() ? hit.flow : undefined;
  }

  private async flowFor(key: string): Promise<FlowRecord | null> {
    const now = Date.now();
    const hit = this.flows.get(key);
    if (hit && hit.until > now) return hit.flow;
    const flow = await this.store.getFlowByKey(key);
    if (this.flows.size > 10_000) this.flows.clear();
    this.flows.set(key, { flow, until: now + FLOW_CACHE_MS });
    return flow;
  }

  async capture(key: string, req: IncomingRequest): Promise<IngressResult> {
    const flow = await this.flowFor(key);
    if (!flow) return { kind: 'unknown_hook' };
    const settings = (flow.definition ?? {}) as HookSettings;
    const now = this.clock.now();
    const rate = settings.rateLimit?.perSecond ?? this.defaultRatePerSecond;
    if (rate > 0) {
      const wait = this.buckets.take(flow.id, rate, settings.rateLimit?.burst ?? Math.max(1, rate), now);
      if (wait > 0) return { kind: 'rate_limited', retryAfterSec: wait };
    }
    const q = req.url.indexOf('?');
    const rawHeaders: [string, string][] = [];
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) rawHeaders.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!]);
    const contentType = rawHeaders.find(([n]) => n.toLowerCase() === 'content-type')?.[1] ?? null;
    const input = {
      flowId: flow.id, method: req.method, path: q < 0 ? req.url : req.url.slice(0, q), query: q < 0 ? '' : req.url.slice(q + 1),
      rawHeaders, body: req.body, contentType, remoteAddress: req.remoteAddress, receivedAt: now, dedupKey: null as string | null,
    };
    if (settings.dedup && flow.enabled) {
      const k = render(settings.dedup.key, { capture: captureView({ ...input, id: 0 }), steps: {}, flow: { id: flow.id, name: flow.name }, run: { id: 0 } });
      input.dedupKey = k === '' ? null : k;
    }
    if (settings.dedup) {
      const r = await this.writes.transaction((tx) => tx.insertCapture(input, flow.enabled ? { definition: flow.definition } : null, settings.dedup!.windowSeconds * 1000));
      if (r.runId !== null) this.runs.wake();
      return { kind: 'captured', flow, captureId: r.captureId, runId: r.runId, status: r.status, response: settings.response };
    }
    // A runner with a free slot takes the run now: it is written leased and starts when the write commits.
    const h = flow.enabled ? this.runs.takeRun?.() ?? null : null;
    let r: { captureId: number; runId: number | null; status: CaptureStatus };
    try {
      r = await this.batch.write({ c: input, run: flow.enabled ? { definition: flow.definition, leaseUntil: h?.leaseUntil ?? null } : null });
    } catch (e) {
      h?.abort();
      throw e;
    }
    if (h && r.runId !== null) {
      h.commit({
        id: r.runId, flowId: flow.id, captureId: r.captureId, origin: 'capture', replayOf: null, status: 'running',
        definition: runDefinitionOf(flow.definition), nextAttemptAt: now, leaseUntil: h.leaseUntil, error: null, createdAt: now, startedAt: now,
        finishedAt: null, updatedAt: now,
      }, { ...input, id: r.captureId, status: r.status });
    } else {
      h?.abort();
      if (r.runId !== null) this.runs.wake();
    }
    return { kind: 'captured', flow, captureId: r.captureId, runId: r.runId, status: r.status, response: settings.response };
  }
}
