/**
 * A flow's definition (issue "Receiver"): what its catch hook answers, how it dedupes and rate-limits, and its steps.
 *
 * ```json
 * { "name": "Determined → email", "steps": [
 *   { "id": "verify", "type": "verify_signature", "config": { "preset": "determined" } },
 *   { "id": "legit", "type": "filter", "when": { "left": "steps.verify.result", "op": "equals", "right": "PASS" } },
 *   { "id": "route", "type": "paths", "paths": [
 *     { "name": "errors", "when": { "left": "steps.verify.payload.event_data.experiment.state", "op": "equals", "right": "ERROR" },
 *       "steps": [{ "id": "alert", "type": "raise_alert", "config": { "name": "experiment failed" } }] },
 *     { "name": "others", "fallback": true, "steps": [] } ] } ] }
 * ```
 *
 * Control steps (`filter`, `paths`) are validated here; any other `type` is an action whose type and config the
 * step registry validates (pass `checkAction` to have its problems reported with the same JSON paths).
 * Rules beyond the shape: step ids unique across the whole flow (nested paths included), paths nesting depth ≤ 3,
 * at most 100 steps in all.
 */
import { z } from 'zod';
import { conditionSchema, formatJsonPath } from './conditions.js';
import type { Condition } from './conditions.js';
import { hasPlaceholder } from './template.js';

export const CONTROL_TYPES = ['filter', 'paths'] as const;
export type ControlType = (typeof CONTROL_TYPES)[number];
export const STEP_ID_PATTERN = /^[a-z][a-z0-9_]{0,39}$/;
export const MAX_STEPS = 100;
export const MAX_PATHS_DEPTH = 3;
export const MAX_DEDUP_WINDOW_SECONDS = 604_800;

export interface ActionStep {
  id: string;
  /** Any registry type (never `filter` or `paths`). */
  type: string;
  name?: string;
  config?: Record<string, unknown>;
  retry?: { attempts: number };
}
export interface FilterStep { id: string; type: 'filter'; name?: string; when: Condition }
export interface PathBranch { name: string; when?: Condition; fallback?: boolean; steps: Step[] }
export interface PathsStep { id: string; type: 'paths'; name?: string; paths: PathBranch[] }
export type Step = ActionStep | FilterStep | PathsStep;

export interface FlowResponse { status: number; headers?: Record<string, string>; body?: string }
export interface FlowDedup { key: string; windowSeconds: number }
export interface FlowRateLimit { perSecond: number; burst?: number }

export interface FlowDefinition {
  name: string;
  description?: string;
  enabled: boolean;
  steps: Step[];
  /** The catch hook's static answer (default: decided by the receiver). */
  response?: FlowResponse;
  /** Drop a capture whose rendered key was already seen within the window. */
  dedup?: FlowDedup;
  rateLimit?: FlowRateLimit;
}

export interface FlowProblem { path: string; message: string }
export type FlowParseResult =
  | { ok: true; definition: FlowDefinition }
  | { ok: false; problems: string[]; issues: FlowProblem[] };

export interface ParseOptions {
  /** The registry's check of an action step; messages' paths are relative to the step (e.g. `config.to`). */
  checkAction?: (step: ActionStep) => FlowProblem[];
}

export function isFilterStep(s: Step): s is FilterStep { return s.type === 'filter'; }
export function isPathsStep(s: Step): s is PathsStep { return s.type === 'paths'; }
export function isActionStep(s: Step): s is ActionStep { return !(CONTROL_TYPES as readonly string[]).includes(s.type); }

const idSchema = z.string().regex(STEP_ID_PATTERN,
  'must match ^[a-z][a-z0-9_]{0,39}$ (a lowercase letter, then up to 39 lowercase letters, digits or _)');
const nameSchema = z.string().min(1, 'must not be empty').max(200, 'must be at most 200 characters');
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const actionSchema = z.strictObject({
  id: idSchema,
  type: z.string().min(1, 'must not be empty').max(100),
  name: nameSchema.optional(),
  config: z.record(z.string(), z.unknown()).optional(),
  retry: z.strictObject({ attempts: z.number().int().min(1).max(10) }).optional(),
});
const filterSchema = z.strictObject({
  id: idSchema, type: z.literal('filter'), name: nameSchema.optional(), when: conditionSchema,
});

const branchSchema = z
  .strictObject({
    name: nameSchema,
    when: conditionSchema.optional(),
    fallback: z.boolean().optional(),
    steps: z.array(z.lazy(() => stepSchema)),
  })
  .superRefine((b, ctx) => {
    if (b.fallback === true && b.when !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['when'], message: 'a fallback path has no when (it runs when no other path matched)' });
    }
    if (b.fallback !== true && b.when === undefined) {
      ctx.addIssue({ code: 'custom', path: ['when'], message: 'is required (or mark the path "fallback": true)' });
    }
  });

const pathsSchema = z
  .strictObject({
    id: idSchema, type: z.literal('paths'), name: nameSchema.optional(),
    paths: z.array(branchSchema).min(1, 'must hold at least one path').max(20),
  })
  .superRefine((s, ctx) => {
    const fallbacks = s.paths.flatMap((p, i) => (p.fallback === true ? [i] : []));
    for (const i of fallbacks.slice(1)) {
      ctx.addIssue({ code: 'custom', path: ['paths', i, 'fallback'], message: `only one path may be the fallback (paths[${fallbacks[0]}] already is)` });
    }
  });

