/** Test helpers (imported by tests only): StepServices with the given parts, the rest failing loudly. */
import type { FlowContext, StepServices } from '../../core/flow/types.js';

export function emptyContext(): FlowContext {
  return {
    capture: {
      id: 1, method: 'POST', path: '/hooks/catch/test', query: '', queryParams: {}, rawHeaders: [], headers: {},
      body: '', bodyBase64: '', json: null, contentType: null, remoteAddress: '127.0.0.1', receivedAt: new Date(0).toISOString(),
    },
    steps: {},
    flow: { id: 1, name: 'test' },
    run: { id: 1 },
  };
}

export function makeServices(parts: Partial<StepServices> & { secrets?: Record<string, string> } = {}): StepServices {
  const { secrets = {}, ...rest } = parts;
  const missing = (name: string) => () => Promise.reject(new Error(`test services: ${name} not provided`));
  return {
    clock: { now: () => Date.now() },
    context: emptyContext(),
    secret: (name) => (Object.prototype.hasOwnProperty.call(secrets, name) ? secrets[name] : undefined),
    sendEmail: missing('sendEmail'),
    http: missing('http'),
    raiseAlert: missing('raiseAlert'),
    runCode: missing('runCode'),
    ...rest,
  };
}

/** A signal that never aborts. */
export const never: AbortSignal = new AbortController().signal;
