/**
 * Small field validators for hand-written request parsers. Each throws GW_ERR_INVALID_REQUEST with
 * the dotted path of the field, so every dialect names the field the same way.
 * (Hand-written rather than zod on the hot path: a parse that walks the body once and builds the
 * canonical request as it goes costs a fraction of a schema parse plus a second mapping pass.)
 */
import { invalidRequest } from '../../core/errors.js';

export type Obj = Record<string, unknown>;

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `a string`;
  return `${typeof v === 'object' ? 'an object' : `a ${typeof v}`}`;
}

export function expectObject(v: unknown, path: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalidRequest(path, `${path}: expected an object, got ${describe(v)}`);
  return v as Obj;
}

export function expectArray(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) throw invalidRequest(path, `${path}: expected an array, got ${describe(v)}`);
  return v;
}

export function expectString(v: unknown, path: string): string {
  if (typeof v !== 'string') throw invalidRequest(path, `${path}: expected a string, got ${describe(v)}`);
  return v;
}

export function expectNonEmptyString(v: unknown, path: string): string {
  const s = expectString(v, path);
  if (s.length === 0) throw invalidRequest(path, `${path}: must not be empty`);
  return s;
}

export function optString(obj: Obj, key: string, path: string): string | undefined {
  const v = obj[key];
  return v === undefined || v === null ? undefined : expectString(v, path + key);
}

export function optBoolean(obj: Obj, key: string, path: string): boolean | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw invalidRequest(path + key, `${path + key}: expected a boolean, got ${describe(v)}`);
  return v;
}

export function optNumber(obj: Obj, key: string, path: string, range?: { min?: number; max?: number; integer?: boolean }): number | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  const p = path + key;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalidRequest(p, `${p}: expected a number, got ${describe(v)}`);
  if (range?.integer && !Number.isInteger(v)) throw invalidRequest(p, `${p}: expected an integer, got ${v}`);
  if (range?.min !== undefined && v < range.min) throw invalidRequest(p, `${p}: must be at least ${range.min}, got ${v}`);
  if (range?.max !== undefined && v > range.max) throw invalidRequest(p, `${p}: must be at most ${range.max}, got ${v}`);
  return v;
}

/** Parses a `data:` URL into media type and base64 data, or undefined when it is not one. */
export function parseDataUrl(url: string): { mediaType: string; data: string } | undefined {
  if (!url.startsWith('data:')) return undefined;
  const comma = url.indexOf(',');
  if (comma < 0) return undefined;
  const meta = url.slice(5, comma);
  if (!meta.endsWith(';base64')) return undefined;
  return { mediaType: meta.slice(0, -7) || 'application/octet-stream', data: url.slice(comma + 1) };
}