/** A step, validated by the schema its `type` selects, so problems point into the right shape. */
const stepSchema: z.ZodType<Step> = z.unknown().transform((v, ctx): Step => {
  const type = v !== null && typeof v === 'object' ? (v as { type?: unknown }).type : undefined;
  const schema = type === 'filter' ? filterSchema : type === 'paths' ? pathsSchema : actionSchema;
  const r = schema.safeParse(v);
  if (!r.success) {
    for (const issue of r.error.issues) ctx.addIssue({ ...issue } as Parameters<typeof ctx.addIssue>[0]);
    return z.NEVER;
  }
  return r.data as Step;
});

const responseSchema = z.strictObject({
  status: z.number().int().min(100).max(599),
  headers: z.record(
    z.string().regex(HEADER_NAME, 'must be a valid HTTP header name'),
    z.string().max(8192).refine((v) => !/[\r\n\0]/.test(v), 'must not contain CR, LF or NUL'),
  ).optional(),
  body: z.string().max(1_048_576).optional(),
});

const dedupSchema = z.strictObject({
  key: z.string().min(1).max(1000).refine(hasPlaceholder,
    'must contain a {{placeholder}}, e.g. {{capture.headers.x-request-id}} (a constant key would drop every request after the first)'),
  windowSeconds: z.number().int().min(1).max(MAX_DEDUP_WINDOW_SECONDS),
});

const rateLimitSchema = z.strictObject({
  perSecond: z.number().positive().max(100_000),
  burst: z.number().int().min(1).max(1_000_000).optional(),
});

export const flowDefinitionSchema = z.strictObject({
  name: nameSchema,
  description: z.string().max(5000).optional(),
  enabled: z.boolean().default(true),
  steps: z.array(stepSchema),
  response: responseSchema.optional(),
  dedup: dedupSchema.optional(),
  rateLimit: rateLimitSchema.optional(),
});

export interface StepLocation {
  step: Step;
  /** JSON path of the step, e.g. `steps[2].paths[0].steps[1]`. */
  path: string;
  /** Number of enclosing paths steps (0 at top level). */
  depth: number;
}

/** Every step of a step list in document order (a paths step before its branches' steps). */
export function flattenSteps(steps: Step[], base = 'steps', depth = 0): StepLocation[] {
  const out: StepLocation[] = [];
  steps.forEach((step, i) => {
    const path = `${base}[${i}]`;
    out.push({ step, path, depth });
    if (isPathsStep(step)) {
      step.paths.forEach((b, j) => out.push(...flattenSteps(b.steps, `${path}.paths[${j}].steps`, depth + 1)));
    }
  });
  return out;
}

function friendly(issue: z.core.$ZodIssue): FlowProblem[] {
  const path = formatJsonPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => ({ path: path === '' ? k : `${path}.${k}`, message: 'unknown field' }));
  }
  let message = issue.code === 'invalid_key' && issue.issues[0] ? issue.issues[0].message : issue.message;
  const m = /^Invalid input: expected (\w+), received (\w+)$/.exec(message);
  if (m) {
    const want = m[1] === 'int' ? 'integer' : m[1]!;
    message = m[2] === 'undefined' ? 'is required' : `must be ${/^[aeiou]/.test(want) ? 'an' : 'a'} ${want} (got ${m[2]})`;
  }
  return [{ path, message }];
}

function structuralProblems(def: FlowDefinition, opts: ParseOptions): FlowProblem[] {
  const problems: FlowProblem[] = [];
  const all = flattenSteps(def.steps);
  if (all.length > MAX_STEPS) {
    problems.push({ path: 'steps', message: `a flow holds at most ${MAX_STEPS} steps (this one has ${all.length}, nested paths included)` });
  }
  const seen = new Map<string, string>();
  for (const { step, path, depth } of all) {
    const first = seen.get(step.id);
    if (first !== undefined) {
      problems.push({ path: `${path}.id`, message: `duplicate step id "${step.id}" (already used at ${first}); ids are unique across the whole flow` });
    } else {
      seen.set(step.id, `${path}.id`);
    }
    if (isPathsStep(step) && depth + 1 > MAX_PATHS_DEPTH) {
      problems.push({ path, message: `paths nested too deep (depth ${depth + 1}; at most ${MAX_PATHS_DEPTH})` });
    }
    if (isActionStep(step) && opts.checkAction) {
      for (const p of opts.checkAction(step)) problems.push({ path: p.path === '' ? path : `${path}.${p.path}`, message: p.message });
    }
  }
  return problems;
}

/** Formats a problem as `path: message` (`(root)` for the whole document). */
export function formatProblem(p: FlowProblem): string {
  return `${p.path === '' ? '(root)' : p.path}: ${p.message}`;
}

/**
 * Parses and validates a flow definition (an object, or its JSON text). Never throws: either the typed definition
 * (defaults applied) or every problem found, each with its JSON path.
 */
export function parseFlowDefinition(input: unknown, opts: ParseOptions = {}): FlowParseResult {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (err) {
      const issues = [{ path: '', message: `not valid JSON: ${(err as Error).message}` }];
      return { ok: false, problems: issues.map(formatProblem), issues };
    }
  }
  const r = flowDefinitionSchema.safeParse(value);
  const issues = r.success ? structuralProblems(r.data as FlowDefinition, opts) : r.error.issues.flatMap(friendly);
  if (r.success && issues.length === 0) return { ok: true, definition: r.data as FlowDefinition };
  return { ok: false, problems: issues.map(formatProblem), issues };
}
