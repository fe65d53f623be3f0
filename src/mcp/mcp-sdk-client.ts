/** The MCP SDK's client side, loaded on first use (mcp-connections.ts): the client and one transport per config. */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { McpServerConfig } from './mcp-schema.js';

export { Client };

export function makeTransport(c: McpServerConfig): Transport {
  if (c.transport === 'stdio') {
    // The child gets the configured env only (the SDK adds its safe defaults: PATH, HOME, USER, ...).
    const t = new StdioClientTransport({ command: c.command, args: c.args, env: { ...c.env }, stderr: 'pipe', ...(c.cwd ? { cwd: c.cwd } : {}) });
    // Its stderr is read and dropped: it may print its own secrets.
    t.stderr?.on('data', () => {});
    return t;
  }
  const headers = { ...c.headers };
  if (c.transport === 'http') return new StreamableHTTPClientTransport(new URL(c.url), { requestInit: { headers } });
  return new SSEClientTransport(new URL(c.url), {
    requestInit: { headers },
    eventSourceInit: { fetch: (url, init) => fetch(url, { ...init, headers: { ...(init?.headers as Record<string, string> | undefined), ...headers } }) },
  });
}
