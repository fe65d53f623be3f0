/**
 * A local estimate of a request's input tokens, for upstreams without a counting API: every text
 * of the prompt (system, messages, tool calls and results, tool definitions as JSON) encoded with
 * OpenAI's o200k_base BPE (the gpt-tokenizer package), plus a small per-message overhead, and a
 * flat 1,000 tokens per image (the real figure depends on the image size and the model). Other
 * model families tokenize differently, so this is an estimate, and answers say so.
 */
import { countTokens as countO200k } from 'gpt-tokenizer/encoding/o200k_base';
import type { CoreRequest } from '../core/request.js';

/** The tokenizer named in the `x-switchyard-token-estimate` header. */
export const ESTIMATE_TOKENIZER = 'o200k_base';

const PER_MESSAGE = 3;
const PER_REQUEST = 3;
const PER_IMAGE = 1000;

export function estimateInputTokens(request: CoreRequest): number {
  let n = PER_REQUEST;
  const text = (s: string) => {
    if (s.length > 0) n += countO200k(s);
  };
  for (const s of request.system) text(s.text);
  for (const m of request.messages) {
    n += PER_MESSAGE;
    for (const p of m.content) {
      switch (p.type) {
        case 'text':
        case 'reasoning':
          text(p.text);
          break;
        case 'image':
          n += PER_IMAGE;
          break;
        case 'tool-call':
          text(p.name);
          text(p.arguments);
          break;
        case 'tool-result':
          if (typeof p.content === 'string') text(p.content);
          else for (const c of p.content) c.type === 'text' ? text(c.text) : (n += PER_IMAGE);
          break;
      }
    }
  }
  for (const t of request.tools ?? []) text(JSON.stringify({ name: t.name, description: t.description ?? '', parameters: t.parameters }));
  return n;
}
