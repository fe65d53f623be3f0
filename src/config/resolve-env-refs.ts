/**
 * Environment references: any string value (never a key) that is exactly `env.NAME` is replaced by
 * the environment variable NAME before validation. The result remembers which paths came from the
 * environment, so error messages can describe those values by variable name and never print them.
 */
import type { ConfigProblem } from './config-error.js';
import { formatConfigPath } from './config-error.js';

export const ENV_REF_PATTERN = /^env\.([A-Za-z_][A-Za-z0-9_]*)$/;
/** Strings that start like a reference but whose name is not a valid variable name. */
const ENV_REF_LOOKALIKE = /^env\.(\S*)$/;

export interface EnvRef {
  /** Variable name. */
  name: string;
  /** Whether the variable was set (its value is then in the resolved document). */
  set: boolean;
}

export interface ResolvedEnvRefs {
  /** A copy of the document with every set reference replaced; unset ones are left as written. */
  value: unknown;
  /** Formatted path (as in `formatConfigPath`) → reference found there. */
  refs: Map<string, EnvRef>;
  /** Resolved values (for a last-line redaction of error text). */
  secrets: Set<string>;
  problems: ConfigProblem[];
}

export function resolveEnvRefs(document: unknown, env: Record<string, string | undefined>): ResolvedEnvRefs {
  const refs = new Map<string, EnvRef>();
  const secrets = new Set<string>();
  const problems: ConfigProblem[] = [];

  const visit = (node: unknown, path: PropertyKey[]): unknown => {
    if (typeof node === 'string') {
      const m = ENV_REF_PATTERN.exec(node);
      if (m) {
        const name = m[1]!;
        const where = formatConfigPath(path);
        const value = Object.prototype.hasOwnProperty.call(env, name) ? env[name] : undefined;
        if (value === undefined) {
          refs.set(where, { name, set: false });
          problems.push({ path: where, message: `environment variable ${name} is not set (export it, or put the value in the config)` });
          return node;
        }
        refs.set(where, { name, set: true });
        if (value !== '') secrets.add(value);
        return value;
      }
      const look = ENV_REF_LOOKALIKE.exec(node);
      if (look) {
        problems.push({
          path: formatConfigPath(path),
          message: `"${node}" looks like an environment reference, but "${look[1]}" is not a valid variable name (letters, digits and _, not starting with a digit)`,
        });
      }
      return node;
    }
    if (Array.isArray(node)) return node.map((item, i) => visit(item, [...path, i]));
    if (node !== null && typeof node === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(node)) {
        // defineProperty, not assignment: a key named "__proto__" stays a plain (unknown) key.
        Object.defineProperty(out, key, { value: visit(item, [...path, key]), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    return node;
  };

  return { value: visit(document, []), refs, secrets, problems };
}
