/**
 * Whether a config uses the semantic cache anywhere. Its own module: the request path (the cache
 * middleware) and the config checks (check-cache-config.ts, in the validator's thread) both ask.
 */
import type { Config } from '../config/schema.js';

/** The global switch (cache.enabled and cache.semantic.enabled), or an alias's `cache` override. */
export function semanticInUse(config: Pick<Config, 'cache' | 'models'>): boolean {
  const cfg = config.cache;
  if (cfg.enabled && cfg.semantic.enabled) return true;
  return Object.values(config.models).some((a) => {
    const o = a.cache;
    if (o === true) return cfg.semantic.enabled;
    return typeof o === 'object' && o.enabled !== false && (o.semantic ?? cfg.semantic.enabled);
  });
}
