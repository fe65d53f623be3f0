import type { Runtime } from '../routing/runtime.js';

/** GET /v1/models: aliases first, then each provider's listed models as provider/model. */
export function listModels(runtime: Runtime, shape: 'openai' | 'anthropic'): unknown {
  const ids: Array<{ id: string; owner: string }> = [];
  for (const name of runtime.aliases.keys()) ids.push({ id: name, owner: 'switchyard' });
  for (const p of runtime.providers.values()) for (const m of p.models) ids.push({ id: `${p.name}/${m}`, owner: p.name });
  if (shape === 'anthropic') {
    const data = ids.map(({ id }) => ({ type: 'model', id, display_name: id, created_at: '1970-01-01T00:00:00Z' }));
    return { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data[data.length - 1]?.id ?? null };
  }
  return { object: 'list', data: ids.map(({ id, owner }) => ({ id, object: 'model', created: 0, owned_by: owner })) };
}
