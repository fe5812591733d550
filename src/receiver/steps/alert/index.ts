/**
 * alert: raises a named alert in Switchyard's alert list through services.raiseAlert (which also routes it when the
 * alert has a channel). Config: `{ name, severity?: info | warning | error (default warning), message, details? }`.
 * Output: `{ alertId, name }`. A failure to record the alert is retried.
 */
import { z } from 'zod';
import type { StepServices } from '../../../core/flow/types.js';
import { abortable, caseless, errorMessage, fail, nonEmpty, ok, withSecrets } from '../common.js';
import type { StepDefinition } from '../registry.js';

export const SEVERITIES = ['info', 'warning', 'error'] as const;

export const alertConfig = z.strictObject({
  name: nonEmpty.max(200, { error: 'must be at most 200 characters' }),
  severity: caseless(z.enum(SEVERITIES, { error: `must be one of ${SEVERITIES.join(', ')}` })).optional(),
  message: nonEmpty,
  details: z.unknown().optional(),
});

export type AlertConfig = z.output<typeof alertConfig>;

export const alertStep: StepDefinition<AlertConfig> = {
  type: 'alert',
  title: 'Raise an alert',
  configSchema: alertConfig,
  action: true,
  run(config: AlertConfig, services: StepServices, signal: AbortSignal) {
    return withSecrets(services, signal, async () => {
      const alert = {
        name: config.name,
        severity: config.severity ?? 'warning',
        message: config.message,
        ...(config.details !== undefined ? { details: config.details } : {}),
      };
      try {
        const { alertId } = await abortable(services.raiseAlert(alert), signal);
        return ok({ alertId, name: config.name });
      } catch (e) {
        if (signal.aborted) throw e;
        return fail(`could not raise alert "${config.name}": ${errorMessage(e)}`, true);
      }
    });
  },
};
