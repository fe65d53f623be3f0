/**
 * A seeded, bounded fuzz run against the real gateway in front of the bundled mock upstream:
 * malformed and mutated bodies (both dialects, cross-dialect targets, streams), broken HTTP framing,
 * slow clients, clients that leave mid-stream, bursts, and upstream faults.
 *
 * It asserts what must never happen: a 500 GW_ERR_INTERNAL (or any 5xx the upstream did not cause),
 * a bare answer without a dialect-shaped body, a crash (the gateway stops answering /healthz), the
 * in-flight gauge not returning to 0, and RSS growing past a bound.
 *
 *   npm run fuzz -- --count 10000 [--seed 42] [--concurrency 32]
 *
 * `npm test` runs a small size through test/integration/fuzz.test.ts.
 */
import { connect } from 'node:net';
import { parseConfig } from '../src/config/load-config.js';
import { startMockUpstream } from '../src/mock-upstream/mock-upstream.js';
import type { FaultRule } from '../src/mock-upstream/mock-upstream.js';
import { silentLogger } from '../src/observability/logger.js';
import { KNOWN_PROVIDER_TYPES } from '../src/providers/registry.js';
import { startGateway } from '../src/start-gateway.js';

export interface FuzzOptions {
  count: number;
  seed: number;
  /** Requests in flight at once (bursts go above it). Default 16. */
  concurrency?: number;
  /** Most RSS growth allowed over the run, in MB. Default 300. */
  maxRssGrowthMb?: number;
  log?: (line: string) => void;
}

export interface FuzzReport {
  cases: number;
  byKind: Record<string, number>;
  byStatus: Record<string, number>;
  failures: string[];
  rssStartMb: number;
  rssEndMb: number;
  durationMs: number;
}

