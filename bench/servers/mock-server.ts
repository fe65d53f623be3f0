/**
 * The mock upstream as its own process for the benchmark: prints its URL on the first stdout line,
 * stops on SIGTERM/SIGINT or when its parent goes away.
 *
 *   --mode project  the project's mock (src/mock-upstream) exactly as the tests use it; its record
 *                   of requests is cleared every second so a long run does not grow it.
 *   --mode fast     (default) the same answers, bytes computed once by the project's own wire
 *                   formatters per distinct request body and then served from memory, so the
 *                   mock costs the shared CPU as little as possible (the servers under test get it).
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerAnthropicMessages, validateAnthropicRequest } from '../../src/mock-upstream/anthropic-messages-wire.js';
import { startMockUpstream } from '../../src/mock-upstream/mock-upstream.js';
import { answerOpenAIChat, validateOpenAIChatRequest } from '../../src/mock-upstream/openai-chat-wire.js';
import type { PreparedResponse, WireContext } from '../../src/mock-upstream/prepared-response.js';

interface Args {
  mode: 'fast' | 'project';
  port: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { mode: 'fast', port: 0 };
  for (let i = 0; i < argv.length; i++) {
    const [k, inline] = argv[i]!.split('=', 2) as [string, string | undefined];
    const v = inline ?? argv[++i];
    if (k === '--mode' && (v === 'fast' || v === 'project')) args.mode = v;
    else if (k === '--port' && v !== undefined) args.port = Number(v);
    else throw new Error(`mock-server: unknown argument ${argv[i]}`);
  }
  return args;
}

/** What the fast path keeps per distinct request: the whole answer, ready for the socket. */
type Cached =
  | { type: 'json'; status: number; headers: Record<string, string | number>; body: Buffer }
  | { type: 'sse'; status: number; headers: Record<string, string>; events: Buffer[] };

const CACHE_LIMIT = 256;

async function startFastMock(port: number): Promise<{ url: string; close(): Promise<void> }> {
  const cache = new Map<string, Cached>();
  let seq = 0;

  const prepare = (path: string, req: IncomingMessage, raw: string): Cached => {
    const ctx: WireContext = { seq: ++seq, requestId: `req_bench${seq}`, created: Math.floor(Date.now() / 1000) };
    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      body = undefined;
    }
    let prepared: PreparedResponse;
    if (path === '/v1/chat/completions') {
      prepared = validateOpenAIChatRequest({ headers: req.headers, body }, ctx) ?? answerOpenAIChat(body as Record<string, unknown>, ctx);
    } else if (path === '/v1/messages') {
      prepared = validateAnthropicRequest({ headers: req.headers, body }, ctx) ?? answerAnthropicMessages(body as Record<string, unknown>, ctx);
    } else {
      const text = JSON.stringify({ error: { message: `bench mock: no route ${path}`, type: 'invalid_request_error', param: null, code: null } });
      prepared = { type: 'json', status: 404, headers: { 'content-type': 'application/json' }, body: text };
    }
    if (prepared.type === 'json') {
      const b = Buffer.from(prepared.body, 'utf8');
      return { type: 'json', status: prepared.status, headers: { ...prepared.headers, 'content-length': b.length }, body: b };
    }
    return { type: 'sse', status: prepared.status, headers: prepared.headers, events: prepared.events.map((e) => Buffer.from(e, 'utf8')) };
  };

  const respond = (res: ServerResponse, c: Cached) => {
    if (c.type === 'json') {
      res.writeHead(c.status, c.headers);
      res.end(c.body);
      return;
    }
    res.writeHead(c.status, c.headers);
    // One socket write per event, as the project's mock does (without its event-loop turn between).
    for (const e of c.events) res.write(e);
    res.end();
  };

  const server = createServer({ noDelay: true, keepAliveTimeout: 65_000 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
      const q = req.url!.indexOf('?');
      const path = q < 0 ? req.url! : req.url!.slice(0, q);
      // Auth headers decide 401s, so they are part of the key (value presence only).
      const key = `${path}\n${req.headers.authorization ? 'a' : ''}${req.headers['x-api-key'] ? 'k' : ''}${req.headers['anthropic-version'] ? 'v' : ''}\n${raw}`;
      let c = cache.get(key);
      if (!c) {
        c = prepare(path, req, raw);
        if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
        cache.set(key, c);
      }
      respond(res, c);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const args = parseArgs(process.argv.slice(2));
let close: () => Promise<void>;
if (args.mode === 'project') {
  const mock = await startMockUpstream({ host: '127.0.0.1', port: args.port });
  // The project's mock records every request for tests; clear it so a long run stays flat.
  const reset = setInterval(() => mock.reset(), 1000);
  reset.unref();
  close = () => mock.close();
  process.stdout.write(`${mock.url}\n`);
} else {
  const mock = await startFastMock(args.port);
  close = () => mock.close();
  process.stdout.write(`${mock.url}\n`);
}

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void close().finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('disconnect', stop);
