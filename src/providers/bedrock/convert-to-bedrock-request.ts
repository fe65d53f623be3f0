/**
 * Canonical request → Bedrock Converse body (`messages`, `system`, `inferenceConfig`,
 * `toolConfig`, `additionalModelRequestFields`). What Converse cannot carry is listed in
 * `unmapped`; what it refuses outright (image URLs) is a GW_ERR_UNSUPPORTED so routing can fall
 * back to a target that can.
 */
import { GatewayError } from '../../core/errors.js';
import type { ContentPart, CoreRequest, ImagePart, Message, TextPart } from '../../core/request.js';

export interface ConvertedBedrockRequest {
  body: Record<string, unknown>;
  unmapped: string[];
}

type Block = Record<string, unknown>;
interface BedrockMessage {
  role: 'user' | 'assistant';
  content: Block[];
}

/** maxTokens added to a thinking budget when the client set no limit. */
const THINKING_HEADROOM = 4096;
const MIN_THINKING_BUDGET = 1024;
const EFFORT_BUDGETS: Readonly<Record<string, number>> = { low: 1024, medium: 4096, high: 16384, xhigh: 32768, max: 32768 };

const IMAGE_FORMATS: Readonly<Record<string, string>> = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/jpg': 'jpeg',
  'image/gif': 'gif',
  'image/webp': 'webp',
};

export function convertToBedrockRequest(req: CoreRequest, provider: string): ConvertedBedrockRequest {
  const unmapped = new Set<string>(Object.keys(req.extras));
  const body: Record<string, unknown> = {};

  const system: Block[] = [];
  for (const p of req.system) {
    if (p.text.length === 0) continue;
    system.push({ text: p.text });
    if (p.cacheControl) system.push({ cachePoint: { type: 'default' } });
  }
  if (system.length > 0) body.system = system;

  const toolNames = new Set<string>();
  body.messages = convertMessages(req.messages, { provider, unmapped, toolNames });

  const inference: Record<string, unknown> = {};
  const additional: Record<string, unknown> = {};
  let maxTokens = req.maxTokens;
  const budget = thinkingBudget(req, unmapped);
  if (budget !== undefined) {
    if (maxTokens === undefined) maxTokens = budget + THINKING_HEADROOM;
    const fitted = Math.min(budget, maxTokens - 1);
    if (fitted >= MIN_THINKING_BUDGET) additional.thinking = { type: 'enabled', budget_tokens: fitted };
    else unmapped.add('reasoning');
  }
  if (maxTokens !== undefined) inference.maxTokens = maxTokens;
  if (req.temperature !== undefined) {
    if (req.temperature > 1) unmapped.add('temperature');
    inference.temperature = Math.min(1, req.temperature);
  }
  if (req.topP !== undefined) inference.topP = req.topP;
  if (req.stop?.length) inference.stopSequences = req.stop;
  if (Object.keys(inference).length > 0) body.inferenceConfig = inference;
  if (req.topK !== undefined) additional.top_k = req.topK;
  if (Object.keys(additional).length > 0) body.additionalModelRequestFields = additional;

  if (req.seed !== undefined) unmapped.add('seed');
  if (req.presencePenalty !== undefined) unmapped.add('presence_penalty');
  if (req.frequencyPenalty !== undefined) unmapped.add('frequency_penalty');
  if (req.metadata !== undefined) unmapped.add('metadata');
  if (req.user !== undefined) unmapped.add('user');
  if (req.responseFormat && req.responseFormat.type !== 'text') unmapped.add('response_format');
  if (req.parallelToolCalls === false) unmapped.add('parallel_tool_calls');

  const tools: Block[] = (req.tools ?? []).map((t) => ({
    toolSpec: {
      name: t.name,
      ...(t.description !== undefined && t.description.length > 0 ? { description: t.description } : {}),
      inputSchema: { json: 'type' in t.parameters ? t.parameters : { type: 'object', ...t.parameters } },
    },
  }));
  // Converse refuses toolUse/toolResult blocks without a toolConfig: declare the tools the
  // conversation used when the client sent none.
  if (tools.length === 0 && toolNames.size > 0) {
    for (const name of toolNames) tools.push({ toolSpec: { name, inputSchema: { json: { type: 'object', properties: {} } } } });
  }
  if (tools.length > 0) {
    const toolConfig: Record<string, unknown> = { tools };
    const choice = req.toolChoice;
    if (choice?.type === 'required') toolConfig.toolChoice = { any: {} };
    else if (choice?.type === 'tool') toolConfig.toolChoice = { tool: { name: choice.name } };
    else if (choice?.type === 'auto' && req.tools?.length) toolConfig.toolChoice = { auto: {} };
    else if (choice?.type === 'none') unmapped.add('tool_choice');
    body.toolConfig = toolConfig;
  }
  return { body, unmapped: [...unmapped] };
}

