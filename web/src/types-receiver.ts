/** Shapes of the receiver's API answers (docs/api.md "The receiver", docs/flows.md): flows, captures, runs, settings. */

export interface Rule { left: string; op: string; right?: unknown; ignoreCase?: boolean }
export type Condition = Rule | { all: Rule[] } | { any: Rule[] };

export interface ActionStep { id: string; type: string; name?: string; config?: Record<string, unknown>; retry?: { attempts: number } }
export interface FilterStep { id: string; type: 'filter'; name?: string; when: Condition }
export interface PathBranch { name: string; when?: Condition; fallback?: boolean; steps: Step[] }
export interface PathsStep { id: string; type: 'paths'; name?: string; paths: PathBranch[] }
export type Step = ActionStep | FilterStep | PathsStep;

export interface FlowDefinition {
  name: string;
  description?: string;
  enabled: boolean;
  steps: Step[];
  response?: { status: number; headers?: Record<string, string>; body?: string };
  dedup?: { key: string; windowSeconds: number };
  rateLimit?: { perSecond: number; burst?: number };
}

export interface Flow {
  id: number; name: string; description: string; enabled: boolean; catchUrl: string; sampleCaptureId: number | null;
  definition: FlowDefinition; createdAt: string; updatedAt: string;
}

export interface Capture {
  id: number; flowId: number; status: string; method: string; path: string; query: string;
  headers: { name: string; value: string }[]; contentType: string; size: number; body: string | null; bodyBase64: string;
  remoteAddress: string; receivedAt: string;
}

export type RunStatus = 'queued' | 'running' | 'retrying' | 'succeeded' | 'failed' | 'stopped';
export const RUN_STATUSES: RunStatus[] = ['queued', 'running', 'retrying', 'succeeded', 'failed', 'stopped'];

export interface RunStep {
  stepId: string; type: string; status: string; input: unknown; output: unknown; error: string | null; attempts: number;
  startedAt: string | null; durationMs: number | null;
}

export interface Run {
  id: number; flowId: number; captureId: number; origin: string; replayOf: number | null; status: RunStatus; error: string | null;
  createdAt: string; startedAt: string | null; finishedAt: string | null; nextAttemptAt: string | null; steps?: RunStep[];
}

export interface TestStepResult {
  stepId: string; type: string; captureId: number; status: string; input?: unknown; output: unknown; error: string | null; durationMs: number;
}

export interface Secret { name: string; createdAt: string; updatedAt: string }

export interface ApiToken {
  id: number; name: string; role: 'admin' | 'user'; prefix: string; createdAt: string; lastUsedAt: string | null; revokedAt: string | null;
}

export interface AlertNotification {
  id: number; channelId: number; channel: string | null; status: string; attempts: number; lastError: string | null;
  nextAttemptAt: string | null; sentAt: string | null; createdAt: string;
}

export interface AlertWithNotifications {
  id: number; kind: string; severity: string; webhookId: number; deliveryId: number; title: string; message: string;
  count: number; createdAt: string; lastAt: string; acknowledgedAt: string | null; notifications?: AlertNotification[];
}

export type ChannelKind = 'email' | 'slack' | 'http';
export interface ChannelFilter { kinds?: string[]; names?: string[]; severities?: string[] }
export interface AlertChannel {
  id: number; name: string; kind: ChannelKind; enabled: boolean; filter: ChannelFilter | null;
  config: Record<string, unknown>; createdAt: string; updatedAt: string;
}
export interface AlertChannelInput { name: string; kind: ChannelKind; enabled?: boolean; filter?: ChannelFilter | null; config?: Record<string, unknown> }

export interface SmtpSettings {
  source: string; host: string | null; port: number | null; secure: boolean | null; user: string | null; from: string | null; passwordSet: boolean;
}
export interface SmtpInput { host: string; port?: number; secure?: boolean; user?: string; password?: string | null; from?: string }
