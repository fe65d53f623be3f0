import { GatewayError } from '../core/errors.js';
import { anthropicMessagesDialect } from '../dialects/anthropic-messages/index.js';
import { openAIChatDialect } from '../dialects/openai-chat/index.js';
import { errorOutcome } from '../gateway.js';
import type { GatewayOutcome } from '../gateway.js';
import type { Runtime } from '../routing/runtime.js';

/**
 * GET /v1/models: aliases first, then each provider's listed models as provider/model; with
 * `allow` (governance: the virtual key's `models`), only those it may use.
 */
export function listModels(runtime: Runtime, shape: 'openai' | 'anthropic', allow?: (id: string) => boolean): unknown {
  let ids: Array<{ id: string; owner: string }> = [];
  for (const name of runtime.aliases.keys()) ids.push({ id: name, owner: 'switchyard' });
  for (const p of runtime.providers.values()) for (const m of p.models) ids.push({ id: `${p.name}/${m}`, owner: p.name });
  if (allow) ids = ids.filter((m) => allow(m.id));
  if (shape === 'anthropic') {
    const data = ids.map(({ id }) => ({ type: 'model', id, display_name: id, created_at: '1970-01-01T00:00:00Z' }));
    return { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data[data.length - 1]?.id ?? null };
  }
  return { object: 'list', data: ids.map(({ id, owner }) => ({ id, object: 'model', created: 0, owned_by: owner })) };
}

const MODEL_PATHS = ['/v1/models/', '/openai/v1/models/', '/anthropic/v1/models/'];

/** Whether a path is `GET …/models/{id}` (the SDKs' models.retrieve). */
export function isModelPath(path: string): boolean {
  return MODEL_PATHS.some((p) => path.startsWith(p) && path.length > p.length);
}

/**
 * GET /v1/models/{id}, /openai/v1/models/{id}, /anthropic/v1/models/{id}: one model of the list —
 * an alias or a listed `provider/model` — in the list's shape; anything else is a 404
 * GW_ERR_UNKNOWN_MODEL in the path's dialect. The id may hold slashes, sent as they are or
 * URL-encoded (`openai%2Fgpt-4o-mini`), as SDKs differ.
 */
export function retrieveModel(args: { runtime: Runtime; method: string; path: string; headers: Record<string, string | string[] | undefined>; requestId: string; allow?: (id: string) => boolean }): GatewayOutcome {
  const { runtime, path } = args;
  const anthropic = path.startsWith('/anthropic/') || args.headers['anthropic-version'] !== undefined;
  const dialect = anthropic ? anthropicMessagesDialect : openAIChatDialect;
  const base = { 'x-request-id': args.requestId };
  if (args.method !== 'GET') {
    const outcome = errorOutcome(dialect, new GatewayError('GW_ERR_METHOD_NOT_ALLOWED', `${args.method} is not allowed on ${path}; use GET`), base);
    outcome.headers.allow = 'GET';
    return outcome;
  }
  const prefix = MODEL_PATHS.find((p) => path.startsWith(p))!;
  let id: string;
  try {
    id = decodeURIComponent(path.slice(prefix.length));
  } catch {
    id = path.slice(prefix.length);
  }
  const list = listModels(runtime, anthropic ? 'anthropic' : 'openai', args.allow) as { data: Array<{ id: string }> };
  const model = list.data.find((m) => m.id === id);
  if (!model) {
    const err = new GatewayError('GW_ERR_UNKNOWN_MODEL', `The model '${id}' does not exist: it is neither a configured alias nor a listed provider/model (GET /v1/models lists them)`, { param: 'model' });
    return errorOutcome(dialect, err, base);
  }
  return { kind: 'json', status: 200, headers: { ...base, 'content-type': 'application/json' }, body: JSON.stringify(model) };
}
