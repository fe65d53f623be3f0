/**
 * A test MCP server over streamable HTTP (the official SDK's transport on node:http), in the test
 * process, that wants `Authorization: Bearer <token>` and records every request's headers. Tools:
 *   search {query}   a docs hit naming the query;
 *   fetch {url}      a page;
 *   delete_page {}   (the gateway's tool filter should hide it);
 * `search` and `fetch` meet at a barrier when `parallel` is armed: each waits (bounded) until the
 * other started, and `maxInFlight` records how many ran at once.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

export interface DocsMcpServer {
  url: string;
  /** Headers of every request received. */
  received: Array<Record<string, string | string[] | undefined>>;
  /** Tool calls received, by tool name. */
  calls: string[];
  /** Most tool calls in progress at once. */
  maxInFlight: number;
  /** Arms the barrier: the next `n` calls wait for each other (at most `timeoutMs`). */
  armParallel(n: number, timeoutMs?: number): void;
  close(): Promise<void>;
}

export async function startDocsMcpServer(opts: { token: string }): Promise<DocsMcpServer> {
  let inFlight = 0;
  let barrier: { n: number; arrived: number; release: () => void; done: Promise<void> } | undefined;
  const state = { received: [] as DocsMcpServer['received'], calls: [] as string[], maxInFlight: 0 };

  const around = async <T>(tool: string, fn: () => T): Promise<T> => {
    state.calls.push(tool);
    inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, inFlight);
    try {
      const b = barrier;
      if (b) {
        b.arrived++;
        if (b.arrived >= b.n) {
          barrier = undefined;
          b.release();
        }
        await b.done;
      }
      return fn();
    } finally {
      inFlight--;
    }
  };

  const build = () => {
    const s = new McpServer({ name: 'docs', version: '1.0.0' });
    s.registerTool('search', { description: 'Searches the internal docs.', inputSchema: { query: z.string() } }, ({ query }) =>
      around('search', () => ({ content: [{ type: 'text' as const, text: `docs hit for "${query}": see page 42` }] })),
    );
    s.registerTool('fetch', { description: 'Fetches one docs page.', inputSchema: { url: z.string() } }, ({ url }) =>
      around('fetch', () => ({ content: [{ type: 'text' as const, text: `page ${url}: the answer is 42` }] })),
    );
    s.registerTool('delete_page', { description: 'Deletes a page.', inputSchema: {} }, () => around('delete_page', () => ({ content: [{ type: 'text' as const, text: 'deleted' }] })));
    return s;
  };

  const http = createServer(async (req, res) => {
    state.received.push({ ...req.headers });
    if (req.headers.authorization !== `Bearer ${opts.token}`) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unauthorized"}');
      return;
    }
    const server = build();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res);
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    get received() {
      return state.received;
    },
    get calls() {
      return state.calls;
    },
    get maxInFlight() {
      return state.maxInFlight;
    },
    armParallel(n, timeoutMs = 5000) {
      let release!: () => void;
      const done = new Promise<void>((r) => {
        release = r;
        setTimeout(r, timeoutMs).unref();
      });
      barrier = { n, arrived: 0, release, done };
    },
    close: () =>
      new Promise<void>((r) => {
        http.close(() => r());
        http.closeAllConnections();
      }),
  };
}
