/**
 * The JSON Schema of the configuration file, generated from the zod schema, for editors
 * (yaml-language-server, VS Code's JSON support). `npm run schema` writes it to
 * schema/switchyard.config.schema.json; a test checks that the committed file is current.
 */
import { z } from 'zod';
import { configSchema } from './schema.js';

export const CONFIG_JSON_SCHEMA_ID = 'urn:switchyard:config-schema';
export const CONFIG_JSON_SCHEMA_PATH = 'schema/switchyard.config.schema.json';

export function configJsonSchema(): Record<string, unknown> {
  // io 'input': what a user writes, so keys with defaults are optional.
  const generated = z.toJSONSchema(configSchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
  const { $schema, ...rest } = generated;
  const properties = (rest['properties'] ?? {}) as Record<string, unknown>;
  relaxProviderType(properties['providers']);
  return {
    $schema,
    $id: CONFIG_JSON_SCHEMA_ID,
    title: 'Switchyard configuration',
    description:
      'Configuration file of the Switchyard LLM gateway. Any string value written exactly as "env.NAME" is replaced by the environment variable NAME when the file is loaded. See docs/configuration.md.',
    ...rest,
    properties: {
      // The loader ignores a top-level "$schema" so JSON files can point editors at this schema.
      $schema: { type: 'string', description: 'Where editors find this JSON Schema; ignored by the gateway.' },
      ...properties,
    },
  };
}

/**
 * The schema's providers are a union discriminated by a required `type`, which the loader fills in
 * from the provider's name when that is a known type. JSON Schema cannot say "type defaults to the
 * key's name", so for editors `type` is optional and the branches are alternatives (anyOf: an entry
 * without `type` may fit several); the gateway's own check is the exact one.
 */
function relaxProviderType(providers: unknown): void {
  const entry = (providers as { additionalProperties?: Record<string, unknown> } | undefined)?.additionalProperties;
  const branches = entry?.['oneOf'];
  if (!entry || !Array.isArray(branches)) return;
  delete entry['oneOf'];
  entry['anyOf'] = branches.map((branch: Record<string, unknown>) => {
    const required = Array.isArray(branch['required']) ? (branch['required'] as string[]).filter((k) => k !== 'type') : [];
    const { required: _dropped, ...rest } = branch;
    return required.length > 0 ? { ...rest, required } : rest;
  });
}

/** The file's exact contents: two-space JSON and a final newline. */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
