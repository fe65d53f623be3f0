/**
 * MCP servers in the admin API:
 *   /api/mcp_servers, /api/mcp_servers/{name}   the config entities (like providers; env values and
 *                                               header values are write-only secrets);
 *   GET  /api/mcp/servers                       live state: status, tools, last error, reconnects;
 *   POST /api/mcp/servers/{name}/reconnect      drops the connection and connects again now.
 */
import { MCP_SERVERS_KIND } from '../../control/entity-kinds.js';
import { GatewayError } from '../../core/errors.js';
import type { McpConnections } from '../../mcp/mcp-connections.js';
import type { AdminRoute } from './admin-http.js';
import { entityResource } from './entity-resource.js';

export function mcpServersResource(o: { connections: McpConnections; connectTimeoutMs: () => number }): AdminRoute[] {
  return [
    ...entityResource(MCP_SERVERS_KIND),
    {
      method: 'GET',
      pattern: 'mcp/servers',
      async handle() {
        return { body: { data: o.connections.list() } };
      },
    },
    {
      method: 'GET',
      pattern: 'mcp/servers/:name',
      async handle({ params }) {
        const view = o.connections.view(params['name']!);
        if (!view) throw new GatewayError('GW_ERR_NOT_FOUND', `MCP server ${JSON.stringify(params['name'])} is not configured; GET /api/mcp/servers lists them`);
        return { body: view };
      },
    },
    {
      method: 'POST',
      pattern: 'mcp/servers/:name/reconnect',
      async handle({ params }) {
        const name = params['name']!;
        if (!(await o.connections.reconnect(name))) throw new GatewayError('GW_ERR_NOT_FOUND', `MCP server ${JSON.stringify(name)} is not configured; GET /api/mcp/servers lists them`);
        await o.connections.waitConnected(name, o.connectTimeoutMs());
        return { body: o.connections.view(name) };
      },
    },
  ];
}
