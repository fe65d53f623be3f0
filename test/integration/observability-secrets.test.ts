/**
 * No secret on any surface: provider keys, the admin token, client keys and the Postgres password
 * are configured, traffic runs (successes, streams, a fallback, an upstream 401, a rejected client
 * key), and then every response (bodies and headers), /metrics, /api/logs (content: full),
 * /api/stats, /api/providers/health, every stdout log line (level trace), the SQLite file and the
 * OTLP trace export are searched for them. Also: one access-log line per request, with its id.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startMockUpstream } from '../../src/mock-upstream/mock-upstream.js';
import type { MockUpstream } from '../../src/mock-upstream/mock-upstream.js';
import { createLogger } from '../../src/observability/logger.js';
import { startGateway } from '../../src/start-gateway.js';
import { startPostgres } from '../helpers/postgres.js';
import type { TestPostgres } from '../helpers/postgres.js';
import { lineCollector, secretAssertion } from '../helpers/log-lines.js';
import { allProvidersConfig, ANTHROPIC_UPSTREAM_KEY, BEDROCK_MODEL, BEDROCK_SECRET_ACCESS_KEY, buildConfig, GEMINI_UPSTREAM_KEY, OPENAI_UPSTREAM_KEY } from '../helpers/stack.js';

const ADMIN = 'adm-tok-9f8e7d6c5b4a';
const CLIENT_KEY = 'sy-client-key-0a1b2c3d';
const PG_PASSWORD = 'pg-pass-77aa88bb';
const SECRETS = [OPENAI_UPSTREAM_KEY, ANTHROPIC_UPSTREAM_KEY, GEMINI_UPSTREAM_KEY, BEDROCK_SECRET_ACCESS_KEY, 'local-vllm-key', ADMIN, CLIENT_KEY, PG_PASSWORD];

let mock: MockUpstream;
let otlp: Server;
const otlpBodies: string[] = [];
let tmp: string;
let pgServer: TestPostgres | undefined;
const logLines: string[] = [];
/** Everything the gateway sent back to anyone, as text. */
const surfaces: Array<{ name: string; text: string }> = [];
const sentIds: string[] = [];

async function capture(name: string, res: Response): Promise<Response> {
  const body = await res.text();
  surfaces.push({ name: `${name} (${res.status})`, text: `${JSON.stringify([...res.headers])}\n${body}` });
  return new Response(body, { status: res.status, headers: res.headers });
}

