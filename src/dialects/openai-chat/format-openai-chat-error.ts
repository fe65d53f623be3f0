import type { ErrorKind, GatewayError } from '../../core/errors.js';

const TYPES: Record<ErrorKind, string> = {
  invalid_request: 'invalid_request_error',
  authentication: 'authentication_error',
  permission: 'permission_error',
  not_found: 'not_found_error',
  request_too_large: 'invalid_request_error',
  rate_limit: 'rate_limit_error',
  api: 'api_error',
  overloaded: 'server_error',
  timeout: 'timeout_error',
};

export function openAIErrorType(kind: ErrorKind): string {
  return TYPES[kind];
}

/** The `error` object of an OpenAI error body (also used inside stream error events). */
export function openAIErrorObject(err: GatewayError) {
  return { message: err.message, type: TYPES[err.kind], param: err.param ?? null, code: err.code };
}

export function formatOpenAIChatError(err: GatewayError): unknown {
  return { error: openAIErrorObject(err) };
}