/** mulberry32: small, fast, seedable. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WEIRD = ['画像', 'ключ', 'a\r\nb', '\u0000', '\u007f', '\ud800', '😀', 'é', '%', '"', '\\', ' ', '', 'x'.repeat(5000), '__proto__', 'constructor'];

export async function runFuzz(o: FuzzOptions): Promise<FuzzReport> {
  const t0 = performance.now();
  const random = rng(o.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const int = (n: number) => Math.floor(random() * n);
  const log = o.log ?? (() => undefined);

  const mock = await startMockUpstream({});
  const config = parseConfig(
    JSON.stringify({
      server: { host: '127.0.0.1', port: 0, headers_timeout_ms: 300, request_timeout_ms: 800, keep_alive_timeout_ms: 2000, max_connections: 2000, header_limit_bytes: 8192 },
      providers: {
        openai: { type: 'openai', base_url: `${mock.url}/v1`, keys: [{ value: 'sk-fuzz-openai' }], models: ['gpt-4o-mini', 'text-embedding-3-small'], timeouts: { first_byte_ms: 2000, idle_ms: 2000 }, retries: { max: 0 } },
        anthropic: { type: 'anthropic', base_url: mock.url, keys: [{ value: 'sk-fuzz-anthropic' }], models: ['claude-sonnet-4-6'], timeouts: { first_byte_ms: 2000, idle_ms: 2000 }, retries: { max: 0 } },
      },
      models: { chain: { targets: ['anthropic/claude-sonnet-4-6', 'openai/gpt-4o-mini'] } },
      routing: { deadline_ms: 5000 },
      storage: { sqlite_path: ':memory:' },
      logging: { level: 'silent' },
    }),
    { format: 'json', knownProviderTypes: KNOWN_PROVIDER_TYPES, env: {} },
  );
  let gw: Awaited<ReturnType<typeof startGateway>>;
  try {
    gw = await startGateway({ config, port: 0, host: '127.0.0.1', logger: silentLogger() });
  } catch (e) {
    await mock.close();
    throw e;
  }
  try {
    return await fuzzAgainst(gw);
  } finally {
    await gw.close();
    await mock.close();
  }

  async function fuzzAgainst(gw: Awaited<ReturnType<typeof startGateway>>): Promise<FuzzReport> {
  const port = gw.port;
  const base = gw.url;

  const byKind: Record<string, number> = {};
  const byStatus: Record<string, number> = {};
  const failures: string[] = [];
  const fail = (what: string) => {
    if (failures.length < 50) failures.push(what);
  };
  const rssStartMb = process.memoryUsage().rss / 1048576;
  let upstreamFaulty = false;

  /** Checks one HTTP answer: never GW_ERR_INTERNAL, never a 5xx the upstream did not cause, always a JSON or SSE body. */
  const check = (kind: string, status: number, code: string | null, contentType: string | null, body: string) => {
    byStatus[status] = (byStatus[status] ?? 0) + 1;
    if (code === 'GW_ERR_INTERNAL' || status === 500) fail(`${kind}: ${status} ${code}: ${body.slice(0, 200)}`);
    else if (status >= 500 && !upstreamFaulty && code !== 'GW_ERR_SHUTTING_DOWN') fail(`${kind}: ${status} ${code} without an upstream fault: ${body.slice(0, 200)}`);
    if (status >= 400 && !/json/.test(contentType ?? '')) fail(`${kind}: ${status} without a JSON error body`);
    if (/json/.test(contentType ?? '') && body.length > 0) {
      try {
        JSON.parse(body);
      } catch {
        fail(`${kind}: ${status}: body is not JSON: ${body.slice(0, 100)}`);
      }
    }
  };

  const randomValue = (depth: number): unknown => {
    switch (int(depth > 3 ? 5 : 8)) {
      case 0:
        return pick(WEIRD);
      case 1:
        return int(3) === 0 ? 1e308 : int(1000) - 500;
      case 2:
        return null;
      case 3:
        return random() < 0.5;
      case 4:
        return int(2) ? -0.5 : Number.MAX_SAFE_INTEGER;
      case 5:
        return Array.from({ length: int(4) }, () => randomValue(depth + 1));
      default: {
        const obj: Record<string, unknown> = {};
        for (let i = int(4); i > 0; i--) obj[pick(WEIRD.concat(['type', 'text', 'role', 'content']))] = randomValue(depth + 1);
        return obj;
      }
    }
  };
  const nested = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);

  /** A valid request of a random dialect and target, then mutated. */
  const mutatedRequest = (): { path: string; body: string; stream: boolean } => {
    const anthropic = random() < 0.5;
    const stream = random() < 0.5;
    const model = pick(['openai/gpt-4o-mini', 'anthropic/claude-sonnet-4-6', 'chain', 'openai/' + pick(WEIRD), 'nope/x']);
    const body: Record<string, unknown> = anthropic
      ? { model, max_tokens: 64, stream, messages: [{ role: 'user', content: 'hello fuzz ' + int(1000) }] }
      : { model, stream, messages: [{ role: 'user', content: 'hello fuzz ' + int(1000) }] };
    const messages = body.messages as Array<Record<string, unknown>>;
    switch (int(10)) {
      case 0:
        body[pick(WEIRD)] = randomValue(0);
        break;
      case 1:
        messages[0]!.content = [{ type: 'text', text: 'hi' }, { type: pick(WEIRD), value: randomValue(1) }];
        break;
      case 2:
        body.tools = anthropic ? [{ name: 't', input_schema: randomValue(0) }] : [{ type: pick(['function', ...WEIRD]), function: { name: 't', parameters: randomValue(0) } }];
        break;
      case 3:
        body[pick(['messages', 'model', 'max_tokens', 'stream', 'temperature', 'tools', 'system'])] = randomValue(0);
        break;
      case 4:
        messages[0]!.role = pick(['system', 'assistant', 'tool', 'developer', ...WEIRD]);
        break;
      case 5:
        delete body[pick(['model', 'messages', 'max_tokens'])];
        break;
      case 6:
        messages.push(...Array.from({ length: int(6) }, () => ({ role: pick(['user', 'assistant']), content: randomValue(1) })));
        break;
      default:
        break;
    }
    let text = JSON.stringify(body);
    if (int(12) === 0) text = text.replace('"messages"', `"metadata":${nested(200 + int(5000))},"messages"`);
    return { path: anthropic ? pick(['/anthropic/v1/messages', '/v1/messages']) : pick(['/v1/chat/completions', '/openai/v1/chat/completions']), body: text, stream };
  };

  const httpCase = async (kind: string, path: string, body: string, abortMidStream: boolean) => {
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(), 15_000);
    try {
      const res = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: ctrl.signal });
      const contentType = res.headers.get('content-type');
      if (abortMidStream && /event-stream/.test(contentType ?? '')) {
        const reader = res.body!.getReader();
        await reader.read();
        ctrl.abort();
        byStatus[res.status] = (byStatus[res.status] ?? 0) + 1;
        return;
      }
      check(kind, res.status, res.headers.get('x-switchyard-error-code'), contentType, await res.text());
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      // A keep-alive connection the server closed as idle just as the client reused it is the
      // client's race (HTTP/1.1 allows it; SDKs retry it), not a gateway failure.
      const idleRace = cause?.code === 'UND_ERR_SOCKET' || cause?.code === 'ECONNRESET';
      if (idleRace) byStatus['reused-idle-connection-closed'] = (byStatus['reused-idle-connection-closed'] ?? 0) + 1;
      else if (!ctrl.signal.aborted || !abortMidStream) fail(`${kind}: request failed: ${(e as Error).message} (${cause?.code ?? ''} ${cause?.message ?? ''})`);
    } finally {
      clearTimeout(timer);
    }
  };

  /** Raw bytes; the answer, when there is one, must be a whole response with a JSON body. */
  const rawCase = (kind: string, parts: string[], halfClose: boolean, gapMs = 0) =>
    new Promise<void>((resolve) => {
      const s = connect(port, '127.0.0.1');
      let text = '';
      const limit = setTimeout(() => {
        fail(`${kind}: connection still open after 10 s`);
        s.destroy();
      }, 10_000);
      s.on('data', (d: Buffer) => (text += d.toString('latin1')));
      s.on('error', () => undefined);
      s.on('close', () => {
        clearTimeout(limit);
        if (text) {
          const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
          const head = text.slice(0, Math.max(0, text.indexOf('\r\n\r\n')));
          if (!m) fail(`${kind}: not an HTTP response: ${JSON.stringify(text.slice(0, 80))}`);
          else {
            const code = /x-switchyard-error-code: (\S+)/i.exec(head)?.[1] ?? null;
            const ct = /content-type: ([^\r\n]+)/i.exec(head)?.[1] ?? null;
            const status = Number(m[1]);
            const last = text.lastIndexOf('HTTP/1.1 ');
            const tail = text.slice(last);
            check(kind, status, code, ct, status >= 400 ? tail.slice(tail.indexOf('\r\n\r\n') + 4) : '');
          }
        }
        resolve();
      });
      s.on('connect', async () => {
        for (const p of parts) {
          if (s.destroyed) break;
          s.write(p);
          if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
        }
        if (halfClose && !s.destroyed) s.end();
      });
    });

  const rawFraming = () => {
    const path = pick(['/v1/chat/completions', '/v1/messages', '/anthropic/v1/messages', '/nope']);
    const json = '{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}';
    switch (int(6)) {
      case 0:
        return rawCase('framing:short-body', [`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${json.length + 10}\r\n\r\n${json}`], true);
      case 1:
        return rawCase('framing:chunked-cut', [`POST ${path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${(10).toString(16)}\r\n${json.slice(0, 10)}\r\n`], true);
      case 2:
        return rawCase('framing:bad-chunk', [`POST ${path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n${json}\r\n0\r\n\r\n`], false);
      case 3:
        return rawCase('framing:big-headers', [`POST ${path} HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(9000 + int(20000))}\r\n\r\n`], false);
      case 4:
        return rawCase('framing:garbage', [Array.from({ length: 1 + int(60) }, () => String.fromCharCode(int(256))).join('') + '\r\n\r\n'], false);
      default:
        return rawCase('framing:both-lengths', [`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`], false);
    }
  };

  const slowClient = () =>
    int(2)
      ? rawCase('slow:headers', ['POST /v1/messages HTTP/1.1\r\n', 'Host: x\r\n', 'X-A: 1\r\n', 'X-B: 2\r\n', 'X-C: 3\r\n', 'X-D: 4\r\n'], false, 120)
      : rawCase('slow:body', ['POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n', ...'{"model":"x","messages":[]}'.split('')], false, 80);

  const faults: Array<FaultRule[]> = [
    [],
    [{ fault: { kind: 'status', status: 500 }, times: 3 }],
    [{ fault: { kind: 'status', status: 429, retryAfterSeconds: 0 }, times: 3 }],
    [{ fault: { kind: 'reset' }, times: 2 }],
    [{ fault: { kind: 'cut-mid-stream', afterEvents: 2 }, times: 3 }],
    [{ fault: { kind: 'latency', ms: 200 }, times: 5 }],
    [{ fault: { kind: 'error-first-event' }, times: 2 }],
  ];

  const concurrency = o.concurrency ?? 16;
  const running = new Set<Promise<void>>();
  const launch = async (p: Promise<void>) => {
    running.add(p);
    void p.finally(() => running.delete(p));
    while (running.size >= concurrency) await Promise.race(running);
  };

  let done = 0;
  while (done < o.count) {
    // Faults change between batches, with nothing in flight, so every 5xx is attributable.
    if (done % 50 === 0) {
      await Promise.all(running);
      const f = pick(faults);
      upstreamFaulty = f.length > 0;
      mock.setFaults(f);
    }
    const r = random();
    let kind: string;
    if (r < 0.55) {
      kind = 'mutated';
      const req = mutatedRequest();
      await launch(httpCase(kind, req.path, req.body, req.stream && random() < 0.2));
    } else if (r < 0.7) {
      kind = 'malformed-json';
      const req = mutatedRequest();
      const broken = int(2) ? req.body.slice(0, int(req.body.length)) : req.body.replace(/[{}[\]":,]/, () => pick(['', '{', '\u0000', '\\']));
      await launch(httpCase(kind, req.path, broken, false));
    } else if (r < 0.82) {
      kind = 'framing';
      await launch(rawFraming());
    } else if (r < 0.86) {
      kind = 'slow';
      await launch(slowClient());
    } else if (r < 0.9) {
      kind = 'embeddings';
      const dims = pick([1, 8, 3072, 16_385, 1_000_000_000, -1, 2.5]);
      await launch(httpCase(kind, '/v1/embeddings', JSON.stringify({ model: 'openai/text-embedding-3-small', input: pick(['a', ['a', 'b'], [], [1, 2]]), dimensions: dims }), false));
    } else {
      kind = 'burst';
      const n = 20 + int(40);
      const burst = Array.from({ length: n }, () => {
        const req = mutatedRequest();
        return httpCase(kind, req.path, req.body, false);
      });
      await launch(Promise.all(burst).then(() => undefined));
      done += n - 1;
    }
    byKind[kind] = (byKind[kind] ?? 0) + 1;
    done++;
    if (done % 1000 < 1) log(`fuzz: ${done}/${o.count}, ${failures.length} failures, rss ${Math.round(process.memoryUsage().rss / 1048576)} MB`);
  }
  await Promise.all(running);
  mock.setFaults([]);

  // The gateway still answers, and nothing is left in flight.
  const health = await fetch(`${base}/healthz`).catch(() => undefined);
  if (health?.status !== 200) fail('the gateway no longer answers /healthz');
  const until = Date.now() + 10_000;
  let inFlight = -1;
  for (;;) {
    const text = await (await fetch(`${base}/metrics`)).text();
    inFlight = text
      .split('\n')
      .filter((l) => l.startsWith('switchyard_in_flight_requests'))
      .reduce((n, l) => n + Number(l.split(' ').pop()), 0);
    if ((inFlight === 0 && gw.app.inFlight() <= 1) || Date.now() > until) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  if (inFlight !== 0) fail(`switchyard_in_flight_requests is ${inFlight} after the run`);
  const rssEndMb = process.memoryUsage().rss / 1048576;
  if (rssEndMb - rssStartMb > (o.maxRssGrowthMb ?? 300)) fail(`RSS grew from ${rssStartMb.toFixed(0)} to ${rssEndMb.toFixed(0)} MB`);

  return { cases: done, byKind, byStatus, failures, rssStartMb: Math.round(rssStartMb), rssEndMb: Math.round(rssEndMb), durationMs: Math.round(performance.now() - t0) };
  }
}

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const n = Number(process.argv[i + 1]);
  if (!Number.isFinite(n)) throw new Error(`--${name}: expected a number, got "${process.argv[i + 1]}"`);
  return n;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const report = await runFuzz({ count: flag('count', 1000), seed: flag('seed', 1), concurrency: flag('concurrency', 16), log: (l) => console.log(l) });
  console.log(JSON.stringify(report, null, 2));
  process.exitCode = report.failures.length > 0 ? 1 : 0;
}
