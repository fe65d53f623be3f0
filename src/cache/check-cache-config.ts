/**
 * Cross-field checks of the cache config, run with the rest of the config's semantics, when the
 * semantic cache is in use (by `cache` or by an alias): the embedding model must be something
 * this gateway serves, and a Postgres index needs `storage.postgres_url`. Without them the config
 * loaded and every semantic lookup failed at request time, each a miss with a debug line: a
 * semantic cache that silently never hit.
 */
import type { Config } from '../config/schema.js';
import { didYouMean } from '../config/did-you-mean.js';
import { semanticInUse } from './semantic-in-use.js';

export function checkCacheConfig(config: Config, add: (path: readonly PropertyKey[], message: string) => void): void {
  if (!semanticInUse(config)) return;
  const semantic = config.cache.semantic;
  const model = semantic.embedding_model;
  const slash = model.indexOf('/');
  const served = slash < 0 ? Object.hasOwn(config.models, model) : Object.hasOwn(config.providers, model.slice(0, slash)) && slash < model.length - 1;
  if (!served) {
    const providers = Object.keys(config.providers);
    const example = `${providers[0] ?? 'openai'}/text-embedding-3-small`;
    const guess = slash < 0 ? didYouMean(model, Object.keys(config.models)) : didYouMean(model.slice(0, slash), providers);
    const what = slash < 0 ? `no alias named ${JSON.stringify(model)}` : `provider ${JSON.stringify(model.slice(0, slash))} is not configured`;
    add(
      ['cache', 'semantic', 'embedding_model'],
      `${what}${guess ? `; did you mean "${guess}"?` : ''}; the semantic cache embeds questions through this gateway: name an alias with an embedding target (e.g. models.embed: { targets: [${example}] }) or a provider/model such as "${example}"`,
    );
  }
  if (semantic.index.type === 'postgres' && !config.storage.postgres_url) {
    add(['cache', 'semantic', 'index', 'type'], 'postgres keeps the index in storage.postgres_url, which is not set; set it (a Postgres with the pgvector extension) or use { type: embedded }');
  }
}
