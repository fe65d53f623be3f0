/**
 * Test support for provider replay tests: the recorded upstream traffic in ../shared/fixtures (see
 * its NOTICE.md; SWITCHYARD_FIXTURES_DIR overrides), a local HTTP server that answers with a
 * recording (in awkwardly split chunks) and records what the provider sent, and helpers that run a
 * provider's answer through both client dialects.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, beforeEach } from 'node:test';
import type { GatewayError } from '../../src/core/errors.js';
import type { CoreRequest } from '../../src/core/request.js';
import type { CoreResponse } from '../../src/core/response.js';
import type { StreamEvent } from '../../src/core/stream-event.js';
import { anthropicMessagesDialect } from '../../src/dialects/anthropic-messages/index.js';
import type { ClientDialect } from '../../src/dialects/client-dialect.js';
import { openAIChatDialect } from '../../src/dialects/openai-chat/index.js';
import { silentLogger } from '../../src/observability/logger.js';
import type { ProviderCallContext, ProviderResult } from '../../src/providers/provider-adapter.js';
import { peekBeforeCommit } from '../../src/providers/shared/peek-before-commit.js';
import { defaultFixturesDir } from '../../src/mock-upstream/replay-fixture.js';

/** The recordings' root: $SWITCHYARD_FIXTURES_DIR, else ../shared/fixtures beside the repo (the mock upstream's own lookup). */
export const fixturesRoot = defaultFixturesDir;

/**
 * `false` when the recordings of `folder` (or, for '', the whole fixtures folder) are there, else
 * the reason to skip. Under CI=true an absent folder throws instead: CI always has ../shared beside
 * the clone, so nothing there skips silently.
 */
export function fixturesSkip(folder: string): string | false {
  const dir = join(fixturesRoot(), folder);
  if (existsSync(dir)) return false;
  const reason = `shared fixtures folder absent (${dir}); set SWITCHYARD_FIXTURES_DIR to run the replay tests`;
  if (process.env.CI === 'true') throw new Error(`the recordings are required in CI: ${reason}`);
  return reason;
}

export function readFixture(folder: string, file: string): string {
  return readFileSync(join(fixturesRoot(), folder, file), 'utf8');
}

export function hasFixture(folder: string, file: string): boolean {
  return existsSync(join(fixturesRoot(), folder, file));
}

export function chunkLines(text: string): string[] {
  return text.split(/\r?\n/).filter((l) => l.trim().length > 0);
}

/** Deterministic pseudo-random numbers (mulberry32), for reproducible random splits. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Splits bytes into pieces: `size` bytes each, or random sizes 1..maxRandom with a seed. */
export function splitBytes(bytes: Buffer, how: { size: number } | { seed: number; max: number }): Buffer[] {
  const out: Buffer[] = [];
  const rnd = 'seed' in how ? seededRandom(how.seed) : undefined;
  for (let i = 0; i < bytes.length; ) {
    const n = rnd ? 1 + Math.floor(rnd() * (how as { max: number }).max) : (how as { size: number }).size;
    out.push(bytes.subarray(i, i + n));
    i += n;
  }
  return out;
}

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: any;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  /** Whole body, or pieces written one per event-loop turn. */
  body: string | Buffer | Buffer[];
}

export interface ReplayServer {
  url: string;
  seen: SeenRequest[];
  /** The next replies, in order; the last one repeats. */
  reply(...replies: Reply[]): void;
  close(): Promise<void>;
}

