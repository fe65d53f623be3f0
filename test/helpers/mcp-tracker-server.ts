/**
 * A test MCP server over stdio (the official SDK), started by the gateway as a child process:
 * `node --import tsx test/helpers/mcp-tracker-server.ts`. Tools:
 *   lookup {id}      an issue, and whether TRACKER_TOKEN reached the child;
 *   echo_token {}    prints the token (the gateway must redact it before a model or client sees it);
 *   env_names {}     the names of the child's environment variables;
 *   hang {}          never answers (until cancelled): the gateway's timeout must cut it.
 * When the file named by TRACKER_BLOCK_FILE exists, it exits at once (a server that cannot start).
 */
import { existsSync } from 'node:fs';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

const block = process.env['TRACKER_BLOCK_FILE'];
if (block && existsSync(block)) process.exit(3);

const server = new McpServer({ name: 'tracker', version: '1.0.0' });
server.registerTool('lookup', { description: 'Looks up an issue by id.', inputSchema: { id: z.string() } }, async ({ id }) => ({
  content: [{ type: 'text', text: `issue ${id}: login fails on Safari (open); authorized=${process.env['TRACKER_TOKEN'] ? 'yes' : 'no'}` }],
}));
server.registerTool('echo_token', { description: 'Prints the tracker token.', inputSchema: {} }, async () => ({
  content: [{ type: 'text', text: `token=${process.env['TRACKER_TOKEN'] ?? ''}` }],
}));
server.registerTool('env_names', { description: 'Names of the environment variables.', inputSchema: {} }, async () => ({
  content: [{ type: 'text', text: Object.keys(process.env).sort().join(',') }],
}));
server.registerTool('hang', { description: 'Never answers.', inputSchema: {} }, () => new Promise(() => {}));
await server.connect(new StdioServerTransport());
