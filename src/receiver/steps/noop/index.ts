/**
 * noop: does nothing and outputs `config.output` (null when absent). Used by benchmarks and tests, and handy as a
 * place to shape data for later steps (its output is the rendered `output`). Other keys are ignored.
 */
import { z } from 'zod';
import type { StepServices } from '../../../core/flow/types.js';
import { ok, StepCancelledError } from '../common.js';
import type { StepDefinition } from '../registry.js';

export const noopConfig = z.object({ output: z.unknown().optional() });

export type NoopConfig = z.output<typeof noopConfig>;

export const noopStep: StepDefinition<NoopConfig> = {
  type: 'noop',
  title: 'Do nothing (pass a value on)',
  configSchema: noopConfig,
  action: false,
  run(config: NoopConfig, _services: StepServices, signal: AbortSignal) {
    if (signal.aborted) return Promise.resolve({ status: 'error', error: new StepCancelledError(signal.reason).message, retryable: true });
    return Promise.resolve(ok(config.output ?? null));
  },
};
