/**
 * The effective config: the file's entities plus the store's, validated by the same zod schema and
 * the same cross-field checks as the file alone. Store entities are opened (sealed secrets
 * decrypted) and their `env.NAME` references resolved here, on each replica, when compiling.
 * A name the file defines is the file's: a store entity of the same name is shadowed.
 */
import type { ConfigProblem } from '../config/config-error.js';
import { formatConfigPath } from '../config/config-error.js';
import { checkConfigSemantics } from '../config/check-config-semantics.js';
import { issuesToProblems } from '../config/issues-to-problems.js';
import { resolveEnvRefs } from '../config/resolve-env-refs.js';
import type { Config } from '../config/schema.js';
import { configSchema } from '../config/schema.js';
import type { StoredEntity } from './config-store.js';
import type { EntityKind } from './entity-kinds.js';
import { entityKind } from './entity-kinds.js';
import type { SecretBox } from './secret-box.js';
import type { Json, JsonObject } from './secret-fields.js';
import { openEntity, secretSites } from './secret-fields.js';

export interface BuildEffectiveConfigInput {
  file: Config;
  entities: readonly StoredEntity[];
  box: SecretBox | undefined;
  env: Record<string, string | undefined>;
  knownProviderTypes: readonly string[];
}

export type EffectiveConfigResult = { ok: true; config: Config; shadowed: StoredEntity[] } | { ok: false; problems: ConfigProblem[] };

/** The record of a kind inside a config-shaped object (created when missing). */
export function kindRecord(root: Record<string, unknown>, kind: EntityKind, create = false): Record<string, unknown> | undefined {
  let node: Record<string, unknown> = root;
  for (const seg of kind.configPath) {
    let next = node[seg];
    if (next === undefined || next === null) {
      if (!create) return undefined;
      next = {};
      node[seg] = next;
    }
    node = next as Record<string, unknown>;
  }
  return node;
}

export function fileDefines(file: Config, kind: EntityKind, name: string): boolean {
  const rec = kindRecord(file as unknown as Record<string, unknown>, kind);
  return rec !== undefined && Object.hasOwn(rec, name);
}

export function buildEffectiveConfig(input: BuildEffectiveConfigInput): EffectiveConfigResult {
  const problems: ConfigProblem[] = [];
  const storeDoc: Record<string, unknown> = {};
  const shadowed: StoredEntity[] = [];
  const plain = new Set<string>();
  for (const e of input.entities) {
    const kind = entityKind(e.kind);
    if (!kind) continue;
    if (fileDefines(input.file, kind, e.name)) {
      shadowed.push(e);
      continue;
    }
    try {
      const opened = openEntity(e.body, kind.secrets, input.box);
      for (const s of secretSites(opened, kind.secrets)) plain.add(s.value);
      kindRecord(storeDoc, kind, true)![e.name] = opened;
    } catch (err) {
      problems.push({ path: formatConfigPath([...kind.configPath, e.name]), message: (err as Error).message });
    }
  }
  const resolved = resolveEnvRefs(storeDoc, input.env);
  problems.push(...resolved.problems);
  for (const s of resolved.secrets) plain.add(s);
  const unset = new Set([...resolved.refs].filter(([, r]) => !r.set).map(([p]) => p));

  const merged = structuredClone(input.file) as unknown as Record<string, unknown>;
  const resolvedDoc = resolved.value as Record<string, unknown>;
  for (const e of input.entities) {
    const kind = entityKind(e.kind);
    if (!kind || fileDefines(input.file, kind, e.name)) continue;
    const value = kindRecord(resolvedDoc, kind)?.[e.name];
    if (value !== undefined) kindRecord(merged, kind, true)![e.name] = kind.prepare ? kind.prepare(e.name, value, input.knownProviderTypes) : value;
  }

  const parsed = configSchema.safeParse(merged, { reportInput: true });
  if (!parsed.success) {
    problems.push(...issuesToProblems(parsed.error.issues, { schema: configSchema, envRefs: resolved.refs, knownProviderTypes: input.knownProviderTypes }).filter((p) => !unset.has(p.path)));
    return { ok: false, problems: redactProblems(problems, plain) };
  }
  const checked = checkConfigSemantics(parsed.data, { knownProviderTypes: input.knownProviderTypes, envRefs: resolved.refs });
  problems.push(...checked.problems.filter((p) => !unset.has(p.path)));
  if (problems.length) return { ok: false, problems: redactProblems(problems, plain) };
  return { ok: true, config: structuredClone(checked.config), shadowed };
}

/** Problem messages never carry a secret value, even should a schema message echo one. */
function redactProblems(problems: ConfigProblem[], secrets: ReadonlySet<string>): ConfigProblem[] {
  const long = [...secrets].filter((s) => s.length >= 8).sort((a, b) => b.length - a.length);
  return problems.map((p) => {
    let message = p.message;
    for (const s of long) message = message.split(s).join('<secret>');
    return { path: p.path, message };
  });
}

/**
 * The problems about one entity, with their paths relative to it (`targets[1]` rather than
 * `models.fast.targets[1]`); problems elsewhere (another entity now broken by this edit) keep their
 * full path.
 */
export function relativeProblems(problems: readonly ConfigProblem[], kind: EntityKind, name: string): ConfigProblem[] {
  const prefix = formatConfigPath([...kind.configPath, name]);
  return problems.map((p) => {
    if (p.path === prefix) return { path: '(entity)', message: p.message };
    if (p.path.startsWith(prefix + '.')) return { path: p.path.slice(prefix.length + 1), message: p.message };
    if (p.path.startsWith(prefix + '[')) return { path: p.path.slice(prefix.length), message: p.message };
    return p;
  });
}

/** Redacts the non-entity secrets of a config for display (tokens, client keys, the Postgres password). */
export function redactConfigSecrets(config: Json): JsonObject {
  const copy = structuredClone(config) as JsonObject;
  const server = copy['server'] as JsonObject | undefined;
  if (server) {
    for (const k of ['admin_token', 'admin_read_token']) if (typeof server[k] === 'string') server[k] = '****';
    if (Array.isArray(server['api_keys'])) server['api_keys'] = server['api_keys'].map(() => '****');
  }
  const storage = copy['storage'] as JsonObject | undefined;
  if (storage && typeof storage['postgres_url'] === 'string') storage['postgres_url'] = storage['postgres_url'].replace(/(\/\/[^:/@\s]+:)[^@\s]+@/, '$1****@');
  return copy;
}
