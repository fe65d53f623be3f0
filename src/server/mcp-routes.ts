/**
 * The MCP routes of the HTTP server:
 *   POST /v1/mcp/tools/call   { "name": "docs__search", "arguments": {...} } → the tool's result, for
 *                             clients that run the model's MCP tool calls themselves;
 *   POST/GET/DELETE /mcp      an MCP server (streamable HTTP, the official SDK's transport, stateless)
 *                             serving the union of the connected servers' tools the caller may use.
 * Both authenticate like completion requests (a virtual key, or a server.api_keys key); the caller's
 * key is never passed to an MCP server (the gateway's connections carry only their configured headers).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { GatewayError } from '../core/errors.js';
import type { Gateway } from '../gateway.js';
import { mcpAccessFor } from '../mcp/mcp-access.js';
import type { McpAccess } from '../mcp/mcp-access.js';
import type { McpConnections, McpToolResult } from '../mcp/mcp-connections.js';
import type { Logger } from '../observability/logger.js';
import type { Principal } from '../pipeline/context.js';

export interface McpRoutesOptions {
  gateway: Gateway;
  connections: McpConnections;
  logger: Logger;
  /** Authenticates the caller like a completion request: its principal (undefined without keys), or throws 401/403. */
  authenticate(req: IncomingMessage): Pick<Principal, 'id' | 'kind'> | undefined;
  /** Reads the JSON body (size-limited), or throws a GatewayError. */
  readJson(req: IncomingMessage): Promise<unknown>;
  /** Writes a GatewayError as an OpenAI-shaped JSON error. */
  sendError(res: ServerResponse, err: GatewayError, requestId: string): void;
}

/** The SDK's server side (and its zod), loaded by the first /mcp request. */
let serverSdk: Promise<[typeof import('@modelcontextprotocol/sdk/server/index.js'), typeof import('@modelcontextprotocol/sdk/server/streamableHttp.js'), typeof import('@modelcontextprotocol/sdk/types.js')]> | undefined;
const loadServerSdk = () =>
  (serverSdk ??= Promise.all([import('@modelcontextprotocol/sdk/server/index.js'), import('@modelcontextprotocol/sdk/server/streamableHttp.js'), import('@modelcontextprotocol/sdk/types.js')]));

function toCallToolResult(r: McpToolResult): CallToolResult {
  return {
    content: [{ type: 'text', text: r.text }, ...r.images.map((i) => ({ type: 'image' as const, data: i.data, mimeType: i.mediaType }))],
    ...(r.isError ? { isError: true } : {}),
  };
}

export function createMcpRoutes(o: McpRoutesOptions) {
  const { connections } = o;
  const access = (req: IncomingMessage): McpAccess => mcpAccessFor(o.gateway.currentRuntime.config, o.authenticate(req));

  /** The tools a caller may use: connected servers it is permitted. */
  const toolsFor = (a: McpAccess) => Object.keys(o.gateway.currentRuntime.config.mcp.servers).filter((s) => a.permits(s)).flatMap((s) => connections.toolsOf(s));

  /** POST /v1/mcp/tools/call */
  async function toolsCall(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    const abort = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    try {
      const a = access(req);
      const body = await o.readJson(req);
      if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new GatewayError('GW_ERR_INVALID_REQUEST', 'expected a JSON object: { "name": "<server>__<tool>", "arguments": { ... } }');
      const { name, arguments: args } = body as Record<string, unknown>;
      if (typeof name !== 'string' || name === '') throw new GatewayError('GW_ERR_INVALID_REQUEST', 'name: required, the tool\'s name as the model saw it ("<server>__<tool>")', { param: 'name' });
      if (args !== undefined && (args === null || typeof args !== 'object' || Array.isArray(args))) throw new GatewayError('GW_ERR_INVALID_REQUEST', 'arguments: expected a JSON object', { param: 'arguments' });
      const server = connections.serverOf(name);
      if (!server) throw new GatewayError('GW_ERR_MCP_TOOL_NOT_FOUND', `no MCP server offers a tool named "${name.slice(0, 128)}"; tool names are "<server>__<tool>"`, { param: 'name' });
      if (!a.permits(server)) throw new GatewayError('GW_ERR_MCP_NOT_ALLOWED', `this key may not use the MCP server "${server}" (its mcp.servers list)`, { param: 'name' });
      if (!connections.isConnected(server)) throw new GatewayError('GW_ERR_MCP_UNAVAILABLE', `MCP server ${server} is not connected now; the gateway is reconnecting it, retry later`);
      if (!connections.findTool(name)) throw new GatewayError('GW_ERR_MCP_TOOL_NOT_FOUND', `MCP server ${server} offers no tool "${name.slice(server.length + 2, 128)}"`, { param: 'name' });
      const { result, report } = await connections.call({ name, arguments: (args ?? {}) as Record<string, unknown>, signal: abort.signal });
      if (report.outcome === 'timeout') throw new GatewayError('GW_ERR_MCP_TOOL_TIMEOUT', result.text);
      if (report.outcome === 'unavailable') throw new GatewayError('GW_ERR_MCP_UNAVAILABLE', result.text);
      if (res.destroyed) return;
      const text = JSON.stringify({ name, ...toCallToolResult(result), ...(result.truncated ? { truncated: true } : {}) });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'x-request-id': requestId });
      res.end(text);
    } catch (e) {
      req.resume();
      if (!res.headersSent && !res.destroyed) o.sendError(res, e instanceof GatewayError ? e : new GatewayError('GW_ERR_INTERNAL', 'internal error'), requestId);
      if (!(e instanceof GatewayError)) o.logger.error({ err: e, requestId }, 'POST /v1/mcp/tools/call failed');
    }
  }

  /** POST/GET/DELETE /mcp: one stateless SDK server and transport per HTTP request. */
  async function endpoint(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    let a: McpAccess;
    try {
      a = access(req);
    } catch (e) {
      req.resume();
      return o.sendError(res, e as GatewayError, requestId);
    }
    const [{ Server }, { StreamableHTTPServerTransport }, { CallToolRequestSchema, ListToolsRequestSchema }] = await loadServerSdk();
    const server = new Server({ name: 'switchyard', version: '1' }, { capabilities: { tools: {} } });
    server.setRequestHandler(ListToolsRequestSchema, async () => ({
      tools: toolsFor(a).map((t) => ({ name: t.name, ...(t.description ? { description: t.description } : {}), inputSchema: t.inputSchema as { type: 'object' } })),
    }));
    server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
      const name = request.params.name;
      const s = connections.serverOf(name);
      if (!s || !a.permits(s) || !toolsFor(a).some((t) => t.name === name)) {
        return { content: [{ type: 'text', text: `no tool named "${name.slice(0, 128)}" is available to this key` }], isError: true };
      }
      const { result } = await connections.call({ name, arguments: request.params.arguments ?? {}, signal: extra.signal });
      return toCallToolResult(result);
    });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.once('close', () => {
      void transport.close();
      void server.close();
    });
    try {
      await server.connect(transport);
      await transport.handleRequest(req, res);
    } catch (e) {
      o.logger.error({ err: e, requestId }, '/mcp failed');
      if (!res.headersSent) o.sendError(res, new GatewayError('GW_ERR_INTERNAL', 'internal error'), requestId);
    }
  }

  return { toolsCall, endpoint };
}
