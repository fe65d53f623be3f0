/**
 * Which MCP servers a caller may use: a virtual key with `mcp.servers` may use those only; any
 * other caller (a key without the setting, a server.api_keys key, no authentication) may use every
 * configured server. The same rule serves model requests, POST /v1/mcp/tools/call and /mcp.
 */
import type { Config } from '../config/schema.js';
import type { Principal } from '../pipeline/context.js';

export interface McpAccess {
  /** Whether the caller may use the server. */
  permits(server: string): boolean;
  /** The key's own servers (added to its requests), when it names them. */
  keyServers: readonly string[];
  /** The key's auto_execute patterns. */
  keyAutoExecute: readonly string[];
}

export function mcpAccessFor(config: Config, principal: Pick<Principal, 'id' | 'kind'> | undefined): McpAccess {
  const key = principal?.kind === 'virtual-key' ? config.virtual_keys[principal.id]?.mcp : undefined;
  const only = key?.servers;
  return {
    permits: only === undefined ? (s) => Object.hasOwn(config.mcp.servers, s) : (s) => only.includes(s) && Object.hasOwn(config.mcp.servers, s),
    keyServers: only ?? [],
    keyAutoExecute: key?.auto_execute ?? [],
  };
}
