import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { CONFIG_JSON_SCHEMA_PATH, configJsonSchema, configJsonSchemaText } from './config-json-schema.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

describe('schema/switchyard.config.schema.json', () => {
  it('is up to date with src/config/schema.ts', async () => {
    const committed = await readFile(`${repoRoot}${CONFIG_JSON_SCHEMA_PATH}`, 'utf8').catch(() => '');
    assert.ok(
      committed === configJsonSchemaText(),
      `${CONFIG_JSON_SCHEMA_PATH} is out of date with src/config/schema.ts: run \`npm run schema\` and commit the result`,
    );
  });

  it('describes what users write: defaults optional, unknown keys refused', () => {
    const schema = configJsonSchema() as {
      $id: string;
      title: string;
      required?: string[];
      additionalProperties: unknown;
      properties: Record<string, { required?: string[]; default?: unknown; additionalProperties?: unknown }>;
    };
    assert.equal(typeof schema.$id, 'string');
    assert.equal(schema.title, 'Switchyard configuration');
    assert.equal(schema.required, undefined);
    assert.equal(schema.additionalProperties, false);
    assert.equal(schema.properties['server']!.required, undefined);
    assert.deepEqual(schema.properties['logging']!.default, { level: 'info', content: 'metadata', retention_days: 30, queue_size: 10000, flush_interval_ms: 1000 });
    // A JSON config may carry "$schema" for editors.
    assert.ok('$schema' in schema.properties);
    // Providers: one branch per type, `type` optional (the loader fills it from the name).
    const provider = schema.properties['providers']!.additionalProperties as { anyOf: Array<{ properties: Record<string, { const?: string }>; required?: string[] }> };
    assert.ok(provider.anyOf.length >= 6);
    for (const branch of provider.anyOf) {
      assert.ok('base_url' in branch.properties);
      assert.equal(branch.required, undefined);
    }
    const gemini = provider.anyOf.find((b) => b.properties['type']!.const === 'gemini')!;
    assert.ok('api_version' in gemini.properties);
    assert.ok(!('anthropic_version' in gemini.properties));
  });
});
