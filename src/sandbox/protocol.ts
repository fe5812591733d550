/**
 * Messages between the CodeRunner (main thread) and its sandbox workers. Everything that crosses is plain data:
 * the input goes in as a JSON string, the output comes back as a JSON string, logs as strings.
 */
import type { CodeResult } from '../core/flow/types.js';

export type FailureKind = Extract<CodeResult, { ok: false }>['kind'];

export interface RunMessage {
  t: 'run';
  id: number;
  code: string;
  /** JSON of the input_data / inputData dict. */
  input: string;
  timeoutMs: number;
  memoryMb: number;
}

export type WorkerOutcome =
  | { ok: true; outputJson: string; logs: string[] }
  | { ok: false; kind: FailureKind; error: string; logs: string[] };

export type WorkerMessage =
  | { t: 'ready' }
  | { t: 'fatal'; error: string }
  /** `recycle`: the worker's interpreter should not be reused (memory grew, state could not be reset, …). */
  | { t: 'result'; id: number; outcome: WorkerOutcome; recycle: boolean };

/** Data given to a worker at start. */
export interface WorkerInit {
  /**
   * Python only: an Int32Array over this buffer. Word INTERRUPT is Pyodide's interrupt buffer (2 = SIGINT); RUNNING
   * is the id of the run the worker is running (the pool swaps it for its negation to claim an interrupt);
   * INTERRUPT_ACK is the id whose interrupt the pool has stored.
   */
  interrupt?: SharedArrayBuffer;
}

export const INTERRUPT = 0;
export const RUNNING = 1;
export const INTERRUPT_ACK = 2;
export const INTERRUPT_WORDS = 3;

export const MIB = 1024 * 1024;

/** Limits that are not per request. */
export const LIMITS = {
  /** Largest output, in characters of JSON. */
  maxOutputChars: 8 * MIB,
  /** Logs kept per run. */
  maxLogChars: 256 * 1024,
  maxLogLines: 1000,
  /** A worker whose interpreter heap grew this far above its warm-up size is replaced after the run. */
  recycleAboveBaselineBytes: 96 * MIB,
  minTimeoutMs: 1,
  maxTimeoutMs: 15 * 60 * 1000,
  minMemoryMb: 8,
  maxMemoryMb: 2048,
} as const;

export function timeoutMessage(timeoutMs: number): string {
  return `the code ran longer than ${timeoutMs} ms and was stopped`;
}

export function memoryMessage(memoryMb: number, detail?: string): string {
  return `the code used more than its ${memoryMb} MB of memory and was stopped${detail ? ` (${detail})` : ''}`;
}
