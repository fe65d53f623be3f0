/**
 * Writes schema/switchyard.config.schema.json from the zod schema in src/config/schema.ts.
 * Run it after changing the schema: `npm run schema`.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { CONFIG_JSON_SCHEMA_PATH, configJsonSchemaText } from '../src/config/config-json-schema.js';

const target = fileURLToPath(new URL(`../${CONFIG_JSON_SCHEMA_PATH}`, import.meta.url));
await writeFile(target, configJsonSchemaText(), 'utf8');
console.log(`wrote ${CONFIG_JSON_SCHEMA_PATH}`);
