/**
 * A local estimate of a request's input tokens, for upstreams without a counting API: every text
 * of the prompt (system, messages, tool calls and results, tool definitions as JSON) encoded with
 * OpenAI's o200k_base BPE (the gpt-tokenizer package), plus a small per-message overhead, and a
 * flat 1,000 tokens per image (the real figure depends on the image size and the model). Other
 * model families tokenize differently, so this is an estimate, and answers say so.
 */
import type { CoreRequest } from '../core/request.js';

/**
 * The BPE table is loaded on the first estimate, not at startup: it is a 200,000-entry Map and a
 * 4 MB module source, about 15 MB of heap that every garbage collection would walk, for a
 * fallback most gateways never use.
 */
let tokenizer: Promise<(text: string) => number> | undefined;
function loadTokenizer(): Promise<(text: string) => number> {
  tokenizer ??= import('gpt-tokenizer/encoding/o200k_base').then((m) => m.countTokens);
  return tokenizer;
}

/** The tokenizer named in the `x-switchyard-token-estimate` header. */
export const ESTIMATE_TOKENIZER = 'o200k_base';

const PER_MESSAGE = 3;
const PER_REQUEST = 3;
const PER_IMAGE = 1000;

export async function estimateInputTokens(request: CoreRequest): Promise<number> {
  const countO200k = await loadTokenizer();
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
