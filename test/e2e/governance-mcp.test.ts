/**
 * Budgets hold through the MCP gateway's tool loop, where one request makes several model calls:
 * each further call's worst case is reserved before it is made (refused when the budget would not
 * hold it), and the settlement is the sum of every call, priced at its own target. Real MCP server
 * (streamable HTTP, official SDK), the OpenAI SDK, the mock upstream; the spend from the admin API.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { startMockUpstream } from '../../src/mock-upstream/mock-upstream.js';
import { parseFaultSpec } from '../../src/mock-upstream/parse-fault-spec.js';
import type { MockUpstream } from '../../src/mock-upstream/mock-upstream.js';
import { silentLogger } from '../../src/observability/logger.js';
import { startGateway } from '../../src/start-gateway.js';
import type { RunningGateway } from '../../src/start-gateway.js';
import { startDocsMcpServer } from '../helpers/mcp-docs-server.js';
import type { DocsMcpServer } from '../helpers/mcp-docs-server.js';
import { buildConfig, defaultConfig } from '../helpers/stack.js';

const ADMIN = 'admin-token-governance-mcp-0001';
const DOCS_TOKEN = 'docs-token-governance-mcp-0001';
const KEYS = {
  roomy: 'sk-sy-test-mcp-roomy-key-0000001',
  tight: 'sk-sy-test-mcp-tight-key-0000002',
  tightStream: 'sk-sy-test-mcp-tight-key-0000003',
  mixed: 'sk-sy-test-mcp-mixed-key-0000004',
};
/** The model keeps calling docs__search: five model calls (the last may not call tools). */
const LOOPING = 'Look it up [mock-call-always: docs__search]';

let mock: MockUpstream;
let docs: DocsMcpServer;
let gw: RunningGateway;
before(async () => {
  mock = await startMockUpstream();
  docs = await startDocsMcpServer({ token: DOCS_TOKEN });
  const base = defaultConfig(mock.url) as { server: Record<string, unknown>; providers: Record<string, Record<string, unknown>>; models: Record<string, unknown> };
  // $1,000 per million tokens. One call's worst case here is about $0.07; the five calls of the
  // loop use about $0.15 in all.
  gw = await startGateway({
    config: buildConfig({
      ...base,
      server: { ...base.server, admin_token: ADMIN },
      logging: { level: 'silent', flush_interval_ms: 20 },
      // No retries: a failed call goes to the fallback, `backup`, which costs three times as much.
      providers: { ...base.providers, openai: { ...base.providers.openai, retries: { max: 0 } }, backup: { ...base.providers.openai } },
      pricing: { overrides: { 'openai/gpt-4o-mini': { input: 1000, output: 1000 }, 'backup/gpt-4o-mini': { input: 3000, output: 3000 } } },
      governance: { enabled: true, counters: { type: 'memory' } },
      virtual_keys: {
        roomy: { key: KEYS.roomy, budgets: [{ max_usd: 100, period: 'total' }] },
        tight: { key: KEYS.tight, budgets: [{ max_usd: 0.1, period: 'total' }] },
        'tight-stream': { key: KEYS.tightStream, budgets: [{ max_usd: 0.1, period: 'total' }] },
        mixed: { key: KEYS.mixed, budgets: [{ max_usd: 100, period: 'total' }] },
      },
      mcp: { servers: { docs: { transport: 'http', url: docs.url, headers: { Authorization: `Bearer ${DOCS_TOKEN}` } } }, max_rounds: 5 },
      models: {
        ...base.models,
        agent: { targets: ['openai/gpt-4o-mini'], mcp: { servers: ['docs'], auto_execute: ['docs__*'] } },
        'agent-fallback': { targets: ['openai/gpt-4o-mini', 'backup/gpt-4o-mini'], mcp: { servers: ['docs'], auto_execute: ['docs__*'] } },
      },
    }),
    port: 0,
    host: '127.0.0.1',
    logger: silentLogger(),
  });
});
after(async () => {
  await gw?.close();
  await docs?.close();
  await mock?.close();
});

const client = (key: string) => new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });

