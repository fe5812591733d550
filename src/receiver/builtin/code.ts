/**
 * `code`: user JavaScript (QuickJS) or Python (Pyodide), both WebAssembly, in worker threads with time and memory
 * limits. Code by Zapier's contract: `input_data` (Python) / `inputData` (JavaScript) is a dict of strings mapped
 * from earlier data by templates, and the code returns a dict (or a list of dicts), which becomes the step's output.
 */
import { z } from 'zod';
import type { StepDefinition } from '../steps/registry.js';
import { fail, ok } from '../steps/common.js';

export const codeConfigSchema = z.strictObject({
  language: z.enum(['python', 'javascript']),
  code: z.string().min(1).max(100_000),
  /** Values are rendered templates; anything that is not a string is passed as its JSON text. */
  inputData: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'must be a name of letters, digits and _'), z.unknown()).default({}),
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
    async run(config, services) {
      const inputData: Record<string, string> = {};
      for (const [k, v] of Object.entries(config.inputData)) inputData[k] = typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v);
      const r = await services.runCode({
        language: config.language, code: config.code, inputData,
        // 0: the server's defaults (code.timeout_ms, code.memory_mb), filled in by runCode.
        timeoutMs: config.timeoutMs ?? 0, memoryMb: config.memoryMb ?? 0,
      });
      if (r.ok) return ok(r.output);
      // Code errors repeat on every try; only a sandbox failure (a crashed worker) may go away on a retry.
      return fail(`${config.language} code failed (${r.kind}): ${r.error}`, r.kind === 'sandbox', { logs: r.logs });
    },
  };
})();
