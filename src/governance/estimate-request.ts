/**
 * The worst case of a request, reserved before it is sent: input tokens counted pessimistically
 * from the request (one token per character of text, a fixed allowance per image and per
 * message), output tokens from max_tokens (or governance.default_max_tokens), priced at the most
 * expensive target the route could fall back to.
 */
import type { EmbeddingsRequest } from '../core/embeddings.js';
import type { ContentPart, CoreRequest } from '../core/request.js';
import type { Usage } from '../core/response.js';
import type { PriceTable } from '../pricing/price-table.js';
import type { Target } from '../routing/runtime.js';

/** Tokens reserved per image: above what the big providers charge for one image at full detail. */
export const IMAGE_TOKENS = 2000;
/** Tokens reserved per message for role and framing. */
export const MESSAGE_OVERHEAD = 8;

function partChars(p: ContentPart): number {
  switch (p.type) {
    case 'text':
    case 'reasoning':
      return p.text.length;
    case 'image':
      return IMAGE_TOKENS;
    case 'tool-call':
      return p.name.length + p.arguments.length;
    case 'tool-result':
      return typeof p.content === 'string' ? p.content.length : p.content.reduce((n, c) => n + partChars(c), 0);
  }
}

export function estimateChatTokens(request: CoreRequest, defaultMaxTokens: number): { input: number; output: number } {
  let input = 0;
  for (const s of request.system) input += s.text.length;
  for (const m of request.messages) {
    input += MESSAGE_OVERHEAD;
    for (const p of m.content) input += partChars(p);
  }
  if (request.tools?.length) input += JSON.stringify(request.tools).length;
  const choices = (request as { n?: number }).n ?? 1;
  const output = (request.maxTokens ?? defaultMaxTokens) * Math.max(1, choices);
  return { input, output };
}

export function estimateEmbeddingsTokens(request: Pick<EmbeddingsRequest, 'input'>): { input: number; output: number } {
  const i = request.input;
  const input = i.kind === 'text' ? i.texts.reduce((n, t) => n + t.length + 1, 0) : i.tokens.reduce((n, t) => n + t.length, 0);
  return { input, output: 0 };
}

/** USD of `tokens` at the most expensive of `targets` (unpriced targets count 0). */
export function worstCaseUsd(prices: PriceTable, targets: readonly Target[], tokens: { input: number; output: number }): number {
  let worst = 0;
  for (const t of targets) {
    const p = prices.lookup({ provider: t.provider.name, providerType: t.provider.type, model: t.model });
    if (!p) continue;
    const inPrice = Math.max(p.input, p.cacheWrite ?? p.input);
    const usd = (tokens.input * inPrice + tokens.output * p.output) / 1e6;
    if (usd > worst) worst = usd;
  }
  return worst;
}

/** Partial usage events merged into one. */
export function mergeUsage(acc: Partial<Usage> | undefined, next: Partial<Usage>): Partial<Usage> {
  return acc ? { ...acc, ...next } : { ...next };
}
