/**
 * The step registry: every step type a flow can use, with its config schema and `run`.
 *
 * Contract for the runner:
 * - The config a step receives is already rendered from templates (strings may hold anything) and has passed
 *   `validateStepConfig` (which also normalises it: "2525" → 2525, "a@x, b@y" → ["a@x", "b@y"]). `runStep` does both.
 * - Secret references (`{"secret": "NAME"}`) stay in the config: a step resolves them itself, only in the fields that
 *   allow one, and scrubs their values (`[secret NAME]`) from its outcome. Record inputs with `redactSecretRefs`.
 * - A step never throws: failures come back as `{ status: 'error', error, retryable }`. `retryable` says whether an
 *   automatic retry can help (actions only); a permanent failure (bad config, 5xx SMTP reply, Slack 4xx, SSRF
 *   refusal, missing secret) is not retried.
 */
import type { z } from 'zod';
import type { StepOutcome, StepServices } from '../../core/flow/types.js';
import { codeStep } from '../builtin/code.js';
import { verifySignatureStep } from '../builtin/verify-signature.js';
import { alertStep } from './alert/index.js';
import { errorMessage, fail, scrubOutcome } from './common.js';
import { httpRequestStep } from './http_request/index.js';
import { noopStep } from './noop/index.js';
import { postSlackStep } from './post_slack/index.js';
import { SecretScope, secretRefNames } from './secrets.js';
import { sendEmailStep } from './send_email/index.js';

export { redactSecretRefs, resolveSecretRefs, SecretScope, MissingSecretError, isSecretRef, secretRefNames, type SecretRef } from './secrets.js';

export interface StepDefinition<C> {
  type: string;
  title: string;
  configSchema: z.ZodType<C>;
  /** true for steps whose failures are retried automatically (actions) */
  action: boolean;
  run(config: C, services: StepServices, signal: AbortSignal): Promise<StepOutcome>;
}

export const stepRegistry: Record<string, StepDefinition<any>> = {
  [sendEmailStep.type]: sendEmailStep,
  [postSlackStep.type]: postSlackStep,
  [httpRequestStep.type]: httpRequestStep,
  [alertStep.type]: alertStep,
  [noopStep.type]: noopStep,
  // Defined beside the receiver (src/receiver/builtin): the seed's signature check and the sandboxed code step.
  [verifySignatureStep.type]: verifySignatureStep,
  [codeStep.type]: codeStep,
};

/** Adds a step type defined elsewhere (e.g. a code or verify step); a type can be registered once. */
export function registerStep<C>(def: StepDefinition<C>): void {
  if (!/^[a-z][a-z0-9_]*$/.test(def.type)) throw new Error(`step type ${JSON.stringify(def.type)}: use lower_snake_case`);
  if (Object.prototype.hasOwnProperty.call(stepRegistry, def.type)) throw new Error(`step type ${JSON.stringify(def.type)} is already registered`);
  stepRegistry[def.type] = def;
}

/** The registered types with their titles, for listings. */
export function stepTypes(): { type: string; title: string; action: boolean }[] {
  return Object.values(stepRegistry).map(({ type, title, action }) => ({ type, title, action }));
}

export type ValidationResult = { ok: true; config: unknown } | { ok: false; problems: string[] };

/** `config.to[0]`, `config.headers["x y"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let s = 'config';
  for (const k of path) {
    if (typeof k === 'number') s += `[${k}]`;
    else if (typeof k === 'string' && /^[A-Za-z_$][\w$-]*$/.test(k)) s += `.${k}`;
    else s += `[${JSON.stringify(String(k))}]`;
  }
  return s;
}

/** Is the value at `path` absent from an object that exists (a missing key), as opposed to present or unreachable? */
function isMissing(input: unknown, path: readonly PropertyKey[]): boolean {
  let cur = input;
  for (const [i, k] of path.entries()) {
    if (typeof cur !== 'object' || cur === null) return false;
    if (!Object.prototype.hasOwnProperty.call(cur, k)) return i === path.length - 1;
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return cur === undefined;
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  if ((issue.code === 'invalid_type' || issue.code === 'invalid_union') && isMissing(input, issue.path)) return 'is required';
  switch (issue.code) {
    case 'invalid_type': {
      if (!issue.message.startsWith('Invalid input')) return issue.message; // a schema's own wording
      const e = String(issue.expected);
      return `must be ${/^[aeiou]/.test(e) ? 'an' : 'a'} ${e}`;
    }
    case 'unrecognized_keys':
      return `unknown ${issue.keys.length > 1 ? 'keys' : 'key'} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    case 'invalid_key':
      return `has an invalid key: ${issue.issues.map((i) => i.message).join('; ')}`;
    default:
      return issue.message;
  }
}

/** Checks (and normalises) a rendered config against its step's schema; problems read `config.to[0]: must be …`. */
export function validateStepConfig(type: string, config: unknown): ValidationResult {
  const def = stepRegistry[type];
  if (!def) return { ok: false, problems: [`unknown step type ${JSON.stringify(type)}; known: ${Object.keys(stepRegistry).join(', ')}`] };
  const parsed = def.configSchema.safeParse(config);
  if (parsed.success) return { ok: true, config: parsed.data };
  const problems = parsed.error.issues.map((issue) => `${formatPath(issue.path)}: ${describeIssue(issue, config)}`);
  return { ok: false, problems: [...new Set(problems)] };
}

/**
 * Validates and runs one step. Never throws; an invalid config is a permanent failure. Any secret referenced anywhere
 * in the config is scrubbed from the outcome (on top of the step's own scrubbing).
 */
export async function runStep(type: string, config: unknown, services: StepServices, signal: AbortSignal): Promise<StepOutcome> {
  const checked = validateStepConfig(type, config);
  if (!checked.ok) return fail(`invalid ${type} config: ${checked.problems.join('; ')}`, false);
  return runCheckedStep(type, checked.config, secretRefNames(config), services, signal);
}

/**
 * `runStep` for a config already validated (and normalised) by `validateStepConfig`: the runner checks a config
 * without templates once per flow definition instead of once per run. `secretNames`: the references in the config.
 */
export async function runCheckedStep(type: string, checkedConfig: unknown, secretNames: readonly string[], services: StepServices, signal: AbortSignal): Promise<StepOutcome> {
  const def = stepRegistry[type];
  if (!def) return fail(`unknown step type ${JSON.stringify(type)}`, false);
  const scope = new SecretScope((name) => services.secret(name));
  for (const name of secretNames) scope.remember(name);
  let outcome: StepOutcome;
  try {
    outcome = await def.run(checkedConfig, services, signal);
  } catch (e) {
    outcome = fail(`step ${type} failed unexpectedly: ${errorMessage(e)}`, def.action);
  }
  return scrubOutcome(scope, outcome);
}
