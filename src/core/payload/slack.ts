/**
 * SLACK-type webhook bodies, byte-compatible with Determined (spec determined-webhooks.md §3.3).
 *
 * Go structs, in wire key order: SlackMessageBody{blocks, attachments?}, SlackAttachment{color, blocks},
 * SlackBlock{type, text, fields?}, SlackField{type, text}. `attachments`/`fields` are omitted when nil; `text` is a
 * struct value and always emitted. Bodies go through goJson, so Slack's `<url | label>` links leave as `\u003c…\u003e`.
 */
import { goJson } from '../gojson.js';
import type { CustomData, ExperimentSnapshot, TaskLogFacts } from '../types.js';

interface SlackField {
  type: 'plain_text' | 'mrkdwn';
  text: string;
}
interface SlackBlock {
  type: 'section';
  text: SlackField;
  fields?: SlackField[];
}

const mrkdwn = (text: string): SlackField => ({ type: 'mrkdwn', text });

/** Our addition, not Determined's: a configured base URL loses its trailing slash(es), so links never contain `//det`.
 * An empty result means "no base URL" (§3.3: links only when `webhooks.base_url` is set). */
export function normalizeBaseUrl(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, '');
}

/** Go `fmt` `%v` of an integer-valued float64: %g with shortest digits, so exponent form from 1e6 on
 * (`1e+06`, `1.234567e+06`, two-digit exponent minimum) and `-0` for negative zero. */
function goFloatV(x: number): string {
  if (Object.is(x, -0)) return '-0';
  if (Math.abs(x) < 1e6) return String(x);
  return x.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
}

/**
 * `{H}h {M}min` exactly as Determined computes it (§3.3): Go `Duration.Hours()` = float64(d/Hour) +
 * float64(d%Hour)/3.6e12, then `math.Modf`, minutes = `int(frac * 60)` (truncated), hours printed with `%v`.
 * The same IEEE-754 operations in the same order give bit-identical results (e.g. 3725 s → `1h 2min`).
 */
export function slackDuration(startMs: number, endMs: number): string {
  const ms = endMs - startMs;
  const rem = ms % 3_600_000; // sign follows the dividend, like Go's %
  const hours = (ms - rem) / 3_600_000 + (rem * 1e6) / 3.6e12;
  const whole = Math.trunc(hours); // Modf: integer part keeps the sign (-0 for -0.5)
  const minutes = Math.trunc((hours - whole) * 60) || 0;
  return `${goFloatV(whole)}h ${minutes}min`;
}

/** Per-state message text, link prefix, attachment colour and `*Status*` value (§3.3). */
function stateStyle(state: string): { status: string; prefix: string; color: string; label: string } {
  switch (state) {
    case 'COMPLETED':
      return { status: 'Your experiment completed successfully 🎉', prefix: '✅ ', color: '#13B670', label: 'Completed' };
    case 'ERROR':
      return { status: 'Your experiment has stopped with errors', prefix: '❌ ', color: '#DD5040', label: 'Errored' };
    default:
      // §3.3 "other": raw state in the text and the status field, no emoji prefix, colour #009bde (lowercase as written).
      return { status: `The status of your experiment is ${state}`, prefix: '', color: '#009bde', label: state };
  }
}

/** State change and CUSTOM messages (Determined `generateSlackPayload`). */
export function slackExperimentBody(a: {
  experiment: ExperimentSnapshot;
  trialId: number | null;
  custom: CustomData | null;
  baseUrl: string;
  nowMs: number;
}): string {
  const e = a.experiment;
  const base = normalizeBaseUrl(a.baseUrl);
  const style = stateStyle(e.state);
  const label = `${e.name} (#${e.id})`;
  const headline = style.prefix + (base !== '' ? `<${base}/det/experiments/${e.id}/overview | ${label}>` : label);

  const fields: SlackField[] = [
    mrkdwn(`*Status*: ${style.label}`),
    mrkdwn(`*Duration*: ${slackDuration(e.startTimeMs, e.endTimeMs ?? a.nowMs)}`), // end = now while running
  ];
  // Determined resolves workspace/project ids (by config name) only when the base URL and BOTH names are set;
  // otherwise, or when unresolved (id 0), the names are printed plain. An empty name omits its field.
  const resolve = base !== '' && e.workspace !== '' && e.project !== '';
  if (e.workspace !== '') {
    fields.push(
      mrkdwn(
        resolve && e.workspaceId !== 0
          ? `*Workspace*: <${base}/det/workspaces/${e.workspaceId}/projects | ${e.workspace}>`
          : `*Workspace*: ${e.workspace}`,
      ),
    );
  }
  if (e.project !== '') {
    fields.push(
      mrkdwn(
        resolve && e.projectId !== 0
          ? `*Project*: <${base}/det/projects/${e.projectId} | ${e.project}>`
          : `*Project*: ${e.project}`,
      ),
    );
  }
  if (a.trialId !== null && a.trialId > 0) fields.push(mrkdwn(`*Trial ID*: ${a.trialId}`));

  // §3.3 "CUSTOM adds fields to the top block": Determined's generateSlackPayload replaces the status block by
  // `{type: section, text: {plain_text "Event Data"}, fields: [Level, Title, Description]}` when there is event data.
  const top: SlackBlock = a.custom === null
    ? { type: 'section', text: { type: 'plain_text', text: style.status } }
    : {
        type: 'section',
        text: { type: 'plain_text', text: 'Event Data' },
        fields: [
          mrkdwn(`*Level*: ${a.custom.level}`),
          mrkdwn(`*Title*: ${a.custom.title}`),
          mrkdwn(`*Description*: ${a.custom.description}`),
        ],
      };
  const experimentBlock: SlackBlock = { type: 'section', text: mrkdwn(headline), fields };
  return goJson({ blocks: [top], attachments: [{ color: style.color, blocks: [experimentBlock] }] });
}

/** TASK_LOG messages (Determined `generateLogPatternSlackPayload`): one mrkdwn section, no attachments. */
export function slackTaskLogBody(a: { regex: string; task: TaskLogFacts; baseUrl: string }): string {
  const t = a.task;
  const matched = '```' + t.log + '```\nThis log matched the regex\n```' + a.regex + '```\n';
  let text: string;
  if (t.experimentId !== null && t.trialId !== null) {
    // Trial task: ids in the header, then a link to the trial's logs (or the bare path without a base URL).
    const base = normalizeBaseUrl(a.baseUrl);
    const path = `/det/experiments/${t.experimentId}/trials/${t.trialId}/logs`;
    text =
      `Experiment ID \`${t.experimentId}\`, Trial ID \`${t.trialId}\`, running on node \`${t.nodeName}\`, reported a log\n` +
      matched +
      (base !== '' ? `<${base}${path} | View full logs here>` : `View full logs at ${path}`);
  } else {
    // Any other task (notebook, command, …): task id and type, no link.
    text = `Task ID \`${t.taskId}\`, task type \`${t.taskType}\`, running on node \`${t.nodeName}\`, reported a log\n` + matched;
  }
  const block: SlackBlock = { type: 'section', text: mrkdwn(text) };
  return goJson({ blocks: [block] });
}

/** The Slack test message (§3.3), sent unsigned and without a Content-Type by Determined. */
export function slackTestBody(): string {
  return goJson({ blocks: [{ type: 'section', text: { type: 'plain_text', text: 'test' } }] });
}
