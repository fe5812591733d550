/**
 * Glossary and shared types of Switchyard's pure core.
 *
 * - webhook: a registered endpoint (Determined's `webhooks` row): url, type (DEFAULT | SLACK), optional workspace
 *   (null = global), mode (WORKSPACE | SPECIFIC), a name unique in its workspace, and one or more triggers.
 * - trigger: what fires a webhook: EXPERIMENT_STATE_CHANGE {state}, TASK_LOG {regex}, CUSTOM {}, METRIC_THRESHOLD_EXCEEDED
 *   (stored, never fired, as in Determined).
 * - event: one rendered payload for one (trigger, fact); its `event_id` (UUIDv4) is stable across every attempt.
 * - delivery: the outbox row that carries one event to one URL; attempts are its tries.
 * - experiment / task: the facts producers report; they fire triggers.
 * - capture, flow, run, step: the receiving side (issue 4).
 *
 * Everything in src/core is a function of its inputs and an injected Clock: no I/O imports.
 */

export const WEBHOOK_TYPES = ['DEFAULT', 'SLACK'] as const;
export type WebhookType = (typeof WEBHOOK_TYPES)[number];

export const WEBHOOK_MODES = ['WORKSPACE', 'SPECIFIC'] as const;
export type WebhookMode = (typeof WEBHOOK_MODES)[number];

export const TRIGGER_TYPES = ['EXPERIMENT_STATE_CHANGE', 'METRIC_THRESHOLD_EXCEEDED', 'TASK_LOG', 'CUSTOM'] as const;
export type TriggerType = (typeof TRIGGER_TYPES)[number];

/** Determined's experiment states (`master/pkg/model/experiment.go`). */
export const EXPERIMENT_STATES = [
  'ACTIVE', 'CANCELED', 'COMPLETED', 'ERROR', 'PAUSED', 'STOPPING_KILLED', 'STOPPING_CANCELED', 'STOPPING_COMPLETED',
  'STOPPING_ERROR', 'DELETING', 'DELETE_FAILED', 'DELETED', 'PARTIALLY_DELETED', 'RUNNING',
] as const;
export type ExperimentState = (typeof EXPERIMENT_STATES)[number];

/** States after which an experiment has ended (its end time is set on entering one). */
export const TERMINAL_STATES: ReadonlySet<string> = new Set(['COMPLETED', 'CANCELED', 'ERROR']);

/** Determined's log levels as they appear in payloads (`LOG_LEVEL_` stripped). */
export const LOG_LEVELS = ['UNSPECIFIED', 'TRACE', 'DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A clock, injected everywhere time matters, so tests move time instead of sleeping. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}
export const systemClock: Clock = { now: () => Date.now() };

/** The `integrations.webhooks` block of an experiment config (expconf), as Determined defines it. */
export interface WebhookIntegrations {
  webhook_id: number[] | null;
  webhook_name: string[] | null;
  exclude: boolean;
}

/** What the renderers need to know about an experiment at the time of an event. */
export interface ExperimentSnapshot {
  id: number;
  state: string;
  name: string;
  resourcePool: string;
  slotsPerTrial: number;
  /** The config's workspace name ("" = the default workspace). */
  workspace: string;
  /** The config's project name ("" = the default project). */
  project: string;
  workspaceId: number;
  projectId: number;
  startTimeMs: number;
  endTimeMs: number | null;
}

export interface CustomData {
  title: string;
  description: string;
  /** Without the LOG_LEVEL_ prefix, e.g. DEBUG. */
  level: string;
}

export interface TaskLogFacts {
  taskId: string;
  /** e.g. TRIAL, NOTEBOOK, COMMAND. */
  taskType: string;
  /** The agent id that reported the log. */
  nodeName: string;
  /** The full log line that matched. */
  log: string;
  experimentId: number | null;
  trialId: number | null;
}
