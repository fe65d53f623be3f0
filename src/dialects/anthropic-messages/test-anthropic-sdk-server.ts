/**
 * Test support: a node:http server on 127.0.0.1:0 that answers `POST /v1/messages` with a scripted
 * reply, and an `@anthropic-ai/sdk` client pointed at it — to check that what the dialect writes is
 * what Anthropic's own SDK reads.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';

export interface ScriptedReply {
  status: number;
  /** SSE text (content-type text/event-stream) or a JSON body. */
  body: string;
  sse?: boolean;
  headers?: Record<string, string>;
}

export interface SdkServer {
  client: Anthropic;
  /** Request bodies the server received, parsed. */
  requests: unknown[];
  close(): Promise<void>;
}

export async function startAnthropicSdkServer(reply: ScriptedReply | ((body: unknown) => ScriptedReply)): Promise<SdkServer> {
  const requests: unknown[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (text += c));
    req.on('end', () => {
      const body: unknown = text ? JSON.parse(text) : undefined;
      requests.push(body);
      const r = typeof reply === 'function' ? reply(body) : reply;
      res.writeHead(r.status, {
        'content-type': r.sse ? 'text/event-stream' : 'application/json',
        'request-id': 'req_test',
        ...r.headers,
      });
      res.end(r.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const client = new Anthropic({ baseURL: `http://127.0.0.1:${port}`, apiKey: 'x', maxRetries: 0 });
  return {
    client,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
