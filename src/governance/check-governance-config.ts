/** Cross-field checks of teams and virtual keys, run with the rest of the config's semantics. */
import type { Config } from '../config/schema.js';
import { didYouMean } from '../config/did-you-mean.js';
import { sha256Hex } from './sha256-hex.js';

export { sha256Hex };

export function checkGovernanceConfig(config: Config, add: (path: readonly PropertyKey[], message: string) => void): void {
  const teams = Object.keys(config.teams);
  const seen = new Map<string, string>();
  for (const k of config.server.api_keys) seen.set(sha256Hex(k), 'server.api_keys');
  for (const [name, key] of Object.entries(config.virtual_keys)) {
    if (key.team !== undefined && !Object.hasOwn(config.teams, key.team)) {
      const guess = didYouMean(key.team, teams);
      add(['virtual_keys', name, 'team'], `no team named ${JSON.stringify(key.team)}${guess ? `; did you mean "${guess}"?` : ''}; define it under teams (teams: ${teams.join(', ') || 'none'})`);
    }
    if (key.key === undefined && key.key_sha256 === undefined) {
      add(['virtual_keys', name], 'a virtual key needs its secret: key (usually env.NAME), or key_sha256; keys created through POST /api/virtual-keys get one generated');
      continue;
    }
    if (key.key !== undefined && key.key_sha256 !== undefined) {
      add(['virtual_keys', name, 'key_sha256'], 'give key or key_sha256, not both');
      continue;
    }
    const hash = key.key_sha256 ?? sha256Hex(key.key!);
    const other = seen.get(hash);
    if (other !== undefined) add(['virtual_keys', name, key.key !== undefined ? 'key' : 'key_sha256'], `the same secret is already used by ${other}; every key needs its own secret`);
    else seen.set(hash, `virtual_keys.${name}`);
  }
}
