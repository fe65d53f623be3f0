/**
 * Config of the MCP gateway: the servers it connects to once (`mcp.servers`), the loop's limits,
 * and the per-alias / per-virtual-key choice of servers and auto-executed tools.
 */
import { z } from 'zod';

/** Server names: letters, digits, `-` and `_` (no `__`, which separates server and tool in tool names). */
export const MCP_SERVER_NAME = /^(?!.*__)[a-zA-Z][a-zA-Z0-9_-]{0,31}$/;
export const MCP_SERVER_NAME_RULE = 'MCP server names start with a letter, use letters, digits, - and _ (never "__"), at most 32 characters';

const toolFilterSchema = z
  .object({
    allow: z.array(z.string().min(1)).optional().describe('Tool names (as the server names them) offered; "*" matches any run of characters. Unset: every tool.'),
    deny: z.array(z.string().min(1)).default([]).describe('Tool names never offered, even when `allow` matches; "*" matches any run of characters.'),
  })
  .strict();

const common = {
  tools: toolFilterSchema.default({ deny: [] }).describe('Which of the server\'s tools the gateway offers (to models, POST /v1/mcp/tools/call and /mcp).'),
  tool_timeout_ms: z.number().int().positive().optional().describe('Longest wait for one call of this server\'s tools. Default: mcp.tool_timeout_ms.'),
  description: z.string().max(1000).optional().describe('Free text for people.'),
};

export const mcpServerSchema = z
  .discriminatedUnion('transport', [
    z
      .object({
        transport: z.literal('stdio'),
        command: z.string().min(1).describe('Program to start (a child process the gateway keeps running and restarts when it dies).'),
        args: z.array(z.string()).default([]).describe('Its arguments.'),
        env: z
          .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name'), z.string())
          .default({})
          .describe('The child\'s environment: only these (values usually env.NAME) plus the MCP SDK\'s safe defaults (PATH, HOME, USER, LOGNAME, SHELL, TERM); never the gateway\'s own environment.'),
        cwd: z.string().min(1).optional().describe('Working directory of the child. Default: the gateway\'s.'),
        ...common,
      })
      .strict(),
    z
      .object({
        transport: z.literal('http'),
        url: z.url({ protocol: /^https?$/ }).describe('The server\'s streamable HTTP endpoint, e.g. https://docs.internal/mcp.'),
        headers: z.record(z.string().min(1), z.string()).default({}).describe('Headers sent on every request to the server (credentials: values usually env.NAME). The client\'s key to the gateway is never sent.'),
        ...common,
      })
      .strict(),
    z
      .object({
        transport: z.literal('sse'),
        url: z.url({ protocol: /^https?$/ }).describe('The server\'s legacy HTTP+SSE endpoint (the GET stream).'),
        headers: z.record(z.string().min(1), z.string()).default({}).describe('Headers sent on every request to the server (credentials: values usually env.NAME).'),
        ...common,
      })
      .strict(),
  ])
  .describe('One MCP server: stdio (a child process), http (streamable HTTP) or sse (legacy HTTP+SSE).');

export const MCP_DEFAULTS = {
  servers: {},
  tool_timeout_ms: 30000,
  max_rounds: 8,
  max_result_bytes: 65536,
  connect_timeout_ms: 10000,
  ping_interval_ms: 30000,
};

export const mcpSchema = z
  .object({
    servers: z
      .record(z.string().regex(MCP_SERVER_NAME, MCP_SERVER_NAME_RULE), mcpServerSchema)
      .default({})
      .describe('MCP servers by name; their tools reach models as "<server>__<tool>" (docs/mcp.md).'),
    tool_timeout_ms: z.number().int().positive().default(30000).describe('Longest wait for one tool call; the model is told when a call is cut.'),
    max_rounds: z.number().int().min(1).max(64).default(8).describe('Most upstream calls in one request that auto-executes tools; the last one may not call tools (tool_choice none).'),
    max_result_bytes: z.number().int().positive().default(65536).describe('Largest tool result (UTF-8 bytes of its text) given to a model or a client; longer ones are cut, marked as cut.'),
    connect_timeout_ms: z.number().int().positive().default(10000).describe('Longest wait for a server to connect (start, handshake, tool list) before it counts as down.'),
    ping_interval_ms: z.number().int().positive().default(30000).describe('How often each connected server is pinged; a failed ping reconnects it (with backoff).'),
  })
  .strict();

/** The `mcp` of an alias or a virtual key: which servers' tools its requests get, and which run in the gateway. */
export const mcpUseSchema = z
  .object({
    servers: z.array(z.string().min(1)).default([]).describe('MCP servers whose tools are added to every request (names under mcp.servers).'),
    auto_execute: z
      .array(z.string().min(1))
      .default([])
      .describe('Tools ("<server>__<tool>", "*" matches any run of characters) the gateway runs itself, calling the model again with the results.'),
  })
  .strict();

export const virtualKeyMcpSchema = mcpUseSchema
  .extend({
    servers: z
      .array(z.string().min(1))
      .optional()
      .describe('The only MCP servers this key may use (their tools are added to its requests). Unset: any server, none added by the key.'),
  })
  .describe('MCP tools of this key: the servers it may use (and gets), and tools run by the gateway.');

export type McpConfig = z.infer<typeof mcpSchema>;
export type McpServerConfig = z.infer<typeof mcpServerSchema>;
export type McpUseConfig = z.infer<typeof mcpUseSchema>;
export type VirtualKeyMcpConfig = z.infer<typeof virtualKeyMcpSchema>;