export async function startReplayServer(): Promise<ReplayServer> {
  const seen: SeenRequest[] = [];
  let replies: Reply[] = [{ status: 200, body: '{}' }];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, json });
      const r = replies.length > 1 ? replies.shift()! : replies[0]!;
      res.writeHead(r.status, { 'content-type': 'application/json', ...r.headers });
      if (!Array.isArray(r.body)) {
        res.end(r.body);
        return;
      }
      const pieces = r.body;
      let i = 0;
      const pump = () => {
        if (res.destroyed) return;
        if (i >= pieces.length) {
          res.end();
          return;
        }
        res.write(pieces[i++]);
        setImmediate(pump);
      };
      res.flushHeaders();
      setImmediate(pump);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    seen,
    reply(...r) {
      replies = r;
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export function callContext(model: string, key = ''): ProviderCallContext {
  return {
    model,
    key: { id: 'test-key', value: key },
    signal: new AbortController().signal,
    timeouts: { connectMs: 2000, firstByteMs: 5000, idleMs: 5000 },
    logger: silentLogger(),
  };
}

export const DIALECTS: ReadonlyArray<{ name: string; dialect: ClientDialect }> = [
  { name: 'OpenAI chat', dialect: openAIChatDialect },
  { name: 'Anthropic messages', dialect: anthropicMessagesDialect },
];

/** A simple conversation as each dialect's client would send it. */
export function clientRequest(dialect: ClientDialect, opts: { text?: string; system?: string; stream?: boolean; tools?: boolean; maxTokens?: number } = {}): CoreRequest {
  const text = opts.text ?? 'How many r are in strawberry?';
  const tool = { name: 'weather', description: 'Weather in a city', schema: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] } };
  if (dialect.id === 'openai-chat') {
    const body: Record<string, unknown> = {
      model: 'm',
      messages: [...(opts.system ? [{ role: 'system', content: opts.system }] : []), { role: 'user', content: text }],
    };
    if (opts.stream) {
      body.stream = true;
      body.stream_options = { include_usage: true };
    }
    if (opts.maxTokens !== undefined) body.max_tokens = opts.maxTokens;
    if (opts.tools) body.tools = [{ type: 'function', function: { name: tool.name, description: tool.description, parameters: tool.schema } }];
    return dialect.parseRequest(body);
  }
  const body: Record<string, unknown> = { model: 'm', max_tokens: opts.maxTokens ?? 1024, messages: [{ role: 'user', content: text }] };
  if (opts.system) body.system = opts.system;
  if (opts.stream) body.stream = true;
  if (opts.tools) body.tools = [{ name: tool.name, description: tool.description, input_schema: tool.schema }];
  return dialect.parseRequest(body);
}

/** Collects every canonical event of a stream result (peeked as the gateway does). Rejects when it fails before the commit point. */
export async function collectEvents(result: ProviderResult): Promise<{ events: StreamEvent[]; error?: GatewayError }> {
  if (result.kind !== 'stream') throw new Error('expected a stream result');
  const peeked = await peekBeforeCommit(result.stream);
  return new Promise((resolvePromise) => {
    const events: StreamEvent[] = [];
    peeked.commit({
      frame(f) {
        events.push(...f.events);
        // An error event ends a stream (the client sink closes on it).
        const err = f.events.find((e) => e.type === 'error');
        if (err && err.type === 'error') resolvePromise({ events, error: err.error });
      },
      end() {
        resolvePromise({ events });
      },
      error(error) {
        resolvePromise({ events, error });
      },
    });
  });
}

/** The SSE text a dialect's client would receive for these events. */
export function encodeForClient(dialect: ClientDialect, request: CoreRequest, events: StreamEvent[]): string {
  const enc = dialect.createStreamEncoder({ requestModel: request.model, request });
  let out = '';
  for (const e of events) out += enc.encode(e);
  return out + enc.end();
}

/** Parsed `data:` payloads of an SSE text (skipping [DONE]). */
export function sseData(text: string): any[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('data: ') && l !== 'data: [DONE]')
    .map((l) => JSON.parse(l.slice(6)));
}

/** Text a client assembles from its stream: OpenAI deltas or Anthropic text_delta. */
export function clientStreamText(dialect: ClientDialect, sse: string): string {
  let text = '';
  for (const d of sseData(sse)) {
    if (dialect.id === 'openai-chat') text += d.choices?.[0]?.delta?.content ?? '';
    else if (d.type === 'content_block_delta' && d.delta?.type === 'text_delta') text += d.delta.text;
  }
  return text;
}

/** The non-stream body a dialect's client would receive. */
export function formatForClient(dialect: ClientDialect, request: CoreRequest, response: CoreResponse): any {
  return dialect.formatResponse(response, { requestModel: request.model, request });
}

/**
 * Registers the replay-server lifecycle for a provider test file: one server for the file, requests
 * seen cleared before each test, and every tracked provider closed after the file.
 */
export function useReplayServer(): { readonly server: ReplayServer; track<P extends { close(): Promise<void> }>(p: P): P } {
  let server: ReplayServer | undefined;
  const tracked: Array<{ close(): Promise<void> }> = [];
  before(async () => {
    server = await startReplayServer();
  });
  after(async () => {
    for (const p of tracked) await p.close();
    await server?.close();
  });
  beforeEach(() => {
    if (server) server.seen.length = 0;
  });
  return {
    get server(): ReplayServer {
      if (!server) throw new Error('the replay server starts in before(): use it inside tests');
      return server;
    },
    track(p) {
      tracked.push(p);
      return p;
    },
  };
}
