/**
 * The config the response-cache tests share: client keys A and B and an admin token, an `embed`
 * alias for the semantic cache, `faq` (semantic on) and `no-cache-model` (cache off), the cache on
 * (memory store; semantic off globally).
 */
import { defaultConfig } from './stack.js';

export const CACHE_ADMIN = 'admin-secret-token';
export const CACHE_KEY_A = 'client-key-a-0123456789';
export const CACHE_KEY_B = 'client-key-b-0123456789';

export function cacheConfig(mockUrl: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const base = defaultConfig(mockUrl) as { server: Record<string, unknown>; providers: Record<string, unknown>; models: Record<string, unknown> };
  return {
    ...base,
    server: { ...base.server, api_keys: [CACHE_KEY_A, CACHE_KEY_B], admin_token: CACHE_ADMIN },
    models: {
      ...base.models,
      embed: { targets: ['openai/text-embedding-3-small'] },
      faq: { targets: ['openai/gpt-4o-mini'], cache: { ttl_s: 86400, semantic: true } },
      'no-cache-model': { targets: ['openai/gpt-4o-mini'], cache: false },
    },
    cache: { enabled: true, ttl_s: 60, semantic: { enabled: false, embedding_model: 'embed', threshold: 0.9 } },
    ...extra,
  };
}
