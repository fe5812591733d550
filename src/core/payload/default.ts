/**
 * DEFAULT-type webhook bodies, byte-compatible with Determined (spec determined-webhooks.md §3.1, §3.2).
 *
 * The objects below mirror Go's structs: key insertion order = struct field order, and a member left `undefined`
 * is an `omitempty` field that Go would leave out. goJson turns them into the exact wire bytes.
 */
import { goJson } from '../gojson.js';
import type { CustomData, ExperimentSnapshot, TaskLogFacts } from '../types.js';

/**
 * Go `int((EndTime - StartTime).Seconds())` (§3.1): whole seconds truncated toward zero, 0 while not ended.
 * Duration.Seconds() is float64(sec) + float64(nsec)/1e9; we reproduce that sum so int() truncates identically.
 */
export function experimentDurationSeconds(startMs: number, endMs: number | null): number {
  if (endMs === null) return 0;
  const ms = endMs - startMs;
  const sec = Math.trunc(ms / 1000);
  const frac = ((ms % 1000) * 1e6) / 1e9;
  return Math.trunc(sec + frac) || 0; // `|| 0` turns -0 into 0
}

/** `event_data.experiment` (Go ExperimentPayload). `trial_id` is set only when > 0 (Go: `trialID != nil && *trialID > 0`,
 * then `omitempty` drops the zero). */
function experimentPayload(e: ExperimentSnapshot, trialId: number | null): Record<string, unknown> {
  return {
    id: e.id,
    state: e.state,
    name: e.name,
    duration: experimentDurationSeconds(e.startTimeMs, e.endTimeMs),
    resource_pool: e.resourcePool,
    slots_per_trial: e.slotsPerTrial,
    workspace: e.workspace,
    project: e.project,
    trial_id: trialId !== null && trialId > 0 ? trialId : undefined,
  };
}

/** Go `Condition`: both members are `omitempty`. */
function condition(state: string, regex: string): Record<string, unknown> {
  return { state: state === '' ? undefined : state, regex: regex === '' ? undefined : regex };
}

/** The envelope (Go EventPayload): event_id, event_type, timestamp, condition, event_data. */
function envelope(
  eventId: string,
  eventType: string,
  timestampSec: number,
  cond: Record<string, unknown>,
  eventData: { data?: string; experiment?: unknown; task_log?: unknown; custom_data?: unknown },
): string {
  // event_data members in Go struct order; each is omitempty (nil pointer / empty string).
  const data = {
    data: eventData.data,
    experiment: eventData.experiment,
    task_log: eventData.task_log,
    custom_data: eventData.custom_data,
  };
  return goJson({ event_id: eventId, event_type: eventType, timestamp: timestampSec, condition: cond, event_data: data });
}

/**
 * EXPERIMENT_STATE_CHANGE or CUSTOM (§3.2): condition.state = the experiment's current state in both cases;
 * custom_data {title, description, level} (no omitempty inside) when `custom` is given.
 */
export function defaultExperimentBody(a: {
  triggerType: string;
  eventId: string;
  timestampSec: number;
  experiment: ExperimentSnapshot;
  trialId: number | null;
  custom: CustomData | null;
}): string {
  const custom =
    a.custom === null ? undefined : { title: a.custom.title, description: a.custom.description, level: a.custom.level };
  return envelope(a.eventId, a.triggerType, a.timestampSec, condition(a.experiment.state, ''), {
    experiment: experimentPayload(a.experiment, a.trialId),
    custom_data: custom,
  });
}

/** TASK_LOG (§3.2): condition.regex, event_data.task_log {task_id, node_name, triggering_log}. */
export function defaultTaskLogBody(a: { eventId: string; timestampSec: number; regex: string; task: TaskLogFacts }): string {
  return envelope(a.eventId, 'TASK_LOG', a.timestampSec, condition('', a.regex), {
    task_log: { task_id: a.task.taskId, node_name: a.task.nodeName, triggering_log: a.task.log },
  });
}

/** The test event (§3.2): event_type and condition are hard-coded by Determined, event_data is {"data":"test"}. */
export function defaultTestBody(a: { eventId: string; timestampSec: number }): string {
  return envelope(a.eventId, 'EXPERIMENT_STATE_CHANGE', a.timestampSec, condition('COMPLETED', ''), { data: 'test' });
}
