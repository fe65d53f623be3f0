/**
 * Azure OpenAI. The recordings in shared/fixtures/azure are Responses API traffic except
 * azure-deepseek-reasoning.1 (Chat Completions); only that one is in scope here. Skipped, being
 * Responses API: azure-code-interpreter-tool.1, azure-image-generation-tool.1,
 * azure-reasoning-encrypted-content.1, azure-text.1, azure-tool-call.1,
 * azure-web-search-preview-tool.1, openai-file-search-tool.1, openai-file-search-tool.2.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  callContext,
  chunkLines,
  clientRequest,
  clientStreamText,
  collectEvents,
  DIALECTS,
  encodeForClient,
  fixturesSkip,
  formatForClient,
  readFixture,
  splitBytes,
  useReplayServer,
} from '../../../test/helpers/provider-replay.js';
import { openAIChatDialect } from '../../dialects/openai-chat/index.js';
import type { ProviderAdapter } from '../provider-adapter.js';
import { AZURE_DEFAULT_API_VERSION, createAzureProvider } from './azure-provider.js';

const replay = useReplayServer();

function provider(opts: { apiVersion?: string; deployments?: Record<string, string> } = {}): ProviderAdapter {
  const p = createAzureProvider({
    name: 'azure',
    baseUrl: `${replay.server.url}/`,
    ...(opts.apiVersion ? { apiVersion: opts.apiVersion } : {}),
    deployments: opts.deployments ?? { 'deepseek-v4-pro': 'my-deepseek' },
    connectTimeoutMs: 1000,
    maxConnections: 4,
  });
  replay.track(p);
  return p;
}

describe('Azure OpenAI: recorded Chat Completions traffic through both client dialects', { skip: fixturesSkip('azure') }, () => {
  it('azure-deepseek-reasoning.1.chunks.txt', async () => {
    const lines = chunkLines(readFixture('azure', 'azure-deepseek-reasoning.1.chunks.txt'));
    let text = '';
    let reasoning = '';
    for (const l of lines) {
      const d = JSON.parse(l).choices?.[0]?.delta ?? {};
      if (typeof d.content === 'string') text += d.content;
      if (typeof d.reasoning_content === 'string') reasoning += d.reasoning_content;
    }
    for (const { dialect } of DIALECTS) {
      replay.server.reply({ status: 200, body: splitBytes(Buffer.from(lines.map((l) => `data: ${l}\n\n`).join('') + 'data: [DONE]\n\n'), { seed: 2, max: 4000 }) });
      const req = clientRequest(dialect, { stream: true });
      const { events, error } = await collectEvents(await provider().send(req, callContext('deepseek-v4-pro', 'azure-key')));
      assert.equal(error, undefined);
      assert.equal(events.filter((e) => e.type === 'text-delta').map((e) => (e.type === 'text-delta' ? e.text : '')).join(''), text);
      assert.equal(events.filter((e) => e.type === 'reasoning-delta').map((e) => (e.type === 'reasoning-delta' ? e.text : '')).join(''), reasoning);
      const finish = events.find((e) => e.type === 'finish');
      assert.ok(finish && finish.type === 'finish' && finish.finishReason === 'stop');
      assert.equal(clientStreamText(dialect, encodeForClient(dialect, req, events)), text);
      const sent = replay.server.seen.at(-1)!;
      assert.equal(sent.url, `/openai/deployments/my-deepseek/chat/completions?api-version=${AZURE_DEFAULT_API_VERSION}`);
      assert.equal(sent.headers['api-key'], 'azure-key');
      assert.equal(sent.headers.authorization, undefined);
    }
  });

  it('azure-deepseek-reasoning.1.json', async () => {
    const text = readFixture('azure', 'azure-deepseek-reasoning.1.json');
    const body = JSON.parse(text);
    for (const { dialect } of DIALECTS) {
      replay.server.reply({ status: 200, body: text });
      const req = clientRequest(dialect);
      const result = await provider().send(req, callContext('other-model', 'azure-key'));
      assert.ok(result.kind === 'response');
      const client = formatForClient(dialect, req, result.response);
      if (dialect.id === 'openai-chat') assert.equal(client.choices[0].message.content, body.choices[0].message.content);
      else {
        assert.equal(client.content.find((b: any) => b.type === 'text').text, body.choices[0].message.content);
        assert.equal(client.content.find((b: any) => b.type === 'thinking').thinking, body.choices[0].message.reasoning_content);
      }
      assert.equal(replay.server.seen.at(-1)!.url, `/openai/deployments/other-model/chat/completions?api-version=${AZURE_DEFAULT_API_VERSION}`);
    }
  });
});

describe('Azure OpenAI paths', () => {
  const ok = JSON.stringify({ id: 'x', object: 'chat.completion', created: 1, model: 'gpt-4o', choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 1 } });

  it('api_version v1 uses /openai/v1 with the deployment as model', async () => {
    replay.server.reply({ status: 200, body: ok });
    await provider({ apiVersion: 'v1', deployments: { 'gpt-4o': 'prod-4o' } }).send(clientRequest(openAIChatDialect), callContext('gpt-4o', 'k'));
    assert.equal(replay.server.seen[0]!.url, '/openai/v1/chat/completions');
    assert.equal(replay.server.seen[0]!.json.model, 'prod-4o');
  });

  it('embeddings go to the deployment embeddings path with api-version', async () => {
    replay.server.reply({ status: 200, body: JSON.stringify({ data: [{ index: 0, embedding: [0.5] }], model: 'text-embedding-3-small', usage: { prompt_tokens: 2, total_tokens: 2 } }) });
    const res = await provider({ deployments: { 'text-embedding-3-small': 'emb' } }).embed!(
      { model: 'x', input: { kind: 'text', texts: ['hello'] }, encodingFormat: 'float', dimensions: 64, raw: {} },
      callContext('text-embedding-3-small', 'k'),
    );
    assert.deepEqual(res.embeddings, [[0.5]]);
    assert.equal(replay.server.seen[0]!.url, `/openai/deployments/emb/embeddings?api-version=${AZURE_DEFAULT_API_VERSION}`);
    assert.equal(replay.server.seen[0]!.json.dimensions, 64);
    assert.equal(replay.server.seen[0]!.headers['api-key'], 'k');
  });

  it('base_url is required', () => {
    assert.throws(() => createAzureProvider({ name: 'az', connectTimeoutMs: 1, maxConnections: 1 }), /providers\.az\.base_url: required/);
  });
});
