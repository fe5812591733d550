/**
 * API errors. The body is Determined's (`{"error":{"code","reason","error"}}`: gRPC code, its name, a message) plus
 * `type`, a stable Switchyard error code that clients can branch on. Every type is listed here once, with the HTTP
 * status it maps to; docs/errors.md documents each and a test keeps the two in step.
 */

export const GRPC = {
  InvalidArgument: 3, NotFound: 5, AlreadyExists: 6, PermissionDenied: 7, ResourceExhausted: 8,
  FailedPrecondition: 9, Internal: 13, Unavailable: 14, Unauthenticated: 16,
} as const;
export type GrpcReason = keyof typeof GRPC;

interface ErrorKind { reason: GrpcReason; http: number; summary: string }

export const ERROR_TYPES = {
  invalid_json: { reason: 'InvalidArgument', http: 400, summary: 'The request body is not valid JSON.' },
  invalid_argument: { reason: 'InvalidArgument', http: 400, summary: 'A field is missing, has the wrong type or an invalid value; the message names it.' },
  unknown_field: { reason: 'InvalidArgument', http: 400, summary: 'The body has a field the endpoint does not know (often a typo); the message lists the known ones.' },
  invalid_url: { reason: 'InvalidArgument', http: 400, summary: 'A URL is not an absolute http(s) URL.' },
  invalid_regex: { reason: 'InvalidArgument', http: 400, summary: 'A TASK_LOG regex does not compile under RE2 (Go) syntax.' },
  invalid_state: { reason: 'InvalidArgument', http: 400, summary: 'An experiment state is not one of Determined\'s states.' },
  invalid_id: { reason: 'InvalidArgument', http: 400, summary: 'A path id is not a positive whole number.' },
  body_too_large: { reason: 'ResourceExhausted', http: 413, summary: 'The request body is larger than the configured limit.' },
  unauthenticated: { reason: 'Unauthenticated', http: 401, summary: 'No bearer token, or one that is unknown or revoked.' },
  permission_denied: { reason: 'PermissionDenied', http: 403, summary: 'The token may not do this (an admin token is needed).' },
  not_found: { reason: 'NotFound', http: 404, summary: 'No such route.' },
  webhook_not_found: { reason: 'NotFound', http: 404, summary: 'No webhook has this id.' },
  experiment_not_found: { reason: 'NotFound', http: 404, summary: 'No experiment has this id.' },
  workspace_not_found: { reason: 'NotFound', http: 404, summary: 'No workspace has this id or name.' },
  token_not_found: { reason: 'NotFound', http: 404, summary: 'No API token has this id.' },
  delivery_not_found: { reason: 'NotFound', http: 404, summary: 'No delivery has this id.' },
  alert_not_found: { reason: 'NotFound', http: 404, summary: 'No alert has this id.' },
  hook_not_found: { reason: 'NotFound', http: 404, summary: 'No catch hook has this URL (its flow was deleted, or its key rotated).' },
  flow_not_found: { reason: 'NotFound', http: 404, summary: 'No flow has this id.' },
  capture_not_found: { reason: 'NotFound', http: 404, summary: 'No capture of this flow has this id.' },
  run_not_found: { reason: 'NotFound', http: 404, summary: 'No run has this id.' },
  secret_not_found: { reason: 'NotFound', http: 404, summary: 'No secret has this name.' },
  flow_name_taken: { reason: 'AlreadyExists', http: 409, summary: 'Another flow has this name.' },
  invalid_flow: { reason: 'InvalidArgument', http: 400, summary: 'A flow definition has problems; the message lists each with its JSON path.' },
  rate_limited: { reason: 'ResourceExhausted', http: 429, summary: 'A catch hook got more requests per second than its limit; the Retry-After header says when to retry.' },
  webhook_name_taken: { reason: 'AlreadyExists', http: 409, summary: 'Another webhook in the same workspace (or among global webhooks) has this name.' },
  workspace_name_taken: { reason: 'AlreadyExists', http: 409, summary: 'A workspace with this name exists.' },
  invalid_transition: { reason: 'FailedPrecondition', http: 400, summary: 'The experiment cannot move to that state from its current one.' },
  webhook_test_failed: { reason: 'InvalidArgument', http: 400, summary: 'The test request reached no server or got an error status (Determined\'s behaviour).' },
  method_not_allowed: { reason: 'InvalidArgument', http: 405, summary: 'The route exists but not with this HTTP method.' },
  // Alert channels, SMTP settings, step tests (receiver).
  alert_channel_not_found: { reason: 'NotFound', http: 404, summary: 'No alert channel has this id.' },
  alert_channel_name_taken: { reason: 'AlreadyExists', http: 409, summary: 'Another alert channel has this name.' },
  alert_channel_test_failed: { reason: 'InvalidArgument', http: 400, summary: 'The test notification to an alert channel was not delivered; the message says why.' },
  smtp_not_configured: { reason: 'FailedPrecondition', http: 400, summary: 'No SMTP server is set (over the API or in the config file).' },
  smtp_test_failed: { reason: 'InvalidArgument', http: 400, summary: 'The SMTP test email was not sent; the message gives the server\'s answer.' },
  no_capture: { reason: 'FailedPrecondition', http: 400, summary: 'Testing a step needs a capture: none was given and the flow has caught nothing yet.' },
  no_failed_step: { reason: 'FailedPrecondition', http: 400, summary: 'A replay from the failed step was asked of a run that has no failed step.' },
  internal: { reason: 'Internal', http: 500, summary: 'A bug: Switchyard did not expect this. Nothing was written. Please report it with the server log line.' },
} as const satisfies Record<string, ErrorKind>;

export type ErrorType = keyof typeof ERROR_TYPES;

export class ApiError extends Error {
  readonly type: ErrorType;
  constructor(type: ErrorType, message: string) {
    super(message);
    this.type = type;
  }
  get http(): number {
    return ERROR_TYPES[this.type].http;
  }
  toBody(): { error: { code: number; reason: string; error: string; type: ErrorType } } {
    const reason = ERROR_TYPES[this.type].reason;
    return { error: { code: GRPC[reason], reason, error: this.message, type: this.type } };
  }
}

export const invalid = (message: string): ApiError => new ApiError('invalid_argument', message);
