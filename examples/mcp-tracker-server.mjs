#!/usr/bin/env node
/**
 * A small MCP server over stdio, for trying Switchyard's MCP gateway (docs/mcp.md). It pretends to
 * be an issue tracker: `search_issues` and `get_issue` over a few issues kept in memory. It reads
 * TRACKER_TOKEN from its environment, as a real tracker client would (the gateway passes it from
 * its config; clients of the gateway never see it).
 *
 *   mcp:
 *     servers:
 *       tracker:
 *         transport: stdio
 *         command: node
 *         args: [examples/mcp-tracker-server.mjs]
 *         env: { TRACKER_TOKEN: env.TRACKER_TOKEN }
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

const ISSUES = [
  { id: 'SY-101', title: 'Login fails on Safari 17', status: 'open' },
  { id: 'SY-102', title: 'Export to CSV drops the header row', status: 'fixed' },
  { id: 'SY-103', title: 'Dark mode: unreadable links in tables', status: 'open' },
];

if (!process.env.TRACKER_TOKEN) {
  process.stderr.write('TRACKER_TOKEN is not set: set it in the gateway config (mcp.servers.tracker.env)\n');
  process.exit(1);
}

const server = new McpServer({ name: 'example-tracker', version: '1.0.0' });

server.registerTool(
  'search_issues',
  { description: 'Finds issues whose title contains the words of the query.', inputSchema: { query: z.string().describe('Words to look for') } },
  async ({ query }) => {
    const words = query.toLowerCase().split(/\s+/).filter(Boolean);
    const hits = ISSUES.filter((i) => words.some((w) => i.title.toLowerCase().includes(w)));
    const text = hits.length ? hits.map((i) => `${i.id} [${i.status}] ${i.title}`).join('\n') : 'no matching issues';
    return { content: [{ type: 'text', text }] };
  },
);

server.registerTool(
  'get_issue',
  { description: 'One issue by id, e.g. SY-101.', inputSchema: { id: z.string() } },
  async ({ id }) => {
    const issue = ISSUES.find((i) => i.id === id.toUpperCase());
    if (!issue) return { content: [{ type: 'text', text: `no issue ${id}` }], isError: true };
    return { content: [{ type: 'text', text: `${issue.id} [${issue.status}] ${issue.title}` }] };
  },
);

await server.connect(new StdioServerTransport());
