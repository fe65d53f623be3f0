/**
 * Bedrock Converse response body → canonical response. Lenient: unknown content blocks are skipped
 * (named in providerExtras), unknown top-level fields kept in providerExtras. Bedrock has no
 * response id; the request id from `x-amzn-requestid` stands in.
 */
import { GatewayError } from '../../core/errors.js';
import type { CoreResponse, ResponsePart } from '../../core/response.js';
import { bedrockStopSequence, mapBedrockFinishReason, mapBedrockUsage } from './map-bedrock-usage.js';

type Obj = Record<string, any>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const KNOWN = new Set(['output', 'stopReason', 'usage', 'additionalModelResponseFields']);

/** One Converse content block → canonical part, or undefined when it has no counterpart. */
export function mapBedrockContentBlock(block: Obj): ResponsePart | undefined {
  if (typeof block.text === 'string') return { type: 'text', text: block.text };
  if (isObj(block.toolUse)) {
    const t = block.toolUse;
    return { type: 'tool-call', id: String(t.toolUseId ?? ''), name: String(t.name ?? ''), arguments: JSON.stringify(t.input ?? {}) };
  }
  if (isObj(block.reasoningContent)) {
    const r = block.reasoningContent;
    if (typeof r.redactedContent === 'string') return { type: 'reasoning', text: '', redactedData: r.redactedContent };
    const rt = isObj(r.reasoningText) ? r.reasoningText : {};
    const part: ResponsePart = { type: 'reasoning', text: typeof rt.text === 'string' ? rt.text : '' };
    if (typeof rt.signature === 'string' && rt.signature.length > 0) part.signature = rt.signature;
    return part;
  }
  return undefined;
}

export function mapBedrockResponse(body: unknown, args: { provider: string; model: string; requestId?: string }): CoreResponse {
  const { provider } = args;
  if (!isObj(body)) throw new GatewayError('GW_ERR_UPSTREAM_PROTOCOL', `${provider}: response body is not a JSON object`, { provider });
  const message = isObj(body.output) && isObj(body.output.message) ? body.output.message : undefined;
  if (!message) throw new GatewayError('GW_ERR_UPSTREAM_PROTOCOL', `${provider}: response has no output.message`, { provider });
  const content: ResponsePart[] = [];
  const extras: Obj = {};
  if (Array.isArray(message.content)) {
    for (const block of message.content) {
      if (!isObj(block)) continue;
      const part = mapBedrockContentBlock(block);
      if (part) content.push(part);
      else extras[`content:${Object.keys(block)[0] ?? 'unknown'}`] = true;
    }
  }
  const stopReason = typeof body.stopReason === 'string' ? body.stopReason : undefined;
  const response: CoreResponse = {
    id: args.requestId ? `msg_bedrock_${args.requestId}` : `msg_bedrock_${Date.now().toString(36)}`,
    model: args.model,
    content,
    finishReason: mapBedrockFinishReason(stopReason),
    usage: mapBedrockUsage(body.usage),
  };
  if (stopReason !== undefined) response.rawFinishReason = stopReason;
  const stopSequence = bedrockStopSequence(body.additionalModelResponseFields);
  if (stopSequence !== undefined) response.stopSequence = stopSequence;
  for (const key in body) if (!KNOWN.has(key)) extras[key] = body[key];
  if (Object.keys(extras).length > 0) response.providerExtras = extras;
  return response;
}