async function runGateway(storage: Record<string, unknown>, label: string): Promise<void> {
  const config = buildConfig({
    ...allProvidersConfig(mock.url),
    server: { host: '127.0.0.1', port: 0, admin_token: ADMIN, api_keys: [CLIENT_KEY] },
    storage,
    telemetry: { otlp_endpoint: `http://127.0.0.1:${(otlp.address() as AddressInfo).port}` },
    logging: { level: 'trace', content: 'full' },
  });
  const gw = await startGateway({ config, port: 0, host: '127.0.0.1', logger: createLogger({ level: 'trace', destination: lineCollector(logLines) }) });
  let n = 0;
  const call = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const id = `${label}-req-${++n}`;
    sentIds.push(id);
    return capture(`${label} ${path}`, await fetch(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}`, 'x-request-id': id, 'anthropic-version': '2023-06-01', ...headers }, body: JSON.stringify(body) }));
  };
  try {
    await call('/v1/chat/completions', { model: 'review-model', messages: [{ role: 'user', content: 'hello' }] });
    await call('/v1/chat/completions', { model: 'openai/gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'stream it' }] });
    await call('/anthropic/v1/messages', { model: 'review-model', max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] });
    await call('/v1/chat/completions', { model: 'gemini/gemini-2.5-flash', messages: [{ role: 'user', content: 'via gemini' }] });
    await call('/anthropic/v1/messages', { model: `bedrock/${BEDROCK_MODEL}`, max_tokens: 20, stream: true, messages: [{ role: 'user', content: 'via bedrock' }] });
    await call('/v1/chat/completions', { model: 'local/qwen3', messages: [{ role: 'user', content: 'via vllm' }] });
    // Fallback after 503s, then an upstream that rejects the provider key on every target.
    mock.setFaults([{ fault: { kind: 'status', status: 503 }, times: 2, path: '/v1/messages' }]);
    await call('/v1/chat/completions', { model: 'review-model', messages: [{ role: 'user', content: 'fall back' }] });
    mock.setFaults([{ fault: { kind: 'status', status: 401 } }]);
    const denied = await call('/v1/chat/completions', { model: 'review-model', messages: [{ role: 'user', content: 'key refused' }] });
    assert.equal(denied.status, 502);
    mock.setFaults([]);
    // A client with a wrong key: refused before routing, still recorded (status 401, no body).
    const wrong = await capture(`${label} wrong client key`, await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: 'Bearer nope', 'content-type': 'application/json' }, body: '{}' }));
    assert.equal(wrong.status, 401);

    const adminGet = async (path: string) => capture(`${label} ${path}`, await fetch(`${gw.url}${path}`, { headers: { authorization: `Bearer ${ADMIN}` } }));
    await capture(`${label} /metrics`, await fetch(`${gw.url}/metrics`));
    const logs = (await (await adminGet('/api/logs?limit=1000')).json()) as { data: Array<Record<string, unknown>> };
    assert.equal(logs.data.length, 9, 'every request is logged, the refused one included');
    assert.equal(logs.data.filter((r) => r['status'] === 401).length, 1);
    assert.ok(logs.data.filter((r) => r['status'] === 200).length >= 6);
    assert.ok(logs.data.some((r: any) => r.request_body !== null), 'content: full logs bodies');
    await adminGet('/api/stats?window=1h');
    await adminGet('/api/providers/health');
    await capture(`${label} admin with wrong token`, await fetch(`${gw.url}/api/logs`, { headers: { authorization: 'Bearer wrong' } }));
  } finally {
    await gw.close();
  }
}

before(async () => {
  mock = await startMockUpstream();
  otlp = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      otlpBodies.push(body);
      res.end('{}');
    });
  });
  await new Promise<void>((r) => otlp.listen(0, '127.0.0.1', r));
  tmp = mkdtempSync(join(tmpdir(), 'switchyard-secrets-'));
  await runGateway({ sqlite_path: join(tmp, 'db', 'log.db') }, 'sqlite');
  const started = await startPostgres();
  if (started.ok) {
    pgServer = started.pg;
    const url = await pgServer.createDatabase('secrets');
    // Trust auth accepts any password: this one only has to stay hidden.
    await runGateway({ postgres_url: url.replace('switchyard@', `switchyard:${PG_PASSWORD}@`) }, 'postgres');
  }
});

after(async () => {
  await mock?.close();
  await new Promise((r) => otlp?.close(r));
  await pgServer?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const assertClean = secretAssertion(() => SECRETS);

describe('no secret on any surface', () => {
  it('responses, /metrics, /api/logs, /api/stats, /api/providers/health', () => {
    assert.ok(surfaces.length >= 10);
    for (const s of surfaces) assertClean(s.name, s.text);
  });

  it('stdout log lines at level trace', () => {
    assert.ok(logLines.length > 10);
    for (const line of logLines) assertClean('log line', line);
  });

  it('the SQLite database file', () => {
    const dir = join(tmp, 'db');
    const files = readdirSync(dir);
    assert.ok(files.includes('log.db'));
    for (const f of files) assertClean(f, readFileSync(join(dir, f)).toString('latin1'));
  });

  it('the OTLP trace export', () => {
    assert.ok(otlpBodies.length > 0);
    for (const b of otlpBodies) assertClean('OTLP export', b);
  });
});

describe('access log', () => {
  it('writes one structured JSON line per request at info, with its request id and cost', () => {
    const entries = logLines.map((l) => JSON.parse(l) as Record<string, any>);
    for (const id of sentIds) {
      const lines = entries.filter((e) => e['msg'] === 'request' && e['requestId'] === id);
      assert.equal(lines.length, 1, `one access-log line for ${id}`);
      const e = lines[0]!;
      assert.equal(e['level'], 30);
      assert.equal(e['service'], 'switchyard');
      assert.equal(typeof e['latencyMs'], 'number');
      assert.equal(typeof e['costUsd'], 'number');
      assert.ok(typeof e['time'] === 'string');
    }
    const fallback = entries.find((e) => e['msg'] === 'request' && e['fallbackIndex'] === 1);
    assert.equal(fallback?.['provider'], 'openai');
  });
});
