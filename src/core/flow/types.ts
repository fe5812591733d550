/**
 * The receiving side's model (issue "Receiver"): a flow is a trigger (its catch hook) plus steps; a capture is one
 * request caught exactly as received; a run is one pass of a capture through a flow's steps.
 *
 * A step reads the *context* — `capture` (the request), `steps` (earlier steps' outputs by id) — through templates
 * (`{{steps.verify.payload.event_data.experiment.name}}`) in its config, and returns an output that later steps and
 * conditions can read. Steps are a typed registry: each declares its config schema and `run(config, ctx)`.
 */
import type { Clock } from '../types.js';

/** A captured request, as steps and templates see it. */
export interface CaptureView {
  id: number;
  method: string;
  /** Path without the query, e.g. /hooks/catch/abc… */
  path: string;
  /** Raw query string without `?` ("" when none). */
  query: string;
  /** Query parameters, first value of each. */
  queryParams: Record<string, string>;
  /** Headers with their original names, order and duplicates. */
  rawHeaders: [string, string][];
  /** Headers by lower-cased name (duplicates joined with ", "). */
  headers: Record<string, string>;
  /** The body as UTF-8 text (exact bytes are in bodyBase64). */
  body: string;
  bodyBase64: string;
  /** The body parsed as JSON when it is JSON, else null. */
  json: unknown;
  contentType: string | null;
  remoteAddress: string;
  receivedAt: string;
}

/** What templates and conditions resolve paths against. */
export interface FlowContext {
  capture: CaptureView;
  steps: Record<string, unknown>;
  flow: { id: number; name: string };
  run: { id: number };
}

/** The result of one step. `stop`: the run ends here successfully (a filter that did not pass). */
export type StepOutcome =
  | { status: 'ok'; output: unknown }
  | { status: 'stop'; output: unknown; reason: string }
  | { status: 'error'; error: string; retryable: boolean; output?: unknown };

/** Collaborators a step may use; tests pass fakes or real local servers. Nothing here logs secrets. */
export interface StepServices {
  clock: Clock;
  /** The run's context: the capture and earlier steps' outputs (read by steps that look at the raw request). */
  context: FlowContext;
  /** A secret's value by name, or undefined. Values never go into outputs, logs or run records. */
  secret(name: string): string | undefined;
  /** Sends an email over the configured (or given) SMTP server. */
  sendEmail(msg: EmailMessage, smtp?: SmtpSettings): Promise<{ messageId: string; accepted: string[] }>;
  /** An outbound HTTP request through the SSRF guard. */
  http(req: HttpRequest): Promise<HttpResponse>;
  /** Raises a named alert in Switchyard's alert list (and routes it, if the alert has a channel). */
  raiseAlert(a: { name: string; severity: 'info' | 'warning' | 'error'; message: string; details?: unknown }): Promise<{ alertId: number }>;
  /** Runs user code in the WebAssembly sandbox. */
  runCode(req: CodeRequest): Promise<CodeResult>;
}

export interface EmailMessage { from?: string; to: string[]; cc?: string[]; subject: string; text?: string; html?: string }
export interface SmtpSettings { host: string; port: number; secure: boolean; user?: string; password?: string; from?: string }
export interface HttpRequest { method: string; url: string; headers: Record<string, string>; body?: string; timeoutMs?: number }
export interface HttpResponse { status: number; headers: Record<string, string>; body: string; durationMs: number }

export interface CodeRequest {
  language: 'javascript' | 'python';
  code: string;
  /** Zapier's input_data: a dict of strings. */
  inputData: Record<string, string>;
  timeoutMs: number;
  memoryMb: number;
}
export type CodeResult =
  | { ok: true; output: unknown; logs: string[]; durationMs: number }
  | { ok: false; error: string; kind: 'timeout' | 'memory' | 'exception' | 'output' | 'sandbox'; logs: string[]; durationMs: number };
