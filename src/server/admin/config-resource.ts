/**
 * /api/config: the effective config (secrets redacted), a dry-run validation of an edit, the
 * revision history, and restoring the store to an earlier revision.
 */
import type { EntityChange, PlannedChange, RevisionRecord, StoredEntity } from '../../control/config-store.js';
import type { ControlPlane } from '../../control/control-plane.js';
import { ConfigInvalidError } from '../../control/control-plane.js';
import { fileDefines, kindRecord, redactConfigSecrets } from '../../control/effective-config.js';
import { ENTITY_KINDS, entityKind } from '../../control/entity-kinds.js';
import type { Json, JsonObject } from '../../control/secret-fields.js';
import { redactEntity } from '../../control/secret-fields.js';
import { GatewayError } from '../../core/errors.js';
import type { AdminRoute } from './admin-http.js';
import { invalid, isObject, parseRevision } from './admin-http.js';
import { entityBody, sealFor } from './entity-resource.js';

const MAX_LIMIT = 200;

function redactBody(control: ControlPlane, kind: string, body: JsonObject | undefined): JsonObject | undefined {
  const k = entityKind(kind);
  return body && k ? redactEntity(body, k.secrets, control.box) : body;
}

function changeView(control: ControlPlane, c: EntityChange): JsonObject {
  const out: JsonObject = { kind: c.kind, name: c.name, action: c.action };
  const before = redactBody(control, c.kind, c.before);
  const after = redactBody(control, c.kind, c.after);
  if (before) out['before'] = before;
  if (after) out['after'] = after;
  return out;
}

function revisionView(control: ControlPlane, r: RevisionRecord): JsonObject {
  const out: JsonObject = {
    revision: r.revision,
    time: new Date(r.at).toISOString(),
    actor: r.actor as unknown as JsonObject,
    summary: r.summary,
    changes: r.changes.map((c) => changeView(control, c)),
  };
  if (r.restoredFrom !== undefined) out['restored_from'] = r.restoredFrom;
  return out;
}

function entitiesView(control: ControlPlane, state: StoredEntity[]): JsonObject[] {
  return state.map((e) => ({ kind: e.kind, name: e.name, ...redactBody(control, e.kind, e.body), revision: e.revision }));
}

/** The effective config with every secret redacted, and which store entities it includes. */
function effectiveView(control: ControlPlane): JsonObject {
  const config = redactConfigSecrets(control.currentConfig as unknown as Json);
  const managed: JsonObject = {};
  for (const kind of ENTITY_KINDS) {
    const rec = kindRecord(config, kind) as Record<string, Json> | undefined;
    if (!rec) continue;
    const by: JsonObject = {};
    for (const [name, value] of Object.entries(rec)) {
      rec[name] = redactEntity(value, kind.secrets);
      by[name] = fileDefines(control.fileConfig, kind, name) ? 'file' : 'api';
    }
    managed[kind.kind] = by;
  }
  return { revision: control.status().revision, store: { kind: control.store.kind, up: control.status().up }, managed_by: managed, config };
}

function revisionParam(v: string | undefined): number {
  const n = parseRevision(v, 'revision');
  if (n === undefined) throw invalid('revision', 'expected a revision number');
  return n;
}