/** The request log's cost of one request (bounded wait for its row). */
async function loggedCost(requestId: string): Promise<number> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const res = await fetch(`${gw.url}/api/logs?limit=50`, { headers: { authorization: `Bearer ${ADMIN}` } });
    const row = ((await res.json()) as { data: Array<{ request_id: string; cost_usd: number }> }).data.find((r) => r.request_id === requestId);
    if (row) return row.cost_usd;
    assert.ok(Date.now() < deadline, `no log row for ${requestId}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function spent(name: string): Promise<number> {
  const res = await fetch(`${gw.url}/api/virtual-keys/${name}`, { headers: { authorization: `Bearer ${ADMIN}` } });
  return ((await res.json()) as { usage: { budgets: Array<{ spent_usd: number }> } }).usage.budgets[0]!.spent_usd;
}

describe('budgets through the MCP tool loop', () => {
  it('a loop within the budget: the spend is the sum of every model call', async () => {
    const before = mock.requests.length;
    const answer = await client(KEYS.roomy).chat.completions.create({ model: 'agent', max_tokens: 16, messages: [{ role: 'user', content: LOOPING }] });
    assert.equal(mock.requests.length - before, 5, 'five model calls');
    assert.match(answer.choices[0]!.message.content ?? '', /^tool result was: /);
    // $1,000 per million tokens: the usage of all five calls, summed by the loop, times $0.001.
    assert.equal(Math.round((await spent('roomy')) * 1e6), answer.usage!.total_tokens * 1000);
  });

  it('a loop whose calls were answered by different targets: each call is priced at its own, in the budget and the request log alike', async () => {
    // The first call meets a 500 at the primary and is answered by `backup`; the other four by the primary.
    mock.setFaults([parseFaultSpec('status:500:times=1')]);
    const { data: answer, response } = await client(KEYS.mixed)
      .chat.completions.create({ model: 'agent-fallback', max_tokens: 16, messages: [{ role: 'user', content: LOOPING }] })
      .withResponse();
    mock.setFaults([]);
    const usd = answer.usage!.total_tokens / 1e6;
    const s = await spent('mixed');
    assert.ok(s > usd * 1000 && s < usd * 3000, `spent ${s}: between every call at the primary's price (${usd * 1000}) and at backup's (${usd * 3000})`);
    const logged = await loggedCost(response.headers.get('x-request-id')!);
    assert.equal(Math.round(logged * 1e9), Math.round(s * 1e9), 'the request log prices each call as governance did');
  });

  it('JSON: a model call the budget would not hold is refused before it is made; what was spent stays counted', async () => {
    const before = mock.requests.length;
    const err = await client(KEYS.tight)
      .chat.completions.create({ model: 'agent', max_tokens: 16, messages: [{ role: 'user', content: LOOPING }] })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.ok(err instanceof OpenAI.RateLimitError, String(err));
    assert.match(err.message, /budget exhausted: the total budget of virtual key tight \(\$0.1\) has less left than the next model call of this request \(an MCP round\) may cost/);
    const calls = mock.requests.length - before;
    assert.ok(calls >= 1 && calls < 5, `${calls} model calls`);
    const s = await spent('tight');
    assert.ok(s > 0 && s <= 0.1, `spent ${s} of $0.1`);
    // The request log (and so /api/stats and the console) shows what the rounds run cost.
    assert.equal(await loggedCost(err.headers!.get('x-request-id')!), s);
  });

  it('stream: the refusal ends the stream with the error; the budget holds', async () => {
    const { data: stream, response } = await client(KEYS.tightStream)
      .chat.completions.create({ model: 'agent', max_tokens: 16, stream: true, messages: [{ role: 'user', content: LOOPING }] })
      .withResponse();
    const err = await (async () => {
      for await (const _ of stream) {
        // the rounds' events
      }
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof OpenAI.APIError, String(err));
    assert.match(err.message, /budget exhausted: the total budget of virtual key tight-stream/);
    const s = await spent('tight-stream');
    assert.ok(s > 0 && s <= 0.1, `spent ${s} of $0.1`);
    assert.equal(await loggedCost(response.headers.get('x-request-id')!), s);
  });
});
