/** Typed events of the delivery engine: the seam for logs, metrics and tests. */
import { EventEmitter } from 'node:events';
import type { AttemptOutcome, DeliveryStatus } from '../store/store.js';

export interface EngineEventMap {
  'delivery:attempt': [{ deliveryId: number; webhookId: number | null; outcome: AttemptOutcome; statusCode: number | null; durationMs: number; status: DeliveryStatus }];
  'delivery:dead': [{ deliveryId: number; webhookId: number | null; eventId: string; error: string | null }];
  'webhook:disabled': [{ webhookId: number; name: string; reason: string }];
}

export class EngineEvents extends EventEmitter<EngineEventMap> {}
