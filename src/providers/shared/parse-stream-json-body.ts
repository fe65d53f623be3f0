/**
 * The first step of turning a complete JSON body, sent by a server that ignored `stream: true`,
 * into the event stream it stands for: parse it, or fail with a protocol error naming the provider.
 */
import { GatewayError } from '../../core/errors.js';

/** Parses `text` as JSON; a body that is not JSON is GW_ERR_UPSTREAM_PROTOCOL. */
export function parseStreamJsonBody(text: string, provider: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new GatewayError('GW_ERR_UPSTREAM_PROTOCOL', `${provider}: upstream answered the stream request with a body that is not JSON: ${text.slice(0, 200)}`, { provider });
  }
}

/** Parses `text` as a JSON object; anything else (not JSON, an array, a scalar, null) is GW_ERR_UPSTREAM_PROTOCOL. */
export function parseStreamJsonObject(text: string, provider: string): Record<string, any> {
  const body = parseStreamJsonBody(text, provider);
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new GatewayError('GW_ERR_UPSTREAM_PROTOCOL', `${provider}: upstream answered the stream request with JSON that is not an object`, { provider });
  }
  return body as Record<string, any>;
}
