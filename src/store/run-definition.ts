/** The flow definitions that runs keep: stored as text, read back as one shared, frozen object per text. */

/**
 * A run keeps the definition it started with, as text; the runs of one flow share one text. Parsed once and shared
 * (frozen: nothing may change a run's definition), which also lets the runner work out each step's fixed parts once.
 */
const parsedDefinitions = new Map<string, unknown>();
function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}
export function parseDefinition(text: string): unknown {
  let d = parsedDefinitions.get(text);
  if (d === undefined) {
    d = deepFreeze(JSON.parse(text) as unknown);
    if (parsedDefinitions.size >= 64) parsedDefinitions.delete(parsedDefinitions.keys().next().value!);
    parsedDefinitions.set(text, d);
  }
  return d;
}
/** The text of a definition object (a flow's, cached while the flow is): stringified once, not per capture. */
const definitionTexts = new WeakMap<object, string>();
export function definitionText(d: unknown): string {
  if (!d || typeof d !== 'object') return JSON.stringify(d);
  let t = definitionTexts.get(d);
  if (t === undefined) definitionTexts.set(d, (t = JSON.stringify(d)));
  return t;
}

/** The definition a run created from `d` reads, as a claim of that run would: the shared, frozen parse of its text. */
export function runDefinitionOf(d: unknown): unknown {
  return parseDefinition(definitionText(d));
}
