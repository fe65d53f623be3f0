/**
 * Checks that need more than one field at a time, after the schema has passed: provider types,
 * alias targets that name configured providers, and a few cross-field limits.
 */
import type { Config } from './schema.js';
import type { ConfigProblem } from './config-error.js';
import { formatConfigPath } from './config-error.js';
import { didYouMean } from './did-you-mean.js';
import { checkGovernanceConfig } from '../governance/check-governance-config.js';
import { checkMcpConfig } from '../mcp/check-mcp-config.js';
import { checkCacheConfig } from '../cache/check-cache-config.js';
import type { EnvRef } from './resolve-env-refs.js';

export interface CheckConfigSemanticsOptions {
  knownProviderTypes: readonly string[];
  /** Formatted path → environment reference found there (values from env are never printed). */
  envRefs: ReadonlyMap<string, EnvRef>;
}

export interface CheckedConfig {
  config: Config;
  problems: ConfigProblem[];
}

export function checkConfigSemantics(parsed: Config, opts: CheckConfigSemanticsOptions): CheckedConfig {
  const problems: ConfigProblem[] = [];
  const add = (path: readonly PropertyKey[], message: string): void => {
    problems.push({ path: formatConfigPath(path), message });
  };
  const envAt = (path: readonly PropertyKey[]): EnvRef | undefined => opts.envRefs.get(formatConfigPath(path));
  const known = opts.knownProviderTypes;
  const knownList = known.length > 0 ? known.join(', ') : '(none registered)';

  // Providers: type, key ids, retry backoff. (The loader filled `type` from the name before the
  // schema ran; the schema knows every type the code has, the gateway may serve fewer.)
  for (const [name, provider] of Object.entries(parsed.providers)) {
    const type = provider.type;
    const typePath = ['providers', name, 'type'];
    if (!known.includes(type)) {
      const env = envAt(typePath);
      if (env) {
        add(typePath, `the value of environment variable ${env.name} is not a known provider type. Known: ${knownList}`);
      } else {
        const guess = didYouMean(type, known);
        add(typePath, `unknown provider type ${JSON.stringify(type)}${guess ? `; did you mean "${guess}"?` : '.'} Known: ${knownList}`);
      }
    }

    const ids = new Map<string, number>();
    provider.keys.forEach((key, i) => {
      if (key.id === undefined) return;
      const first = ids.get(key.id);
      if (first !== undefined) {
        add(['providers', name, 'keys', i, 'id'], `${JSON.stringify(key.id)} is already the id of keys[${first}]; give each key of a provider its own id`);
      } else ids.set(key.id, i);
    });

    if (provider.retries.backoff_initial_ms > provider.retries.backoff_max_ms) {
      add(
        ['providers', name, 'retries', 'backoff_initial_ms'],
        `must not exceed backoff_max_ms (${provider.retries.backoff_max_ms}), got ${provider.retries.backoff_initial_ms}`,
      );
    }
  }

  // Aliases: names without "/", targets of the form provider/model with a configured provider.
  const configured = Object.keys(parsed.providers).sort();
  const configuredList = configured.join(', ');
  for (const [alias, def] of Object.entries(parsed.models)) {
    if (alias.includes('/')) {
      add(
        ['models', alias],
        `alias names may not contain "/" (a name with "/" reads as provider/model); rename it, e.g. ${JSON.stringify(alias.replace(/\//g, '-'))}`,
      );
    }
    def.targets.forEach((target, i) => {
      const isObject = typeof target !== 'string';
      const text = isObject ? target.target : target;
      const path: PropertyKey[] = isObject ? ['models', alias, 'targets', i, 'target'] : ['models', alias, 'targets', i];
      const message = checkTarget(text, envAt(path), { configured, configuredList, aliases: parsed.models });
      if (message) add(path, message);
    });
  }

  const routing = parsed.routing;
  if (routing.deadline_ms > routing.max_deadline_ms) {
    add(['routing', 'deadline_ms'], `must not exceed routing.max_deadline_ms (${routing.max_deadline_ms}), got ${routing.deadline_ms}`);
  }

  // Teams and virtual keys: team references, one secret per key.
  checkGovernanceConfig(parsed, add);
  // MCP servers named by aliases and keys.
  checkMcpConfig(parsed, add);
  // The semantic cache's embedding model and index.
  checkCacheConfig(parsed, add);

  return { config: parsed, problems };
}

function checkTarget(
  text: string,
  env: EnvRef | undefined,
  ctx: { configured: string[]; configuredList: string; aliases: Record<string, unknown> },
): string | undefined {
  const slash = text.indexOf('/');
  const provider = slash < 0 ? '' : text.slice(0, slash);
  const model = slash < 0 ? '' : text.slice(slash + 1);
  const example = `${ctx.configured[0] ?? 'openai'}/${slash < 0 ? text : model || 'gpt-4o-mini'}`;
  const configuredNote = ctx.configured.length > 0 ? `Configured: ${ctx.configuredList}` : 'No providers are configured yet (add one under providers)';

  if (env) {
    if (slash <= 0 || model === '' || !ctx.configured.includes(provider)) {
      return `environment variable ${env.name} must hold "provider/model" naming a configured provider. ${configuredNote}`;
    }
    return undefined;
  }
  if (slash < 0) {
    if (Object.hasOwn(ctx.aliases, text)) {
      return `${JSON.stringify(text)} is an alias; targets name a provider and a model ("provider/model"), aliases cannot point at aliases`;
    }
    return `${JSON.stringify(text)} is not "provider/model"; write it as e.g. ${JSON.stringify(example)}`;
  }
  if (provider === '') return `${JSON.stringify(text)} has no provider before the "/"; write it as e.g. ${JSON.stringify(example)}`;
  if (model === '') return `${JSON.stringify(text)} has no model after the "/"; write it as e.g. ${JSON.stringify(`${provider}/gpt-4o-mini`)}`;
  if (!ctx.configured.includes(provider)) {
    const guess = didYouMean(provider, ctx.configured);
    return `provider ${JSON.stringify(provider)} is not configured${guess ? `; did you mean "${guess}"?` : '.'} ${configuredNote}`;
  }
  return undefined;
}
