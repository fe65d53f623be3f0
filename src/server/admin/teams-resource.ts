/** /api/teams and /api/teams/{name}: teams (governance), each shown with its live usage. */
import { TEAMS_KIND } from '../../control/entity-kinds.js';
import type { JsonObject } from '../../control/secret-fields.js';
import { limitsOf } from '../../governance/governance-policy.js';
import type { GovernanceService } from '../../governance/governance-service.js';
import { liveUsage } from '../../governance/live-usage.js';
import type { AdminCall, AdminRoute } from './admin-http.js';
import { entityResource } from './entity-resource.js';

/** Adds `usage` to a team as shown (list item or single). */
async function withUsage(call: AdminCall, service: GovernanceService, item: JsonObject): Promise<JsonObject> {
  const name = String(item['name']);
  const team = call.control.currentConfig.teams[name];
  if (!team) return { ...item, usage: null };
  return { ...item, usage: await liveUsage(service, 'team', name, limitsOf('team', name, team)) };
}

export function teamsResource(service: GovernanceService): AdminRoute[] {
  return entityResource(TEAMS_KIND).map((r) => {
    if (r.method !== 'GET') return r;
    return {
      ...r,
      async handle(call) {
        const answer = await r.handle(call);
        const body = answer.body as JsonObject & { data?: JsonObject[] };
        if (Array.isArray(body.data)) return { ...answer, body: { ...body, data: await Promise.all(body.data.map((t) => withUsage(call, service, t))) } };
        return { ...answer, body: await withUsage(call, service, body) };
      },
    };
  });
}
