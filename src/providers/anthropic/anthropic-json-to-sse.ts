/**
 * A complete Messages `message` body, sent by a server that ignored `stream: true`, rewritten as
 * the event stream it stands for (message_start, per block content_block_start / one delta /
 * content_block_stop, message_delta, message_stop), so the stream mapper reads it like any other
 * and a same-dialect client gets these events as its stream. An error body becomes `event: error`.
 */
import { parseStreamJsonObject } from '../shared/parse-stream-json-body.js';

export function anthropicJsonToSse(text: string, provider: string): string {
  const body = parseStreamJsonObject(text, provider);
  if (body.type === 'error') return ev('error', body);
  const { content, stop_reason, stop_sequence, usage, ...rest } = body;
  let out = ev('message_start', { type: 'message_start', message: { ...rest, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 0 } } });
  const blocks: any[] = Array.isArray(content) ? content : [];
  blocks.forEach((block, index) => {
    const b = block ?? {};
    switch (b.type) {
      case 'text':
        out += ev('content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
        out += delta(index, { type: 'text_delta', text: b.text ?? '' });
        break;
      case 'thinking':
        out += ev('content_block_start', { type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '', signature: '' } });
        out += delta(index, { type: 'thinking_delta', thinking: b.thinking ?? '' });
        if (typeof b.signature === 'string' && b.signature) out += delta(index, { type: 'signature_delta', signature: b.signature });
        break;
      case 'tool_use':
      case 'server_tool_use':
        out += ev('content_block_start', { type: 'content_block_start', index, content_block: { ...b, input: {} } });
        out += delta(index, { type: 'input_json_delta', partial_json: JSON.stringify(b.input ?? {}) });
        break;
      default:
        // Blocks that stream whole (redacted_thinking, tool results): start carries them as they are.
        out += ev('content_block_start', { type: 'content_block_start', index, content_block: b });
    }
    out += ev('content_block_stop', { type: 'content_block_stop', index });
  });
  out += ev('message_delta', { type: 'message_delta', delta: { stop_reason: stop_reason ?? 'end_turn', stop_sequence: stop_sequence ?? null }, usage: usage ?? {} });
  return out + ev('message_stop', { type: 'message_stop' });
}

function delta(index: number, d: Record<string, unknown>): string {
  return ev('content_block_delta', { type: 'content_block_delta', index, delta: d });
}

function ev(name: string, payload: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`;
}
