/**
 * A GatewayError as Bedrock Runtime's error body (`{message}`, with the error name in `__type`,
 * which the AWS SDK reads like the `x-amzn-errortype` header), so the SDK raises its own typed
 * exception (ValidationException, ThrottlingException, …). Inside a ConverseStream the same names
 * travel as `exception` frames (see encode-converse-stream.ts).
 */
import type { ErrorKind, GatewayError } from '../../core/errors.js';

const TYPES: Readonly<Record<ErrorKind, string>> = {
  invalid_request: 'ValidationException',
  authentication: 'UnrecognizedClientException',
  permission: 'AccessDeniedException',
  not_found: 'ResourceNotFoundException',
  request_too_large: 'ValidationException',
  rate_limit: 'ThrottlingException',
  api: 'InternalServerException',
  overloaded: 'ServiceUnavailableException',
  timeout: 'ModelTimeoutException',
};

export function converseErrorType(error: GatewayError): string {
  return TYPES[error.kind];
}

export function formatConverseError(error: GatewayError): { __type: string; message: string } {
  return { __type: converseErrorType(error), message: error.message };
}
