/**
 * The admin resource of one entity kind: list, create, read, replace, delete. Generic over the
 * kinds in control/entity-kinds.ts; each kind's file (providers-resource.ts, …) is one call.
 *
 * Bodies are the entity as written in the config file (plus `name` on POST); answers are the same
 * shape with `name`, `revision` and `managed_by`, secrets redacted. An entity the config file
 * defines is shown but not editable here (409: edit the file and reload).
 */
import { formatConfigPath } from '../../config/config-error.js';
import type { StoredEntity, StoreState } from '../../control/config-store.js';
import type { ControlPlane } from '../../control/control-plane.js';
import { ConfigInvalidError } from '../../control/control-plane.js';
import { fileDefines, kindRecord, relativeProblems } from '../../control/effective-config.js';
import type { EntityKind } from '../../control/entity-kinds.js';
import { SECRET_KEY_HOWTO } from '../../control/secret-box.js';
import type { Json, JsonObject } from '../../control/secret-fields.js';
import { redactEntity, sealEntity } from '../../control/secret-fields.js';
import { GatewayError } from '../../core/errors.js';
import type { AdminCall, AdminRoute } from './admin-http.js';
import { invalid, isObject, parseRevision } from './admin-http.js';

/** Fields of a body that describe the entity rather than configure it. */
const META_FIELDS = ['name', 'revision', 'managed_by'];

export function fileView(kind: EntityKind, name: string, value: unknown): JsonObject {
  return { name, ...redactEntity(value as JsonObject, kind.secrets), revision: null, managed_by: 'file' };
}

export function storeView(kind: EntityKind, e: StoredEntity, control: ControlPlane): JsonObject {
  return { name: e.name, ...redactEntity(e.body, kind.secrets, control.box), revision: e.revision, managed_by: 'api' };
}

/** Every entity of a kind: the file's first, then the store's (a store entity the file shadows is not listed). */
export function listEntities(kind: EntityKind, control: ControlPlane): JsonObject[] {
  const fileRec = kindRecord(control.fileConfig as unknown as Record<string, unknown>, kind) ?? {};
  const out = Object.entries(fileRec).map(([name, v]) => fileView(kind, name, v));
  for (const e of control.storeState.entities) if (e.kind === kind.kind && !Object.hasOwn(fileRec, e.name)) out.push(storeView(kind, e, control));
  return out;
}

/** Reads the store first (a fresh view), falling back on the last state read when it is down. */
async function fresh(control: ControlPlane): Promise<void> {
  await control.sync().catch(() => {});
}

function notFound(kind: EntityKind, name: string): GatewayError {
  return new GatewayError('GW_ERR_NOT_FOUND', `${kind.singular} ${JSON.stringify(name)} does not exist; POST /api/${kind.kind} to create it`);
}

function fileManaged(kind: EntityKind, name: string): GatewayError {
  return new GatewayError(
    'GW_ERR_CONFLICT',
    `${kind.singular} ${JSON.stringify(name)} is defined in the config file, so it is managed there: edit the file and reload (SIGHUP or switchyard start --watch); only entities created through the API can be changed here`,
  );
}

/** The body without its meta fields, checked to be an object. */
export function entityBody(raw: unknown): { body: JsonObject; name: unknown; revision: unknown } {
  if (!isObject(raw)) throw invalid('(body)', 'expected a JSON object: the entity as written in the config file');
  const body: JsonObject = {};
  for (const [k, v] of Object.entries(raw)) if (!META_FIELDS.includes(k)) body[k] = v as Json;
  return { body, name: raw['name'], revision: raw['revision'] };
}

/** Seals the body's secrets (against the entity's previous body), or throws 400 naming each path. */
export function sealFor(kind: EntityKind, control: ControlPlane, body: JsonObject, previous: JsonObject | undefined): JsonObject {
  const sealed = sealEntity({ body, previous, secrets: kind.secrets, box: control.box, howToKey: SECRET_KEY_HOWTO });
  if ('problems' in sealed) throw new ConfigInvalidError(sealed.problems.map((p) => ({ path: formatConfigPath(p.path), message: p.message })));
  return sealed.body;
}

function findStored(state: StoreState, kind: EntityKind, name: string): StoredEntity | undefined {
  return state.entities.find((e) => e.kind === kind.kind && e.name === name);
}

/** Runs a commit about one entity; validation problems come back with paths relative to it. */
async function commitOne(call: AdminCall, kind: EntityKind, name: string, plan: (current: StoreState) => { body: JsonObject | null; summary: string }) {
  try {
    return await call.control.commit(call.actor, (current) => {
      const p = plan(current);
      return { changes: [{ kind: kind.kind, name, body: p.body }], summary: p.summary };
    });
  } catch (e) {
    if (e instanceof ConfigInvalidError) throw new ConfigInvalidError(relativeProblems(e.problems, kind, name));
    throw e;
  }
}

