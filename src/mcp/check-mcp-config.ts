/**
 * Cross-field checks of the MCP config, run with the rest of the config's semantics: every server
 * an alias or a virtual key names under `mcp.servers` must be one of `mcp.servers`. Without this
 * a misspelt name only showed at request time, as a tool list that silently lacked that server.
 */
import type { Config } from '../config/schema.js';
import { didYouMean } from '../config/did-you-mean.js';

export function checkMcpConfig(config: Config, add: (path: readonly PropertyKey[], message: string) => void): void {
  const defined = Object.keys(config.mcp.servers);
  const check = (names: readonly string[] | undefined, path: readonly PropertyKey[]) => {
    names?.forEach((name, i) => {
      if (Object.hasOwn(config.mcp.servers, name)) return;
      const guess = didYouMean(name, defined);
      add([...path, i], `no MCP server named ${JSON.stringify(name)}${guess ? `; did you mean "${guess}"?` : ''}; define it under mcp.servers (defined: ${defined.join(', ') || 'none'})`);
    });
  };
  for (const [name, alias] of Object.entries(config.models)) check(alias.mcp?.servers, ['models', name, 'mcp', 'servers']);
  for (const [name, key] of Object.entries(config.virtual_keys)) check(key.mcp?.servers, ['virtual_keys', name, 'mcp', 'servers']);
}
