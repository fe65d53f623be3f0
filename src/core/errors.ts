/**
 * One registry of stable error codes. Every error the gateway returns carries one of these codes,
 * an HTTP status, a neutral kind (each dialect maps it to its own error `type`) and whether routing
 * may retry or fall back after it. The list is documented in docs/errors.md.
 */
export type ErrorKind =
  | 'invalid_request'
  | 'authentication'
  | 'permission'
  | 'not_found'
  | 'request_too_large'
  | 'rate_limit'
  | 'api'
  | 'overloaded'
  | 'timeout';

interface ErrorSpec {
  status: number;
  kind: ErrorKind;
  retryable: boolean;
  description: string;
}

export const ERROR_CODES = {
  GW_ERR_INVALID_JSON: { status: 400, kind: 'invalid_request', retryable: false, description: 'The request body is not valid JSON.' },
  GW_ERR_INVALID_REQUEST: { status: 400, kind: 'invalid_request', retryable: false, description: 'A field of the request is missing, of the wrong type or out of range; the message names the field.' },
  GW_ERR_BODY_TOO_LARGE: { status: 413, kind: 'request_too_large', retryable: false, description: 'The request body is larger than `server.body_limit_bytes`.' },
  GW_ERR_JSON_TOO_DEEP: { status: 400, kind: 'invalid_request', retryable: false, description: 'The request body nests JSON objects and arrays deeper than `server.max_json_depth` levels.' },
  GW_ERR_HEADERS_TOO_LARGE: { status: 431, kind: 'request_too_large', retryable: false, description: 'The request line and headers are larger than `server.header_limit_bytes`.' },
  GW_ERR_MALFORMED_HTTP: { status: 400, kind: 'invalid_request', retryable: false, description: 'The HTTP request could not be read: broken framing (a chunked body cut short, a body shorter than its Content-Length) or an invalid request line or header. The connection is closed.' },
  GW_ERR_REQUEST_TIMEOUT: { status: 408, kind: 'timeout', retryable: false, description: 'The client sent its headers slower than `server.headers_timeout_ms`, or the whole request slower than `server.request_timeout_ms`. The connection is closed.' },
  GW_ERR_ROUTE_NOT_FOUND: { status: 404, kind: 'not_found', retryable: false, description: 'No endpoint at this path.' },
  GW_ERR_METHOD_NOT_ALLOWED: { status: 405, kind: 'invalid_request', retryable: false, description: 'The endpoint exists but not for this HTTP method.' },
  GW_ERR_NOT_FOUND: { status: 404, kind: 'not_found', retryable: false, description: 'Admin API: the named provider, alias or config revision does not exist.' },
  GW_ERR_CONFLICT: { status: 409, kind: 'invalid_request', retryable: false, description: 'Admin API: the edit conflicts with the current config: a stale `revision` / If-Match, a name that already exists, or an entity the config file manages (edit the file and reload).' },
  GW_ERR_CONFIG_STORE_UNAVAILABLE: { status: 503, kind: 'overloaded', retryable: true, description: 'Admin API: the config store (SQLite or Postgres) cannot be reached, so the edit was not made. Requests keep being served on the last good config.' },
  GW_ERR_CACHE_UNAVAILABLE: { status: 503, kind: 'overloaded', retryable: true, description: 'Admin API: the response cache\'s store or index (Redis, Postgres) cannot be reached, so its entries were not deleted. Requests are unaffected: they go upstream uncached meanwhile.' },
  GW_ERR_RESPONSE_NOT_FOUND: { status: 404, kind: 'not_found', retryable: false, description: 'Responses API: no stored response with this id for this client key (never stored, deleted, older than `responses.retention_days`, or created with another key). As `previous_response_id` it is a 400 naming that field.' },
  GW_ERR_UNKNOWN_MODEL: { status: 404, kind: 'not_found', retryable: false, description: 'The model is neither a configured alias nor `provider/model` of a configured provider; the message lists what is configured.' },
  GW_ERR_UNAUTHORIZED: { status: 401, kind: 'authentication', retryable: false, description: 'The client did not present a valid gateway key.' },
  GW_ERR_KEY_EXPIRED: { status: 403, kind: 'permission', retryable: false, description: 'Governance: the virtual key passed its `expires_at`.' },
  GW_ERR_KEY_DISABLED: { status: 403, kind: 'permission', retryable: false, description: 'Governance: the virtual key is disabled (`disabled: true`).' },
  GW_ERR_MODEL_NOT_ALLOWED: { status: 403, kind: 'permission', retryable: false, description: 'Governance: the virtual key may not use this model (its `models` list); GET /v1/models lists what it may use.' },
  GW_ERR_RATE_LIMITED: { status: 429, kind: 'rate_limit', retryable: false, description: 'Governance: a request or token rate limit of the virtual key or its team is reached, or too many of its requests are in flight (`max_concurrent`). Retry-After says when the window resets.' },
  GW_ERR_BUDGET_EXHAUSTED: { status: 429, kind: 'rate_limit', retryable: false, description: 'Governance: the worst-case cost of the request does not fit in what is left of a budget of the virtual key or its team; the message gives the window\'s reset time (also in Retry-After).' },
  GW_ERR_GOVERNANCE_UNAVAILABLE: { status: 503, kind: 'overloaded', retryable: false, description: 'Governance: the counter store (Redis) cannot be reached and `governance.on_counter_store_error` is `fail_closed`.' },
  GW_ERR_MCP_NOT_ALLOWED: { status: 403, kind: 'permission', retryable: false, description: 'MCP: the virtual key may not use this MCP server or tool (its `mcp.servers` list).' },
  GW_ERR_MCP_TOOL_NOT_FOUND: { status: 404, kind: 'not_found', retryable: false, description: 'MCP: no configured MCP server offers a tool of this name (`<server>__<tool>`); GET /mcp (tools/list) or GET /api/mcp/servers lists them.' },
  GW_ERR_MCP_UNAVAILABLE: { status: 503, kind: 'overloaded', retryable: true, description: 'MCP: the tool\'s server is configured but not connected now (the gateway reconnects it with backoff); retry later.' },
  GW_ERR_MCP_TOOL_TIMEOUT: { status: 504, kind: 'timeout', retryable: false, description: 'MCP: the tool did not answer within its timeout (`mcp.tool_timeout_ms`) and was cancelled.' },
  GW_ERR_UNSUPPORTED: { status: 400, kind: 'invalid_request', retryable: true, description: 'The target provider cannot carry a feature the request uses (named in the message); another target may.' },
  GW_ERR_UPSTREAM_BAD_REQUEST: { status: 400, kind: 'invalid_request', retryable: false, description: 'The upstream provider rejected the request as invalid; its message is passed on.' },
  GW_ERR_UPSTREAM_AUTH: { status: 502, kind: 'api', retryable: true, description: 'The upstream provider rejected the configured provider key (401/403). The client key is not at fault; another key or target may work.' },
  GW_ERR_UPSTREAM_NOT_FOUND: { status: 404, kind: 'not_found', retryable: false, description: 'The upstream provider does not know the model or endpoint.' },
  GW_ERR_UPSTREAM_RATE_LIMITED: { status: 429, kind: 'rate_limit', retryable: true, description: 'The upstream provider is rate limiting (429).' },
  GW_ERR_UPSTREAM_OVERLOADED: { status: 503, kind: 'overloaded', retryable: true, description: 'The upstream provider is overloaded (503/529).' },
  GW_ERR_UPSTREAM_ERROR: { status: 502, kind: 'api', retryable: true, description: 'The upstream provider failed (5xx, 408, 409) or sent an error event before any content.' },
  GW_ERR_UPSTREAM_CONNECT: { status: 502, kind: 'api', retryable: true, description: 'The gateway could not connect to the upstream provider or send it the request (refused, reset before an answer, DNS, connect timeout); the message names the host and port.' },
  GW_ERR_UPSTREAM_TIMEOUT: { status: 504, kind: 'timeout', retryable: true, description: 'The upstream provider did not send the first byte, or went silent between stream chunks, within the configured timeout.' },
  GW_ERR_UPSTREAM_PROTOCOL: { status: 502, kind: 'api', retryable: true, description: 'The upstream response could not be used: it could not be parsed, or it was a 200 with an empty body.' },
  GW_ERR_UPSTREAM_INCOMPLETE: { status: 502, kind: 'api', retryable: true, description: 'The upstream answer began but ended, or its connection closed, before it was complete, and before anything reached the client (so routing retries).' },
  GW_ERR_STREAM_INTERRUPTED: { status: 502, kind: 'api', retryable: false, description: 'The upstream stream failed (ended early, connection closed, unreadable data) after content had reached the client; sent as an error event in the client stream, the cause in its message.' },
  GW_ERR_DEADLINE_EXCEEDED: { status: 504, kind: 'timeout', retryable: false, description: 'The overall deadline for the request passed; the message says which targets were tried.' },
  GW_ERR_ALL_TARGETS_FAILED: { status: 502, kind: 'api', retryable: false, description: 'Every target of the route failed; the message lists each attempt.' },
  GW_ERR_CLIENT_CLOSED: { status: 499, kind: 'api', retryable: false, description: 'The client went away; the upstream request was aborted.' },
  GW_ERR_SHUTTING_DOWN: { status: 503, kind: 'overloaded', retryable: true, description: 'This replica is shutting down and its drain timeout passed before the answer finished; sent as an error event in the client stream. Retry on another replica.' },
  GW_ERR_INTERNAL: { status: 500, kind: 'api', retryable: false, description: 'A bug in the gateway. Please report it with the request id.' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface GatewayErrorOptions {
  /** The request field at fault, for invalid_request errors (OpenAI `param`). */
  param?: string;
  /** Override of the registry status (e.g. pass an upstream 422 on as 422). */
  status?: number;
  /** Override of the registry retryable flag. */
  retryable?: boolean;
  /** Which provider/target produced it, when upstream. */
  provider?: string;
  /** Upstream HTTP status, when upstream. */
  upstreamStatus?: number;
  /** Milliseconds the upstream asked us to wait (Retry-After / retry-after-ms). */
  retryAfterMs?: number;
  cause?: unknown;
}

export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly kind: ErrorKind;
  readonly retryable: boolean;
  readonly param?: string;
  readonly provider?: string;
  readonly upstreamStatus?: number;
  readonly retryAfterMs?: number;

  constructor(code: ErrorCode, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const spec: ErrorSpec = ERROR_CODES[code];
    this.name = 'GatewayError';
    this.code = code;
    this.status = options.status ?? spec.status;
    this.kind = spec.kind;
    this.retryable = options.retryable ?? spec.retryable;
    if (options.param !== undefined) this.param = options.param;
    if (options.provider !== undefined) this.provider = options.provider;
    if (options.upstreamStatus !== undefined) this.upstreamStatus = options.upstreamStatus;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }
}

export function isGatewayError(e: unknown): e is GatewayError {
  return e instanceof GatewayError;
}

/** Wraps anything thrown into a GatewayError, keeping GatewayErrors as they are. */
export function toGatewayError(e: unknown): GatewayError {
  if (e instanceof GatewayError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new GatewayError('GW_ERR_INTERNAL', message, { cause: e });
}

export function invalidRequest(param: string, message: string): GatewayError {
  return new GatewayError('GW_ERR_INVALID_REQUEST', message, { param });
}