function checkName(kind: EntityKind, name: unknown): string {
  if (typeof name !== 'string' || name === '') throw invalid('name', `required: the ${kind.singular}'s name, as its key in the config file`);
  if (!kind.name.pattern.test(name)) throw invalid('name', `${JSON.stringify(name.slice(0, 140))}: ${kind.name.rule}`);
  return name;
}

export function entityResource(kind: EntityKind): AdminRoute[] {
  const base = kind.kind;
  return [
    {
      method: 'GET',
      pattern: base,
      async handle({ control }) {
        await fresh(control);
        return { body: { data: listEntities(kind, control), revision: control.storeState.revision } };
      },
    },
    {
      method: 'POST',
      pattern: base,
      async handle(call) {
        const { body, name: rawName } = entityBody(await call.body());
        const name = checkName(kind, rawName);
        if (fileDefines(call.control.fileConfig, kind, name)) throw fileManaged(kind, name);
        const sealed = sealFor(kind, call.control, body, undefined);
        const r = await commitOne(call, kind, name, (current) => {
          if (findStored(current, kind, name)) throw new GatewayError('GW_ERR_CONFLICT', `${kind.singular} ${JSON.stringify(name)} already exists; PUT /api/${base}/${name} to change it`);
          return { body: sealed, summary: `create ${base}/${name}` };
        });
        const e: StoredEntity = { kind: kind.kind, name, body: sealed, revision: r.revision };
        return { status: 201, body: storeView(kind, e, call.control), headers: { etag: `"${r.revision}"`, location: `/api/${base}/${encodeURIComponent(name)}` } };
      },
    },
    {
      method: 'GET',
      pattern: `${base}/:name`,
      async handle({ control, params }) {
        await fresh(control);
        const name = params['name']!;
        const fileRec = kindRecord(control.fileConfig as unknown as Record<string, unknown>, kind);
        if (fileRec && Object.hasOwn(fileRec, name)) return { body: fileView(kind, name, fileRec[name]) };
        const e = findStored(control.storeState, kind, name);
        if (!e) throw notFound(kind, name);
        return { body: storeView(kind, e, control), headers: { etag: `"${e.revision}"` } };
      },
    },
    {
      method: 'PUT',
      pattern: `${base}/:name`,
      async handle(call) {
        const name = call.params['name']!;
        const { body, name: bodyName, revision: bodyRevision } = entityBody(await call.body());
        if (bodyName !== undefined && bodyName !== name) throw invalid('name', `the body names ${JSON.stringify(bodyName)} but the URL names ${JSON.stringify(name)}; a rename is a POST of the new name and a DELETE of the old`);
        if (fileDefines(call.control.fileConfig, kind, name)) throw fileManaged(kind, name);
        const expected = parseRevision(bodyRevision, 'revision') ?? parseRevision(call.req.headers['if-match'], 'If-Match');
        let sealed: JsonObject | undefined;
        const r = await commitOne(call, kind, name, (current) => {
          const e = findStored(current, kind, name);
          if (!e) throw notFound(kind, name);
          checkFresh(kind, e, expected);
          sealed = sealFor(kind, call.control, body, e.body);
          return { body: sealed, summary: `update ${base}/${name}` };
        });
        const after = call.control.storeState.entities.find((x) => x.kind === kind.kind && x.name === name);
        const e: StoredEntity = after ?? { kind: kind.kind, name, body: sealed!, revision: r.revision };
        return { body: storeView(kind, e, call.control), headers: { etag: `"${e.revision}"` } };
      },
    },
    {
      method: 'DELETE',
      pattern: `${base}/:name`,
      async handle(call) {
        const name = call.params['name']!;
        if (fileDefines(call.control.fileConfig, kind, name)) throw fileManaged(kind, name);
        const raw = await call.body();
        const expected = parseRevision(isObject(raw) ? raw['revision'] : undefined, 'revision') ?? parseRevision(call.req.headers['if-match'], 'If-Match');
        const r = await commitOne(call, kind, name, (current) => {
          const e = findStored(current, kind, name);
          if (!e) throw notFound(kind, name);
          checkFresh(kind, e, expected);
          return { body: null, summary: `delete ${base}/${name}` };
        });
        return { body: { name, deleted: true, revision: r.revision } };
      },
    },
  ];
}

function checkFresh(kind: EntityKind, e: StoredEntity, expected: number | undefined): void {
  if (expected !== undefined && expected !== e.revision) {
    throw new GatewayError(
      'GW_ERR_CONFLICT',
      `${kind.singular} ${JSON.stringify(e.name)} is at revision ${e.revision}, the edit was based on revision ${expected}; nothing was changed. GET it again and reapply the change`,
    );
  }
}
