/**
 * The MCP gateway end to end: the real server with two real MCP servers written with the official
 * SDK (tracker over stdio, a child the gateway starts; docs over streamable HTTP wanting a bearer
 * token), driven by the official OpenAI, Anthropic and MCP client SDKs against the mock upstream.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import OpenAI from 'openai';
import { createLogger } from '../../src/observability/logger.js';
import { startMockUpstream } from '../../src/mock-upstream/mock-upstream.js';
import type { MockUpstream } from '../../src/mock-upstream/mock-upstream.js';
import type { GatewayPlugin, RequestRecord } from '../../src/plugins/plugin.js';
import { startGateway } from '../../src/start-gateway.js';
import type { RunningGateway } from '../../src/start-gateway.js';
import { startDocsMcpServer } from '../helpers/mcp-docs-server.js';
import type { DocsMcpServer } from '../helpers/mcp-docs-server.js';
import { buildConfig, defaultConfig } from '../helpers/stack.js';

const ADMIN = 'admin-token-mcp-0123456789';
const CLIENT_KEY = 'client-key-mcp-0123456789abcdef';
const TRACKER_TOKEN = 'trk-secret-token-5f3a9c';
const DOCS_TOKEN = 'docs-bearer-token-77aa21';
const TRACKER_SERVER = fileURLToPath(new URL('../helpers/mcp-tracker-server.ts', import.meta.url));
const EXAMPLE_SERVER = fileURLToPath(new URL('../../examples/mcp-tracker-server.mjs', import.meta.url));

/** Polls `check` every 20 ms until it holds, at most `ms`. */
async function waitFor(what: string, check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('MCP gateway', () => {
  let mock: MockUpstream;
  let docs: DocsMcpServer;
  let gw: RunningGateway;
  let openai: OpenAI;
  let anthropic: Anthropic;
  let blockDir: string;
  let blockFile: string;
  const logLines: string[] = [];
  const records: RequestRecord[] = [];
  const bodies: string[] = [];

  before(async () => {
    blockDir = mkdtempSync(join(tmpdir(), 'sy-mcp-'));
    blockFile = join(blockDir, 'block');
    mock = await startMockUpstream();
    docs = await startDocsMcpServer({ token: DOCS_TOKEN });
    const base = defaultConfig(mock.url) as { server: Record<string, unknown>; providers: Record<string, unknown>; models: Record<string, unknown> };
    const config = buildConfig({
      ...base,
      server: { ...base.server, api_keys: [CLIENT_KEY], admin_token: ADMIN },
      logging: { level: 'debug', content: 'full' },
      mcp: {
        servers: {
          tracker: {
            transport: 'stdio',
            command: process.execPath,
            args: ['--import', 'tsx', TRACKER_SERVER],
            env: { TRACKER_TOKEN, TRACKER_BLOCK_FILE: blockFile },
            tool_timeout_ms: 400,
          },
          example: { transport: 'stdio', command: process.execPath, args: [EXAMPLE_SERVER], env: { TRACKER_TOKEN } },
          docs: { transport: 'http', url: docs.url, headers: { Authorization: `Bearer ${DOCS_TOKEN}` }, tools: { deny: ['delete*'] } },
        },
        max_rounds: 3,
        ping_interval_ms: 60_000,
      },
      models: {
        ...base.models,
        // client-executed: docs tools added, nothing run by the gateway
        'review-model': { targets: ['anthropic/claude-sonnet-4-6', 'openai/gpt-4o-mini'], mcp: { servers: ['docs'] } },
        // gateway-executed, OpenAI upstream first
        'auto-model': { targets: ['openai/gpt-4o-mini', 'anthropic/claude-sonnet-4-6'], mcp: { servers: ['docs'], auto_execute: ['docs__*'] } },
        'tracker-model': { targets: ['openai/gpt-4o-mini'], mcp: { servers: ['tracker'], auto_execute: ['tracker__*'] } },
      },
    });
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        logLines.push(chunk.toString('utf8'));
        cb();
      },
    });
    const recorder: GatewayPlugin = { name: 'recorder', onRequestEnd: (r) => void records.push(r) };
    gw = await startGateway({ config, port: 0, host: '127.0.0.1', logger: createLogger({ level: 'debug', destination: sink }), plugins: [recorder] });
    openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: CLIENT_KEY, maxRetries: 0 });
    anthropic = new Anthropic({ baseURL: gw.url, apiKey: CLIENT_KEY, maxRetries: 0 });
  });

  after(async () => {
    await gw?.close();
    await docs?.close();
    await mock?.close();
    rmSync(blockDir, { recursive: true, force: true });
  });

  test('both servers connect at start; GET /api/mcp/servers shows status and filtered tools', async () => {
    const res = await fetch(`${gw.url}/api/mcp/servers`, { headers: { authorization: `Bearer ${ADMIN}` } });
    const body = (await res.json()) as { data: Array<{ name: string; status: string; tools: Array<{ name: string }> }> };
    const byName = Object.fromEntries(body.data.map((s) => [s.name, s]));
    assert.equal(byName['docs']!.status, 'connected');
    assert.equal(byName['tracker']!.status, 'connected');
    assert.deepEqual(byName['docs']!.tools.map((t) => t.name), ['docs__search', 'docs__fetch']);
    assert.ok(byName['tracker']!.tools.some((t) => t.name === 'tracker__lookup'));
  });

  test('client-executed, OpenAI SDK: docs__search is a tool call; POST /v1/mcp/tools/call runs it; the next turn completes', async () => {
    const first = await openai.chat.completions.create({ model: 'review-model', messages: [{ role: 'user', content: 'How do I deploy?' }] });
    const call = first.choices[0]!.message.tool_calls?.[0];
    assert.ok(call && call.type === 'function');
    assert.equal(call.function.name, 'docs__search');
    const run = await fetch(`${gw.url}/v1/mcp/tools/call`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: call.function.name, arguments: JSON.parse(call.function.arguments) }),
    });
    assert.equal(run.status, 200);
    const result = (await run.json()) as { content: Array<{ type: string; text: string }>; isError?: boolean };
    assert.equal(result.content[0]!.text, 'docs hit for "mock": see page 42');
    const second = await openai.chat.completions.create({
      model: 'review-model',
      messages: [
        { role: 'user', content: 'How do I deploy?' },
        first.choices[0]!.message,
        { role: 'tool', tool_call_id: call.id, content: result.content[0]!.text },
      ],
    });
    assert.equal(second.choices[0]!.message.content, 'tool result was: docs hit for "mock": see page 42');
  });

  test('client-executed, Anthropic SDK sees docs__search as tool_use', async () => {
    const msg = await anthropic.messages.create({ model: 'review-model', max_tokens: 100, messages: [{ role: 'user', content: 'How do I deploy?' }] });
    const use = msg.content.find((b) => b.type === 'tool_use');
    assert.ok(use && use.type === 'tool_use');
    assert.equal(use.name, 'docs__search');
    assert.equal(msg.stop_reason, 'tool_use');
  });

  test('POST /v1/mcp/tools/call: unknown tool 404, denied tool 404, no key 401', async () => {
    const call = (name: string, key = CLIENT_KEY) =>
      fetch(`${gw.url}/v1/mcp/tools/call`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ name, arguments: {} }) });
    const unknown = await call('nope__x');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.headers.get('x-switchyard-error-code'), 'GW_ERR_MCP_TOOL_NOT_FOUND');
    assert.equal((await call('docs__delete_page')).status, 404);
    assert.equal((await call('docs__search', 'wrong-key')).status, 401);
  });

  test('gateway-executed, non-stream, OpenAI SDK: the answer uses the tool result; the call is in the record and /api/logs', async () => {
    const res = await openai.chat.completions
      .create({ model: 'auto-model', messages: [{ role: 'user', content: 'How do I deploy?' }] })
      .withResponse();
    assert.equal(res.data.choices[0]!.message.content, 'tool result was: docs hit for "mock": see page 42');
    assert.equal(res.data.choices[0]!.message.tool_calls, undefined);
    const id = res.response.headers.get('x-request-id')!;
    await waitFor('the record', () => records.some((r) => r.requestId === id));
    const rec = records.find((r) => r.requestId === id)!;
    assert.equal(rec.mcpCalls?.length, 1);
    assert.deepEqual({ server: rec.mcpCalls![0]!.server, tool: rec.mcpCalls![0]!.tool, outcome: rec.mcpCalls![0]!.outcome }, { server: 'docs', tool: 'search', outcome: 'ok' });
    // usage summed over both rounds
    assert.ok(res.data.usage!.completion_tokens > 10);
    let row: { mcp_calls: Array<{ server: string; tool: string; outcome: string; result?: string }> } | undefined;
    await waitFor('the log row', async () => {
      const page = (await (await fetch(`${gw.url}/api/logs?limit=50`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as { data: Array<{ request_id: string } & NonNullable<typeof row>> };
      row = page.data.find((r) => r.request_id === id);
      return row !== undefined;
    });
    assert.equal(row!.mcp_calls[0]!.tool, 'search');
    assert.equal(row!.mcp_calls[0]!.outcome, 'ok');
  });

  test('gateway-executed, non-stream, across dialects (Anthropic client → OpenAI upstream)', async () => {
    const msg = await anthropic.messages.create({ model: 'auto-model', max_tokens: 200, messages: [{ role: 'user', content: 'How do I deploy?' }] });
    const text = msg.content.filter((b) => b.type === 'text').map((b) => (b as { text: string }).text).join('');
    assert.equal(text, 'tool result was: docs hit for "mock": see page 42');
    assert.equal(msg.stop_reason, 'end_turn');
  });

  test('gateway-executed, stream, OpenAI SDK: one stream, the final text, no tool call, summed usage', async () => {
    const stream = await openai.chat.completions.create({ model: 'auto-model', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'How do I deploy?' }] });
    let text = '';
    let toolCalls = 0;
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      const c = chunk.choices[0];
      if (c?.delta.content) text += c.delta.content;
      if (c?.delta.tool_calls) toolCalls++;
      if (c?.finish_reason) finish = c.finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    assert.equal(text, 'tool result was: docs hit for "mock": see page 42');
    assert.equal(toolCalls, 0);
    assert.equal(finish, 'stop');
    assert.ok(usage && usage.completion_tokens > 10, JSON.stringify(usage));
  });

  test('gateway-executed, stream, Anthropic SDK across dialects: a valid stream whose final message uses the result', async () => {
    const stream = anthropic.messages.stream({ model: 'auto-model', max_tokens: 200, messages: [{ role: 'user', content: 'How do I deploy?' }] });
    const final = await stream.finalMessage();
    const text = final.content.filter((b) => b.type === 'text').map((b) => (b as { text: string }).text).join('');
    assert.equal(text, 'tool result was: docs hit for "mock": see page 42');
    assert.equal(final.stop_reason, 'end_turn');
    assert.ok(!final.content.some((b) => b.type === 'tool_use'));
    assert.ok(final.usage.output_tokens > 10);
  });

  test('two parallel calls run concurrently (the server saw both in flight at once)', async () => {
    docs.armParallel(2);
    const before = docs.calls.length;
    const res = await openai.chat.completions.create({ model: 'auto-model', messages: [{ role: 'user', content: 'Find it [mock-call: docs__search, docs__fetch]' }] });
    assert.deepEqual(docs.calls.slice(before).sort(), ['fetch', 'search']);
    assert.equal(docs.maxInFlight, 2);
    assert.match(res.choices[0]!.message.content ?? '', /^tool result was: /);
  });

  test('a tool that hangs is cut at its timeout and the model is told', async () => {
    const res = await openai.chat.completions.create({ model: 'tracker-model', messages: [{ role: 'user', content: 'Wait [mock-call: tracker__hang]' }] });
    assert.equal(res.choices[0]!.message.content, 'tool result was: tool tracker__hang did not answer within 400 ms and was cancelled');
  });

  test('max_rounds stops a model that keeps calling: the last round may not call tools', async () => {
    const before = docs.calls.length;
    const res = await openai.chat.completions.create({ model: 'auto-model', messages: [{ role: 'user', content: 'Loop [mock-call-always: docs__search]' }] });
    assert.equal(docs.calls.length - before, 2, 'max_rounds 3: two rounds of tools, then an answer');
    assert.match(res.choices[0]!.message.content ?? '', /^tool result was: /);
    assert.equal(res.choices[0]!.finish_reason, 'stop');
  });

  test('fallback mid-loop: the primary dies after round 1, round 2 goes to the fallback', async () => {
    mock.setFaults([
      { path: '/v1/chat/completions', fault: { kind: 'none' }, times: 1 },
      { path: '/v1/chat/completions', fault: { kind: 'status', status: 503 } },
    ]);
    try {
      const res = await openai.chat.completions.create({ model: 'auto-model', messages: [{ role: 'user', content: 'How do I deploy?' }] }).withResponse();
      assert.equal(res.data.choices[0]!.message.content, 'tool result was: docs hit for "mock": see page 42');
      assert.equal(res.response.headers.get('x-switchyard-provider'), 'anthropic');
      assert.equal(res.response.headers.get('x-switchyard-fallback-index'), '1');
    } finally {
      mock.setFaults([]);
    }
  });

  test('the official MCP client connects to /mcp, lists the allowed tools only, and calls one', async () => {
    const client = new Client({ name: 'test-ide', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${CLIENT_KEY}` } } }));
    try {
      const { tools } = await client.listTools();
      const names = tools.map((t) => t.name).sort();
      assert.ok(names.includes('docs__search') && names.includes('tracker__lookup'));
      assert.ok(!names.includes('docs__delete_page'));
      const r = await client.callTool({ name: 'tracker__lookup', arguments: { id: 'SY-7' } });
      assert.deepEqual(r.content, [{ type: 'text', text: 'issue SY-7: login fails on Safari (open); authorized=yes' }]);
      // The runnable example in examples/ works behind the gateway too.
      const ex = await client.callTool({ name: 'example__search_issues', arguments: { query: 'safari' } });
      assert.deepEqual(ex.content, [{ type: 'text', text: 'SY-101 [open] Login fails on Safari 17' }]);
    } finally {
      await client.close();
    }
    const noKey = await fetch(`${gw.url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
    assert.equal(noKey.status, 401);
  });

  test('the stdio child gets only its configured environment (plus the SDK safe defaults)', async () => {
    const run = await fetch(`${gw.url}/v1/mcp/tools/call`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'tracker__env_names', arguments: {} }),
    });
    const names = ((await run.json()) as { content: Array<{ text: string }> }).content[0]!.text.split(',');
    const allowed = new Set(['TRACKER_TOKEN', 'TRACKER_BLOCK_FILE', 'PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'TERM']);
    // Node itself may add a few of its own (e.g. NODE_OPTIONS is not inherited: nothing else of ours is).
    assert.deepEqual(names.filter((n) => !allowed.has(n)), []);
  });

  test('a killed stdio server is restarted; meanwhile requests naming it proceed without it, with the header', async () => {
    const pid = gw.mcp.view('tracker')!.pid!;
    assert.ok(pid > 0);
    writeFileSync(blockFile, 'x'); // restarts fail until it is removed
    process.kill(pid, 'SIGKILL');
    await waitFor('tracker down', () => gw.mcp.view('tracker')!.status !== 'connected');
    const res = await openai.chat.completions
      .create({ model: 'review-model', messages: [{ role: 'user', content: 'Hi' }] }, { headers: { 'x-switchyard-mcp': 'tracker' } })
      .withResponse();
    assert.equal(res.response.headers.get('x-switchyard-mcp-unavailable'), 'tracker');
    assert.ok(res.data.choices[0]!.message.tool_calls?.every((c) => c.type === 'function' && !c.function.name.startsWith('tracker__')));
    rmSync(blockFile);
    const re = await fetch(`${gw.url}/api/mcp/servers/tracker/reconnect`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } });
    const view = (await re.json()) as { status: string; tools: Array<{ name: string }>; pid: number };
    assert.equal(view.status, 'connected');
    assert.notEqual(view.pid, pid);
    assert.ok(view.tools.some((t) => t.name === 'tracker__lookup'));
    const back = await openai.chat.completions.create({ model: 'tracker-model', messages: [{ role: 'user', content: 'SY-1? [mock-call: tracker__lookup]' }] });
    assert.match(back.choices[0]!.message.content ?? '', /authorized=yes/);
  });

  test('secrets: the tracker token and the client key appear nowhere in logs, responses, /api surfaces or the docs server headers', async () => {
    const echoed = await openai.chat.completions.create({ model: 'tracker-model', messages: [{ role: 'user', content: 'Token? [mock-call: tracker__echo_token]' }] });
    bodies.push(JSON.stringify(echoed));
    assert.equal(echoed.choices[0]!.message.content, 'tool result was: token=[redacted]');
    const auth = { authorization: `Bearer ${ADMIN}` };
    for (const path of ['/api/mcp/servers', '/api/mcp_servers', '/api/logs?limit=200', '/metrics']) bodies.push(await (await fetch(`${gw.url}${path}`, { headers: auth })).text());
    const listed = JSON.parse(bodies[bodies.length - 3]!) as { data: Array<{ name: string; env?: Record<string, string>; headers?: Record<string, string> }> };
    assert.ok(listed.data.find((s) => s.name === 'tracker'), 'the file-defined servers are listed');
    await new Promise((r) => setImmediate(r));
    const everything = [...logLines, ...bodies].join('\n');
    assert.ok(!everything.includes(TRACKER_TOKEN), 'tracker token leaked');
    assert.ok(!everything.includes(DOCS_TOKEN), 'docs token leaked');
    assert.ok(!everything.includes(CLIENT_KEY), 'client key leaked');
    assert.ok(docs.received.length > 0);
    for (const h of docs.received) {
      assert.equal(h.authorization, `Bearer ${DOCS_TOKEN}`);
      assert.ok(!JSON.stringify(h).includes(CLIENT_KEY), 'client key forwarded to the MCP server');
    }
  });

  test('metrics count tool calls by server, tool and outcome', async () => {
    const m = await (await fetch(`${gw.url}/metrics`)).text();
    assert.match(m, /switchyard_mcp_tool_calls_total\{server="docs",tool="search",outcome="ok"\} [1-9]/);
    assert.match(m, /switchyard_mcp_tool_calls_total\{server="tracker",tool="hang",outcome="timeout"\} 1/);
    assert.match(m, /switchyard_mcp_tool_call_duration_seconds_count\{server="docs",tool="search"\} [1-9]/);
  });
});