function thinkingBudget(req: CoreRequest, unmapped: Set<string>): number | undefined {
  const r = req.reasoning;
  if (!r || r.disabled) return undefined;
  if (r.budgetTokens !== undefined) return r.budgetTokens;
  if (r.effort !== undefined) {
    if (r.effort === 'none' || r.effort === 'minimal') return undefined;
    const budget = EFFORT_BUDGETS[r.effort];
    if (budget === undefined) unmapped.add('reasoning_effort');
    return budget;
  }
  return undefined;
}

interface ConvertState {
  provider: string;
  unmapped: Set<string>;
  /** Tool names used by toolUse blocks of the conversation. */
  toolNames: Set<string>;
}

function imageBlock(part: ImagePart, state: ConvertState): Block {
  if (part.source.kind === 'url') {
    throw new GatewayError(
      'GW_ERR_UNSUPPORTED',
      `${state.provider}: image URLs are not supported by the Bedrock Converse API; send the image as base64 data (a data: URL)`,
      { provider: state.provider, param: 'messages' },
    );
  }
  const format = IMAGE_FORMATS[part.source.mediaType.toLowerCase()];
  if (!format) {
    throw new GatewayError('GW_ERR_UNSUPPORTED', `${state.provider}: image type ${part.source.mediaType} is not supported by Bedrock (png, jpeg, gif, webp)`, {
      provider: state.provider,
      param: 'messages',
    });
  }
  if (part.detail !== undefined) state.unmapped.add('detail');
  return { image: { format, source: { bytes: part.source.data } } };
}

function textBlocks(part: TextPart): Block[] {
  if (part.text.length === 0) return [];
  return part.cacheControl ? [{ text: part.text }, { cachePoint: { type: 'default' } }] : [{ text: part.text }];
}

function toolInput(args: string, id: string, name: string): unknown {
  if (args.trim().length === 0) return {};
  try {
    const value: unknown = JSON.parse(args);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value;
  } catch {
    /* reported below */
  }
  throw new GatewayError('GW_ERR_INVALID_REQUEST', `messages: the arguments of tool call "${id}" (${name}) are not a JSON object; Bedrock needs one`, {
    param: 'messages',
  });
}

function convertPart(part: ContentPart, state: ConvertState): Block[] {
  switch (part.type) {
    case 'text':
      return textBlocks(part);
    case 'image':
      return [imageBlock(part, state)];
    case 'tool-call':
      state.toolNames.add(part.name);
      return [{ toolUse: { toolUseId: part.id, name: part.name, input: toolInput(part.arguments, part.id, part.name) } }];
    case 'tool-result': {
      const content: Block[] =
        typeof part.content === 'string'
          ? [{ text: part.content }]
          : part.content.map((p) => (p.type === 'text' ? { text: p.text } : imageBlock(p, state)));
      if (content.length === 0) content.push({ text: '' });
      return [{ toolResult: { toolUseId: part.toolCallId, content, status: part.isError ? 'error' : 'success' } }];
    }
    case 'reasoning':
      if (part.redactedData !== undefined) return [{ reasoningContent: { redactedContent: part.redactedData } }];
      if (part.signature !== undefined && part.signature.length > 0) {
        return [{ reasoningContent: { reasoningText: { text: part.text, signature: part.signature } } }];
      }
      // Unsigned reasoning (another provider family's): Bedrock models cannot take it back.
      state.unmapped.add('reasoning');
      return [];
  }
}

/**
 * Canonical messages → Converse turns: `tool` messages become user turns of toolResult blocks,
 * consecutive same-role turns are merged, and toolResult blocks lead their user turn.
 */
function convertMessages(messages: Message[], state: ConvertState): BedrockMessage[] {
  const out: BedrockMessage[] = [];
  for (const m of messages) {
    if (m.name !== undefined) state.unmapped.add('name');
    const role = m.role === 'assistant' ? 'assistant' : 'user';
    const blocks: Block[] = [];
    for (const part of m.content) blocks.push(...convertPart(part, state));
    if (blocks.length === 0) continue;
    const last = out[out.length - 1];
    if (last && last.role === role) last.content.push(...blocks);
    else out.push({ role, content: blocks });
  }
  for (const m of out) {
    if (m.role !== 'user') continue;
    const results = m.content.filter((b) => 'toolResult' in b);
    if (results.length > 0 && results.length < m.content.length) m.content = [...results, ...m.content.filter((b) => !('toolResult' in b))];
  }
  return out;
}
