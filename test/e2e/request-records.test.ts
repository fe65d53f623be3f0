/** Every request reaches the plugins once — refused ones (auth, JSON, size) and embeddings included. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { startMockUpstream } from '../../src/mock-upstream/mock-upstream.js';
import type { MockUpstream } from '../../src/mock-upstream/mock-upstream.js';
import { silentLogger } from '../../src/observability/logger.js';
import type { GatewayPlugin, RequestRecord } from '../../src/plugins/plugin.js';
import { startGateway } from '../../src/start-gateway.js';
import type { RunningGateway } from '../../src/start-gateway.js';
import { buildConfig, defaultConfig } from '../helpers/stack.js';

let mock: MockUpstream;
let gw: RunningGateway;
const records: RequestRecord[] = [];
let starts = 0;
const recorder: GatewayPlugin = {
  name: 'recorder',
  onRequestStart: () => void starts++,
  onRequestEnd: (r) => void records.push(r),
};

before(async () => {
  mock = await startMockUpstream();
  const raw = defaultConfig(mock.url);
  gw = await startGateway({
    config: buildConfig({ ...raw, server: { host: '127.0.0.1', port: 0, api_keys: ['team'], body_limit_bytes: 2048 } }),
    port: 0,
    host: '127.0.0.1',
    logger: silentLogger(),
    plugins: [recorder],
  });
});
after(async () => {
  await gw.close();
  await mock.close();
});

const post = (path: string, body: string, key = 'team') =>
  fetch(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body }).then(async (r) => {
    await r.text();
    return r.status;
  });

test('refused requests are recorded with their status and code', async () => {
  records.length = 0;
  assert.equal(await post('/v1/chat/completions', '{"model":', 'team'), 400);
  assert.equal(await post('/anthropic/v1/messages', '{}', 'wrong-key'), 401);
  assert.equal(await post('/v1/chat/completions', JSON.stringify({ model: 'x', messages: [{ role: 'user', content: 'y'.repeat(4000) }] })), 413);
  assert.deepEqual(
    records.map((r) => [r.dialect, r.status, r.errorCode]),
    [
      ['openai-chat', 400, 'GW_ERR_INVALID_JSON'],
      ['anthropic-messages', 401, 'GW_ERR_UNAUTHORIZED'],
      ['openai-chat', 413, 'GW_ERR_BODY_TOO_LARGE'],
    ],
  );
});

test('embeddings are recorded with route and usage', async () => {
  records.length = 0;
  const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'team', maxRetries: 0 });
  const r = await client.embeddings.create({ model: 'openai/text-embedding-3-small', input: ['one two three'] });
  assert.ok(r.data[0]!.embedding.length > 0);
  assert.equal(records.length, 1);
  const rec = records[0]!;
  assert.equal(rec.dialect, 'openai-embeddings');
  assert.equal(rec.provider, 'openai');
  assert.equal(rec.upstreamModel, 'text-embedding-3-small');
  assert.equal(rec.status, 200);
  assert.ok((rec.usage?.inputTokens ?? 0) > 0);
});

test('every start is matched by an end', () => {
  assert.equal(starts, 4);
});
