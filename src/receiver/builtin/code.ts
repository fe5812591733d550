/**
 * `code`: user JavaScript (QuickJS) or Python (Pyodide), both WebAssembly, in worker threads with time and memory
 * limits. Code by Zapier's contract: `input_data` (Python) / `inputData` (JavaScript) is a dict of strings mapped
 * from earlier data by templates, and the code returns a dict (or a list of dicts), which becomes the step's output.
 *
 * An `inputData` value may be `{"secret": "NAME"}`: the code gets the secret's value as that string, so a signing key
 * (the seed's `webhook_signing_key`) lives in the secrets store, not in the flow definition, which the API returns
 * and exports in full. The recorded input keeps the reference (`[secret NAME]`); the value is scrubbed from the
 * output and error (and the runner scrubs every secret's value on top). Code that transforms the value (encodes or
 * slices it) can get it past the scrubber: give a secret only to code you trust with it.
 */
import { z } from 'zod';
import type { StepDefinition } from '../steps/registry.js';
import { fail, ok, withSecrets } from '../steps/common.js';
import { isSecretRef, secretRefSchema } from '../steps/secrets.js';

/**
 * One `inputData` value: a template (text), a secret reference, or anything else (passed as its JSON text). Only an
 * object that is a reference by shape (`{"secret": "<text>"}`) is checked as one, so a bad name is a config problem
 * rather than silently becoming the text '{"secret":"…"}'. (A reference a template produced at run time arrives as
 * that text already: the runner only lets the flow's author name secrets.)
 */
const inputValue = z.unknown().superRefine((v, ctx) => {
  if (!isSecretRef(v)) return;
  const r = secretRefSchema.safeParse(v);
  if (!r.success) for (const i of r.error.issues) ctx.addIssue({ code: 'custom', message: i.message, path: i.path });
});

export const codeConfigSchema = z.strictObject({
  language: z.enum(['python', 'javascript']),
  code: z.string().min(1).max(100_000),
  /** Values are rendered templates or `{"secret": "NAME"}`; anything else is passed as its JSON text. */
  inputData: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'must be a name of letters, digits and _'), inputValue).default({}),
  timeoutMs: z.number().int().min(10).max(120_000).optional(),
  memoryMb: z.number().int().min(16).max(2048).optional(),
});
export type CodeStepConfig = z.infer<typeof codeConfigSchema>;

export const codeStep: StepDefinition<CodeStepConfig> = (() => {
  return {
    type: 'code',
    title: 'Run code (Python or JavaScript)',
    configSchema: codeConfigSchema as unknown as z.ZodType<CodeStepConfig>,
    action: false,
    run(config, services, signal) {
      // withSecrets: an unset secret is a permanent failure that says how to set it, and the values resolved here are
      // scrubbed (raw, URL-encoded, JSON-escaped) from what the code returns, prints or raises.
      return withSecrets(services, signal, async (scope) => {
        const inputData: Record<string, string> = {};
        for (const [k, v] of Object.entries(config.inputData)) {
          inputData[k] = isSecretRef(v) ? scope.resolve(v) : typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v);
        }
        const r = await services.runCode({
          language: config.language, code: config.code, inputData,
          // 0: the server's defaults (code.timeout_ms, code.memory_mb), filled in by runCode.
          timeoutMs: config.timeoutMs ?? 0, memoryMb: config.memoryMb ?? 0,
        });
        if (r.ok) return ok(r.output);
        // Code errors repeat on every try; only a sandbox failure (a crashed worker) may go away on a retry.
        return fail(`${config.language} code failed (${r.kind}): ${r.error}`, r.kind === 'sandbox', { logs: r.logs });
      });
    },
  };
})();
