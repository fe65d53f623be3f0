/**
 * JSON Schema (as clients send it for tools and response formats) → the OpenAPI 3.0 subset Gemini's
 * `Schema` accepts. Keeps what Gemini understands, turns `type: [T, "null"]` into `nullable`,
 * `const` into a one-value `enum`, `oneOf` into `anyOf`, and drops the rest (`$schema`,
 * `additionalProperties`, `$id`, `default`, ...), which Gemini would reject.
 */

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Keywords copied as they are. */
const PASS = new Set([
  'description',
  'title',
  'format',
  'enum',
  'required',
  'minItems',
  'maxItems',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'pattern',
  'minProperties',
  'maxProperties',
  'propertyOrdering',
  'nullable',
  'example',
]);

export function convertJsonSchemaToGemini(schema: unknown): Obj | undefined {
  if (!isObj(schema)) return undefined;
  const out: Obj = {};
  let type = schema.type;
  if (Array.isArray(type)) {
    const nonNull = type.filter((t) => t !== 'null');
    if (nonNull.length < type.length) out.nullable = true;
    if (nonNull.length === 1) type = nonNull[0];
    else if (nonNull.length > 1) {
      out.anyOf = nonNull.map((t) => ({ type: t }));
      type = undefined;
    } else type = undefined;
  }
  if (type === 'null') {
    out.nullable = true;
    type = undefined;
  }
  if (typeof type === 'string') out.type = type;

  for (const [key, value] of Object.entries(schema)) {
    if (PASS.has(key)) {
      if (key === 'enum' && Array.isArray(value)) out.enum = value.map((v) => String(v));
      else out[key] = value;
    }
  }
  if (schema.const !== undefined) out.enum = [String(schema.const)];
  if (isObj(schema.properties)) {
    const props: Obj = {};
    for (const [k, v] of Object.entries(schema.properties)) props[k] = convertJsonSchemaToGemini(v) ?? {};
    out.properties = props;
  }
  if (schema.items !== undefined) {
    const items = Array.isArray(schema.items) ? schema.items[0] : schema.items;
    const converted = convertJsonSchemaToGemini(items);
    if (converted) out.items = converted;
  }
  const variants = Array.isArray(schema.anyOf) ? schema.anyOf : Array.isArray(schema.oneOf) ? schema.oneOf : undefined;
  if (variants) {
    const nonNull = variants.filter((v) => !(isObj(v) && v.type === 'null'));
    if (nonNull.length < variants.length) out.nullable = true;
    if (nonNull.length === 1) Object.assign(out, convertJsonSchemaToGemini(nonNull[0]));
    else if (nonNull.length > 1) out.anyOf = nonNull.map((v) => convertJsonSchemaToGemini(v) ?? {});
  }
  if (Array.isArray(schema.allOf) && schema.allOf.length === 1) Object.assign(out, convertJsonSchemaToGemini(schema.allOf[0]));
  if (out.type === 'object' && !isObj(out.properties) && !out.anyOf) out.properties = {};
  if (out.type === 'string' && out.enum === undefined && typeof out.format === 'string' && !['enum', 'date-time'].includes(out.format)) delete out.format;
  return out;
}

/** Function parameters: undefined for a schema with no properties (Gemini wants none then). */
export function convertToolParametersToGemini(schema: Record<string, unknown>): Obj | undefined {
  const converted = convertJsonSchemaToGemini('type' in schema ? schema : { type: 'object', ...schema });
  if (!converted) return undefined;
  if (converted.type === 'object' && isObj(converted.properties) && Object.keys(converted.properties).length === 0) return undefined;
  return converted;
}
