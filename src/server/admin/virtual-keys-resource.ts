/**
 * /api/virtual-keys and /api/virtual-keys/{name}. POST generates the secret (`sk-sy-` and 43
 * base62 characters: 256 random bits), returns it once, and stores only its SHA-256; PUT keeps the
 * stored hash. Every key is shown with its live usage, never with its secret. server.api_keys are
 * listed too, as file-managed keys without limits.
 */
import { randomBytes } from 'node:crypto';
import { VIRTUAL_KEYS_KIND } from '../../control/entity-kinds.js';
import type { JsonObject } from '../../control/secret-fields.js';
import { sha256Hex } from '../../governance/sha256-hex.js';
import { limitsOf, serverKeyId } from '../../governance/governance-policy.js';
import type { GovernanceService } from '../../governance/governance-service.js';
import { liveUsage } from '../../governance/live-usage.js';
import type { AdminCall, AdminRoute } from './admin-http.js';
import { invalid, isObject } from './admin-http.js';
import { entityResource } from './entity-resource.js';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `sk-sy-` + 256 random bits in base62 (43 characters). */
export function generateVirtualKey(): string {
  let n = BigInt(`0x${randomBytes(32).toString('hex')}`);
  let out = '';
  for (let i = 0; i < 43; i++) {
    out += BASE62[Number(n % 62n)];
    n /= 62n;
  }
  return `sk-sy-${out}`;
}

async function withUsage(call: AdminCall, service: GovernanceService, item: JsonObject): Promise<JsonObject> {
  const name = String(item['name']);
  const key = call.control.currentConfig.virtual_keys[name];
  if (!key) return { ...item, usage: null };
  return { ...item, usage: await liveUsage(service, 'key', name, limitsOf('key', name, key)) };
}

/** server.api_keys as the list shows them: an id from the secret's hash, no limits. */
function serverKeys(call: AdminCall): JsonObject[] {
  return call.control.currentConfig.server.api_keys.map((k) => ({ name: serverKeyId(sha256Hex(k)), models: ['*'], budgets: [], rate_limits: [], revision: null, managed_by: 'file', source: 'server.api_keys' }));
}

export function virtualKeysResource(service: GovernanceService): AdminRoute[] {
  return entityResource(VIRTUAL_KEYS_KIND).map((r): AdminRoute => {
    if (r.method === 'GET') {
      return {
        ...r,
        async handle(call) {
          const answer = await r.handle(call);
          const body = answer.body as JsonObject & { data?: JsonObject[] };
          if (Array.isArray(body.data)) return { ...answer, body: { ...body, data: [...(await Promise.all(body.data.map((k) => withUsage(call, service, k)))), ...serverKeys(call)] } };
          return { ...answer, body: await withUsage(call, service, body) };
        },
      };
    }
    if (r.method === 'POST') {
      return {
        ...r,
        async handle(call) {
          const raw = await call.body();
          if (isObject(raw) && (raw['key'] !== undefined || raw['key_sha256'] !== undefined)) {
            throw invalid(raw['key'] !== undefined ? 'key' : 'key_sha256', 'the gateway generates the secret of a key created here and returns it once; leave key and key_sha256 out');
          }
          const secret = generateVirtualKey();
          const body = isObject(raw) ? { ...raw, key_sha256: sha256Hex(secret) } : raw;
          const answer = await r.handle({ ...call, body: () => Promise.resolve(body) });
          return { ...answer, body: { ...(answer.body as JsonObject), key: secret } };
        },
      };
    }
    if (r.method === 'PUT') {
      return {
        ...r,
        async handle(call) {
          const raw = await call.body();
          const name = call.params['name']!;
          const stored = call.control.storeState.entities.find((e) => e.kind === VIRTUAL_KEYS_KIND.kind && e.name === name);
          if (isObject(raw) && raw['key'] !== undefined) throw invalid('key', 'the secret of a key created through the API cannot be set; create a new key (POST) and delete this one to rotate it');
          const hash = stored?.body['key_sha256'];
          if (isObject(raw) && raw['key_sha256'] !== undefined && raw['key_sha256'] !== hash) throw invalid('key_sha256', 'the hash of the secret cannot be changed; create a new key to rotate it');
          const body = isObject(raw) && typeof hash === 'string' ? { ...raw, key_sha256: hash } : raw;
          const answer = await r.handle({ ...call, body: () => Promise.resolve(body) });
          return { ...answer, body: await withUsage(call, service, answer.body as JsonObject) };
        },
      };
    }
    return r;
  });
}
