/**
 * A Gemini `Schema` (OpenAPI 3.0 subset: upper-case `type`, `nullable`, `format`, `enum`,
 * `properties`, `items`, `anyOf`, `required`, …) → JSON Schema, the canonical model's language
 * for tool parameters and response schemas. Types are lower-cased and `nullable` becomes a union
 * with "null"; Gemini-only ordering hints (`propertyOrdering`) are dropped.
 */
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const DROPPED = new Set(['nullable', 'propertyOrdering']);

export function geminiSchemaToJsonSchema(schema: unknown): Record<string, unknown> {
  if (!isObj(schema)) return {};
  const out: Obj = {};
  for (const [k, v] of Object.entries(schema)) {
    if (DROPPED.has(k)) continue;
    if (k === 'type' && typeof v === 'string') {
      const t = v.toLowerCase();
      if (t !== 'type_unspecified') out.type = t;
    } else if (k === 'properties' && isObj(v)) {
      out.properties = Object.fromEntries(Object.entries(v).map(([name, s]) => [name, geminiSchemaToJsonSchema(s)]));
    } else if (k === 'items') {
      out.items = geminiSchemaToJsonSchema(v);
    } else if (k === 'anyOf' && Array.isArray(v)) {
      out.anyOf = v.map(geminiSchemaToJsonSchema);
    } else if ((k === 'minItems' || k === 'maxItems' || k === 'minLength' || k === 'maxLength' || k === 'minProperties' || k === 'maxProperties') && typeof v === 'string') {
      // int64 fields arrive as strings in Google's JSON mapping.
      out[k] = Number(v);
    } else {
      out[k] = v;
    }
  }
  if (schema.nullable === true && typeof out.type === 'string') out.type = [out.type, 'null'];
  return out;
}
