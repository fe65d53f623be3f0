/**
 * A complete `chat.completion` body, sent by an OpenAI-compatible server that ignored
 * `stream: true`, rewritten as the `chat.completion.chunk` stream it stands for: per choice one
 * chunk with the whole message and one with its finish_reason, then a usage chunk and `[DONE]`.
 * The stream mapper then reads it like any other stream, and a same-dialect client gets these
 * chunks as its stream. An error body (`{"error": …}`) becomes the stream's error chunk.
 */
import { parseStreamJsonObject } from '../shared/parse-stream-json-body.js';

export function openAIJsonToSse(text: string, provider: string): string {
  const body = parseStreamJsonObject(text, provider);
  if (body.error) return frame(body);
  const head: Record<string, unknown> = { id: body.id ?? '', object: 'chat.completion.chunk', created: body.created ?? Math.floor(Date.now() / 1000), model: body.model ?? '' };
  for (const k of ['service_tier', 'system_fingerprint']) if (body[k] !== undefined) head[k] = body[k];
  let out = '';
  const choices: any[] = Array.isArray(body.choices) ? body.choices : [];
  for (const [i, choice] of choices.entries()) {
    const index = typeof choice?.index === 'number' ? choice.index : i;
    const message = choice?.message ?? {};
    const delta: Record<string, unknown> = { role: 'assistant' };
    for (const k of ['content', 'refusal', 'reasoning_content', 'reasoning']) if (message[k] !== undefined) delta[k] = message[k];
    if (Array.isArray(message.tool_calls)) {
      delta.tool_calls = message.tool_calls.map((tc: any, n: number) => ({ index: n, id: tc.id, type: tc.type ?? 'function', function: tc.function }));
    }
    out += frame({ ...head, choices: [{ index, delta, logprobs: choice?.logprobs ?? null, finish_reason: null }] });
    out += frame({ ...head, choices: [{ index, delta: {}, logprobs: null, finish_reason: choice?.finish_reason ?? 'stop' }] });
  }
  if (body.usage) out += frame({ ...head, choices: [], usage: body.usage });
  return out + 'data: [DONE]\n\n';
}

function frame(payload: unknown): string {
  return `data: ${JSON.stringify(payload)}\n\n`;
}
