/**
 * The kinds of configuration entity the store and the admin API manage. Each row says where the
 * kind lives in the config file, the zod schema of one entity (documentation and type; edits are
 * always validated as part of the whole effective config, as the file is), and which fields are
 * secrets: write-only, redacted in every response and revision, encrypted at rest when literal.
 *
 * Adding a kind is adding a row here and one small file in src/server/admin/.
 */
import type { z } from 'zod';
import { aliasSchema, BREAKER_OVERRIDE_NAME, BREAKER_OVERRIDE_RULE, breakerOverrideSchema, providerSchema, withDefaultProviderType } from '../config/schema.js';
import { GOVERNANCE_NAME, GOVERNANCE_NAME_RULE, teamSchema, virtualKeySchema } from '../governance/governance-schema.js';
import { MCP_SERVER_NAME, MCP_SERVER_NAME_RULE, mcpServerSchema } from '../mcp/mcp-schema.js';

/** A path inside one entity; "*" matches every element of an array (or every value of a record). */
export type SecretPath = readonly string[];

export interface EntityKind {
  /** Name used in the store, revisions and URLs: /api/<kind>. */
  kind: string;
  /** One entity, for messages: "provider". */
  singular: string;
  /** Where the kind's record sits in the config: ["providers"]. */
  configPath: readonly string[];
  schema: z.core.$ZodType;
  secrets: readonly SecretPath[];
  /** Allowed names, and what to say when a name does not fit. */
  name: { pattern: RegExp; rule: string };
  /** What the file loader does to an entry before validating it (e.g. a provider's default type). */
  prepare?: (name: string, entity: unknown, knownProviderTypes: readonly string[]) => unknown;
}

export const PROVIDERS_KIND: EntityKind = {
  kind: 'providers',
  singular: 'provider',
  configPath: ['providers'],
  schema: providerSchema,
  secrets: [['keys', '*', 'value'], ['credentials', 'access_key_id'], ['credentials', 'secret_access_key'], ['credentials', 'session_token']],
  name: { pattern: /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/, rule: 'provider names use letters, digits, _ . - and start with a letter or digit' },
  prepare: (name, entity, known) => withDefaultProviderType(name, entity, known),
};

export const MODELS_KIND: EntityKind = {
  kind: 'models',
  singular: 'model alias',
  configPath: ['models'],
  schema: aliasSchema,
  secrets: [],
  name: { pattern: /^[^/\s]{1,128}$/, rule: 'alias names are 1 to 128 characters without "/" or spaces' },
};

export const TEAMS_KIND: EntityKind = {
  kind: 'teams',
  singular: 'team',
  configPath: ['teams'],
  schema: teamSchema,
  secrets: [],
  name: { pattern: GOVERNANCE_NAME, rule: `team ${GOVERNANCE_NAME_RULE}` },
};

/** Virtual keys: API-created ones hold only key_sha256; a file-defined `key` is a secret. */
export const VIRTUAL_KEYS_KIND: EntityKind = {
  kind: 'virtual-keys',
  singular: 'virtual key',
  configPath: ['virtual_keys'],
  schema: virtualKeySchema,
  secrets: [['key']],
  name: { pattern: GOVERNANCE_NAME, rule: `virtual key ${GOVERNANCE_NAME_RULE}` },
};

/**
 * Manual breaker overrides: a target ("provider/model") or a provider taken out of rotation from the
 * admin API or the console; a store entity, so every replica follows it and it shows in revisions.
 */
export const BREAKER_OVERRIDES_KIND: EntityKind = {
  kind: 'breaker-overrides',
  singular: 'breaker override',
  configPath: ['breaker_overrides'],
  schema: breakerOverrideSchema,
  secrets: [],
  name: { pattern: BREAKER_OVERRIDE_NAME, rule: BREAKER_OVERRIDE_RULE },
};

/** MCP servers (mcp.servers): credentials (the child's env values, HTTP header values) are secrets. */
export const MCP_SERVERS_KIND: EntityKind = {
  kind: 'mcp_servers',
  singular: 'MCP server',
  configPath: ['mcp', 'servers'],
  schema: mcpServerSchema,
  secrets: [['env', '*'], ['headers', '*']],
  name: { pattern: MCP_SERVER_NAME, rule: MCP_SERVER_NAME_RULE },
};

export const ENTITY_KINDS: readonly EntityKind[] = [PROVIDERS_KIND, MODELS_KIND, TEAMS_KIND, VIRTUAL_KEYS_KIND, BREAKER_OVERRIDES_KIND, MCP_SERVERS_KIND];

export function entityKind(kind: string): EntityKind | undefined {
  return ENTITY_KINDS.find((k) => k.kind === kind);
}
