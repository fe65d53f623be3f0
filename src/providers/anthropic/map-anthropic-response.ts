/**
 * Anthropic Messages response body → canonical response. Lenient: unknown blocks are skipped (and
 * named in providerExtras), unknown top-level fields kept in providerExtras.
 */
import { GatewayError } from '../../core/errors.js';
import type { CoreResponse, ResponsePart } from '../../core/response.js';
import { mapAnthropicFinishReason } from './map-anthropic-finish-reason.js';
import { mapAnthropicUsage } from './map-anthropic-usage.js';
import type { AnthropicUsageFields } from './map-anthropic-usage.js';

const KNOWN = new Set(['id', 'type', 'role', 'model', 'content', 'stop_reason', 'stop_sequence', 'usage']);

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** One Anthropic content block → canonical part, or undefined for blocks with no counterpart. */
export function mapAnthropicContentBlock(block: Obj): ResponsePart | undefined {
  switch (block.type) {
    case 'text':
      return { type: 'text', text: str(block.text) };
    case 'tool_use':
      return { type: 'tool-call', id: str(block.id), name: str(block.name), arguments: JSON.stringify(isObj(block.input) ? block.input : {}) };
    case 'thinking': {
      const part: ResponsePart = { type: 'reasoning', text: str(block.thinking) };
      if (typeof block.signature === 'string' && block.signature.length > 0) part.signature = block.signature;
      return part;
    }
    case 'redacted_thinking':
      return { type: 'reasoning', text: '', redactedData: str(block.data) };
    default:
      return undefined;
  }
}

export function mapAnthropicResponse(body: unknown, provider: string): CoreResponse {
  if (!isObj(body)) throw new GatewayError('GW_ERR_UPSTREAM_PROTOCOL', `${provider}: response body is not a JSON object`, { provider });
  const content: ResponsePart[] = [];
  const extras: Obj = {};
  if (Array.isArray(body.content)) {
    for (const block of body.content) {
      if (!isObj(block)) continue;
      const part = mapAnthropicContentBlock(block);
      if (part) content.push(part);
      // server_tool_use, web_search_tool_result, ...: reach Anthropic clients through the raw body.
      else extras[`content:${str(block.type)}`] = true;
    }
  }
  const stopReason = typeof body.stop_reason === 'string' ? body.stop_reason : undefined;
  const response: CoreResponse = {
    id: str(body.id),
    model: str(body.model),
    content,
    finishReason: mapAnthropicFinishReason(stopReason),
    usage: mapAnthropicUsage(isObj(body.usage) ? (body.usage as AnthropicUsageFields) : undefined),
  };
  if (stopReason !== undefined) response.rawFinishReason = stopReason;
  if (typeof body.stop_sequence === 'string') response.stopSequence = body.stop_sequence;
  for (const key in body) {
    if (!KNOWN.has(key)) extras[key] = body[key];
  }
  if (Object.keys(extras).length > 0) response.providerExtras = extras;
  return response;
}
