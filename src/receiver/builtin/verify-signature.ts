/**
 * `verify_signature`: the seed's code step, built in. Checks the captured request's signature with one or more keys
 * (rotation) and outputs `{"result": "PASS", "payload": …}` or `{"result": "Signature cannot be verified, request
 * might not be legit", "reason": …, "code": …}` — a verdict, not an error, so paths can route on it.
 */
import { z } from 'zod';
import { verifyConfigSchema, verifySignature, type VerifyConfig } from '../../core/flow/verify.js';
import type { StepDefinition } from '../steps/registry.js';
import { fail, ok } from '../steps/common.js';
import { missingSecretMessage } from '../steps/secrets.js';

const keyRef = z.union([z.string().min(1), z.strictObject({ secret: z.string().min(1) })]);
type KeyRef = z.infer<typeof keyRef>;
export interface VerifyStepConfig { keys: KeyRef[]; verify: VerifyConfig }

const schema = z.unknown().transform((v, ctx): VerifyStepConfig => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    ctx.addIssue({ code: 'custom', message: 'must be an object like {"preset": "determined", "keys": [{"secret": "DET_KEY"}]}' });
    return z.NEVER;
  }
  const { keys, ...rest } = v as Record<string, unknown>;
  const k = z.array(keyRef).min(1).max(10).safeParse(keys);
  if (!k.success) {
    for (const i of k.error.issues) ctx.addIssue({ code: 'custom', message: keys === undefined ? 'is required: one or more keys, e.g. [{"secret": "DET_KEY"}]' : i.message, path: ['keys', ...i.path] });
  }
  const r = verifyConfigSchema.safeParse(rest);
  if (!r.success) for (const i of r.error.issues) ctx.addIssue({ code: 'custom', message: i.message, path: i.path });
  if (!k.success || !r.success) return z.NEVER;
  return { keys: k.data, verify: r.data };
}) as unknown as z.ZodType<VerifyStepConfig>;

export const verifySignatureStep: StepDefinition<VerifyStepConfig> = {
  type: 'verify_signature',
  title: 'Verify signature',
  configSchema: schema,
  action: false,
  async run(config, services) {
    const keys: string[] = [];
    for (const k of config.keys) {
      if (typeof k === 'string') { keys.push(k); continue; }
      const v = services.secret(k.secret);
      if (v === undefined) return fail(missingSecretMessage(k.secret), false);
      keys.push(v);
    }
    return ok(verifySignature(config.verify, services.context.capture, keys, Math.floor(services.clock.now() / 1000)));
  },
};
