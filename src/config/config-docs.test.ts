/**
 * docs/configuration.md must keep up with the schema: every key is in a table, with the default
 * the schema fills in (or "required" / "—").
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { configSchema } from './schema.js';
import { listKeyPaths, schemaDefault, unwrapSchema } from './schema-walk.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const doc = await readFile(`${repoRoot}docs/configuration.md`, 'utf8');
const keys = listKeyPaths(configSchema);
/** Required by the schema but filled in by the loader first (the provider's name, when that is a known type). */
const FILLED_BY_LOADER = new Set(['providers.<name>.type']);

/** Table row of a key: `| \`path\` | type | default | meaning |`, split into cells. */
function rowOf(path: string): string[] | undefined {
  const line = doc.split('\n').find((l) => l.startsWith(`| \`${path}\` |`));
  return line?.split(' | ').map((c) => c.trim());
}

/** Objects (and records of objects) are documented by their own keys; everything else is a leaf. */
function isLeaf(schema: Parameters<typeof unwrapSchema>[0]): boolean {
  const u = unwrapSchema(schema);
  const t = u._zod.def.type;
  if (t === 'object') return false;
  if (t === 'record') return !['object', 'union'].includes(unwrapSchema((u._zod.def as unknown as { valueType: typeof u }).valueType)._zod.def.type);
  return true;
}

describe('docs/configuration.md', () => {
  it('finds the keys of the schema (sanity check of the walk)', () => {
    const paths = keys.map((k) => k.path);
    for (const p of ['server.port', 'providers.<name>.keys[].value', 'providers.<name>.timeouts.idle_ms', 'models.<name>.targets[].target', 'routing.circuit_breaker.cooldown_ms']) {
      assert.ok(paths.includes(p), p);
    }
  });

  it('mentions every key of the schema', () => {
    const missing = keys.map((k) => k.path).filter((p) => !doc.includes(`\`${p}\``));
    assert.deepEqual(missing, [], `add these keys to docs/configuration.md: ${missing.join(', ')}`);
  });

  it('has a table row with the right default for every leaf key', () => {
    const wrong: string[] = [];
    for (const { path, schema } of keys.filter((k) => isLeaf(k.schema))) {
      const row = rowOf(path);
      if (!row) {
        wrong.push(`${path}: no table row starting with | \`${path}\` |`);
        continue;
      }
      const cell = row[2] ?? '';
      const def = schemaDefault(schema);
      const optional = schema._zod.optin === 'optional';
      const expected = def ? `\`${JSON.stringify(def.value)}\`` : optional || FILLED_BY_LOADER.has(path) ? '—' : 'required';
      if (!cell.startsWith(expected)) wrong.push(`${path}: default column is "${cell}", expected it to start with ${expected}`);
    }
    assert.deepEqual(wrong, []);
  });
});