export const configResource: AdminRoute[] = [
  {
    method: 'GET',
    pattern: 'config',
    async handle({ control }) {
      await control.sync().catch(() => {});
      return { body: effectiveView(control) };
    },
  },
  {
    // Body: { "<kind>": { "<name>": entity | null } }, e.g. { "models": { "fast": { "targets": [...] } } }.
    method: 'POST',
    pattern: 'config/validate',
    async handle(call) {
      const raw = await call.body();
      const kinds = ENTITY_KINDS.map((k) => k.kind);
      if (!isObject(raw)) throw invalid('(body)', `expected an object of edits by kind, e.g. {"models": {"fast": {"targets": ["openai/gpt-4o-mini"]}}}; kinds: ${kinds.join(', ')}`);
      const { control } = call;
      await control.sync().catch(() => {});
      const current = control.storeState;
      const changes: PlannedChange[] = [];
      for (const [k, edits] of Object.entries(raw)) {
        const kind = entityKind(k);
        if (!kind) throw invalid(k, `unknown kind; use ${kinds.join(', ')}`);
        if (!isObject(edits)) throw invalid(k, 'expected an object: name → entity (or null to delete)');
        for (const [name, value] of Object.entries(edits)) {
          const path = `${k}.${name}`;
          if (fileDefines(control.fileConfig, kind, name)) throw new GatewayError('GW_ERR_CONFLICT', `${path}: defined in the config file; edit the file and reload`);
          if (!kind.name.pattern.test(name)) throw invalid(path, kind.name.rule);
          if (value === null) {
            changes.push({ kind: k, name, body: null });
            continue;
          }
          const previous = current.entities.find((e) => e.kind === k && e.name === name)?.body;
          try {
            changes.push({ kind: k, name, body: sealFor(kind, control, entityBody(value).body, previous) });
          } catch (e) {
            if (e instanceof ConfigInvalidError) throw new ConfigInvalidError(e.problems.map((p) => ({ path: `${path}.${p.path}`, message: p.message })));
            throw e;
          }
        }
      }
      await control.prepare();
      control.validate(current, changes);
      return { body: { valid: true, revision: current.revision } };
    },
  },
  {
    method: 'GET',
    pattern: 'config/revisions',
    async handle({ control, url }) {
      for (const k of url.searchParams.keys()) if (!['limit', 'before'].includes(k)) throw invalid(k, 'unknown parameter; use limit, before');
      const limitText = url.searchParams.get('limit');
      const limit = limitText === null ? 50 : Number(limitText);
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw invalid('limit', `expected an integer from 1 to ${MAX_LIMIT}`);
      const before = parseRevision(url.searchParams.get('before') ?? undefined, 'before');
      const rows = await storeCall(() => control.store.revisions({ limit, ...(before !== undefined ? { before } : {}) }));
      const last = rows[rows.length - 1];
      return { body: { data: rows.map((r) => revisionView(control, r)), next_before: rows.length === limit && last ? last.revision : null } };
    },
  },
  {
    method: 'GET',
    pattern: 'config/revisions/:revision',
    async handle({ control, params }) {
      const n = revisionParam(params['revision']);
      const r = await storeCall(() => control.store.revision(n));
      if (!r) throw new GatewayError('GW_ERR_NOT_FOUND', `revision ${n} does not exist; GET /api/config/revisions lists them`);
      return { body: { ...revisionView(control, r), entities: entitiesView(control, r.state) } };
    },
  },
  {
    method: 'POST',
    pattern: 'config/revisions/:revision/restore',
    async handle(call) {
      const { control } = call;
      const n = revisionParam(call.params['revision']);
      let target: StoredEntity[] = [];
      if (n !== 0) {
        const r = await storeCall(() => control.store.revision(n));
        if (!r) throw new GatewayError('GW_ERR_NOT_FOUND', `revision ${n} does not exist; GET /api/config/revisions lists them (0 restores the store to empty)`);
        target = r.state;
      }
      const result = await control.commit(call.actor, (current) => {
        const keep = new Set(target.map((e) => `${e.kind}\u0000${e.name}`));
        const changes: PlannedChange[] = current.entities.filter((e) => !keep.has(`${e.kind}\u0000${e.name}`)).map((e) => ({ kind: e.kind, name: e.name, body: null }));
        for (const e of target) changes.push({ kind: e.kind, name: e.name, body: e.body });
        return { changes, summary: `restore revision ${n}`, restoredFrom: n };
      });
      return { body: { revision: result.revision, restored_from: n, changes: result.changes.map((c) => changeView(control, c)) } };
    },
  },
];

async function storeCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw new GatewayError('GW_ERR_CONFIG_STORE_UNAVAILABLE', `the config store cannot be reached: ${(e as Error).message}`);
  }
}
