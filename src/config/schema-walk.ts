/**
 * Reading the zod schema itself: which keys an object at a given path allows (for "did you mean"),
 * the description of a field (for "missing" hints), and every key path (so a test can check that
 * docs/configuration.md mentions each one).
 */
import { z } from 'zod';

type Schema = z.core.$ZodType;
type Def = z.core.$ZodTypeDef;

/** Peels wrappers that do not change the shape: default, optional, nullable, readonly, catch, pipe input, lazy. */
export function unwrapSchema(schema: Schema): Schema {
  let s = schema;
  for (let guard = 0; guard < 32; guard++) {
    const def = s._zod.def as Def;
    switch (def.type) {
      case 'default':
      case 'prefault':
      case 'optional':
      case 'nullable':
      case 'nonoptional':
      case 'readonly':
      case 'catch':
        s = (def as z.core.$ZodDefaultDef).innerType;
        break;
      case 'pipe':
        s = (def as z.core.$ZodPipeDef).in;
        break;
      case 'lazy':
        s = (def as z.core.$ZodLazyDef).getter();
        break;
      default:
        return s;
    }
  }
  return s;
}

/** The first description found on `schema` or any wrapper inside it. */
export function schemaDescription(schema: Schema): string | undefined {
  let s: Schema | undefined = schema;
  for (let guard = 0; s && guard < 32; guard++) {
    const d = z.globalRegistry.get(s)?.description;
    if (d) return d;
    const def = s._zod.def as Def;
    if (def.type === 'default' || def.type === 'prefault' || def.type === 'optional' || def.type === 'nullable' || def.type === 'readonly' || def.type === 'catch' || def.type === 'nonoptional') {
      s = (def as z.core.$ZodDefaultDef).innerType;
    } else return undefined;
  }
  return undefined;
}

/** The object option(s) of a union, or the object itself, after unwrapping. */
function objectsOf(schema: Schema): Array<z.core.$ZodObject> {
  const s = unwrapSchema(schema);
  const def = s._zod.def as Def;
  if (def.type === 'object') return [s as z.core.$ZodObject];
  if (def.type === 'union') return (def as z.core.$ZodUnionDef).options.flatMap((o) => objectsOf(o));
  return [];
}

/**
 * The schema that validates the value at `path` (as in zod issue paths), or undefined when the path
 * leaves the schema (an unknown key, say).
 */
export function schemaAtPath(root: Schema, path: readonly PropertyKey[]): Schema | undefined {
  let s: Schema | undefined = root;
  for (const segment of path) {
    if (!s) return undefined;
    const u = unwrapSchema(s);
    const def = u._zod.def as Def;
    if (def.type === 'array') {
      s = typeof segment === 'number' ? (def as z.core.$ZodArrayDef).element : undefined;
    } else if (def.type === 'record') {
      s = typeof segment === 'string' ? (def as z.core.$ZodRecordDef).valueType : undefined;
    } else {
      s = undefined;
      if (typeof segment !== 'string') return undefined;
      for (const obj of objectsOf(u)) {
        const field = obj._zod.def.shape[segment];
        if (field) {
          s = field;
          break;
        }
      }
    }
  }
  return s;
}

/** The keys the object at `path` allows, in schema order; empty when there is no object there. */
export function allowedKeysAtPath(root: Schema, path: readonly PropertyKey[]): string[] {
  const s = schemaAtPath(root, path);
  if (!s) return [];
  const keys = new Set<string>();
  for (const obj of objectsOf(s)) for (const k of Object.keys(obj._zod.def.shape)) keys.add(k);
  return [...keys];
}

/** Whether a missing value at `path` would be filled in or allowed (it has a default or is optional). */
export function hasDefaultOrIsOptional(schema: Schema): boolean {
  const t = (schema._zod.def as Def).type;
  return t === 'default' || t === 'prefault' || t === 'optional' || schema._zod.optin === 'optional';
}

export interface KeyPathInfo {
  /** Dotted as in the docs: `providers.<name>.keys[].value`. */
  path: string;
  /** The field's schema, wrappers (default, optional) included. */
  schema: Schema;
}

/**
 * Every key of the schema with its dotted path as written in the docs: record entries are
 * `<name>`, array items `[]`. E.g. `providers.<name>.keys[].value`, `models.<name>.targets[].target`.
 * Records and arrays of plain values end the path (`providers.<name>.headers`).
 */
export function listKeyPaths(root: Schema): KeyPathInfo[] {
  const out = new Map<string, KeyPathInfo>();
  const visit = (schema: Schema, prefix: string): void => {
    const u = unwrapSchema(schema);
    const def = u._zod.def as Def;
    if (def.type === 'object') {
      for (const [key, field] of Object.entries((u as z.core.$ZodObject)._zod.def.shape)) {
        const path = prefix === '' ? key : `${prefix}.${key}`;
        if (!out.has(path)) out.set(path, { path, schema: field });
        visit(field, path);
      }
    } else if (def.type === 'record') {
      visit((def as z.core.$ZodRecordDef).valueType, `${prefix}.<name>`);
    } else if (def.type === 'array') {
      visit((def as z.core.$ZodArrayDef).element, `${prefix}[]`);
    } else if (def.type === 'union') {
      for (const o of (def as z.core.$ZodUnionDef).options) visit(o, prefix);
    }
  };
  visit(root, '');
  return [...out.values()];
}

/** The default a field's schema fills in, if it has one. */
export function schemaDefault(schema: Schema): { value: unknown } | undefined {
  let s: Schema = schema;
  for (let guard = 0; guard < 32; guard++) {
    const def = s._zod.def as Def;
    if (def.type === 'default') return { value: (def as z.core.$ZodDefaultDef).defaultValue };
    if (def.type === 'optional' || def.type === 'nullable' || def.type === 'readonly') s = (def as z.core.$ZodOptionalDef).innerType;
    else return undefined;
  }
  return undefined;
}
