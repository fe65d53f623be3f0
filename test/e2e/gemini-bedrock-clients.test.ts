/**
 * The Gemini and Bedrock Converse client dialects, token counting and HTTP/2, end to end: the
 * official SDKs (`@google/genai`, `@aws-sdk/client-bedrock-runtime` with its default HTTP/2
 * handler, `@anthropic-ai/sdk`, `openai` over undici with HTTP/2) against the real server in front
 * of the mock upstream, with OpenAI, Anthropic, Bedrock and Gemini upstreams.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:http2';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import {
  BedrockRuntimeClient,
  BedrockRuntimeServiceException,
  ConverseCommand,
  ConverseStreamCommand,
  ResourceNotFoundException,
  ValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import type { ContentBlock, Message as ConverseMessage, Tool } from '@aws-sdk/client-bedrock-runtime';
import { ApiError, GoogleGenAI } from '@google/genai';
import type { Content, FunctionCall } from '@google/genai';
import OpenAI from 'openai';
import { Agent, fetch as undiciFetch } from 'undici';
import { allProvidersConfig, BEDROCK_MODEL, startStack } from '../helpers/stack.js';
import type { Stack } from '../helpers/stack.js';
import { weatherTool } from '../helpers/tool-round-trips.js';

const GATEWAY_KEY = 'gw-client-key';
/** Upstreams by model: an OpenAI one and an Anthropic one, addressed as provider/model. */
const UPSTREAMS = [
  { name: 'OpenAI upstream', model: 'openai/gpt-4o-mini' },
  { name: 'Anthropic upstream', model: 'anthropic/claude-sonnet-4-6' },
];

let stack: Stack;

before(async () => {
  stack = await startStack({
    config: (mockUrl) => {
      const base = allProvidersConfig(mockUrl) as { server: Record<string, unknown>; models: Record<string, unknown> };
      return {
        ...base,
        server: { ...base.server, api_keys: [GATEWAY_KEY] },
        models: { ...base.models, 'gemini-chain': { targets: ['gemini/gemini-2.5-flash', 'openai/gpt-4o-mini'] } },
      };
    },
  });
});
after(async () => {
  await stack?.close();
});

function genai(apiKey = GATEWAY_KEY): GoogleGenAI {
  return new GoogleGenAI({ apiKey, httpOptions: { baseUrl: `${stack.url}/genai` } });
}

function bedrock(token = GATEWAY_KEY): BedrockRuntimeClient {
  // The SDK's Bedrock API-key mode: a bearer token instead of SigV4. Its default request handler
  // speaks HTTP/2.
  return new BedrockRuntimeClient({
    region: 'us-east-1',
    endpoint: `${stack.url}/bedrock`,
    token: { token },
    authSchemePreference: ['httpBearerAuth'],
    maxAttempts: 1,
  });
}

const geminiTools = [{ functionDeclarations: [{ name: weatherTool.name, description: weatherTool.description, parametersJsonSchema: weatherTool.parameters }] }];

describe('@google/genai against the gateway', () => {
  for (const u of UPSTREAMS) {
    for (const streaming of [false, true]) {
      test(`${u.name}: ${streaming ? 'generateContentStream' : 'generateContent'} with a function call round trip`, async () => {
        const ai = genai();
        const first: Content[] = [{ role: 'user', parts: [{ text: 'Weather in Paris?' }] }];
        let calls: FunctionCall[] = [];
        let modelTurn: Content;
        if (streaming) {
          const parts: NonNullable<Content['parts']> = [];
          for await (const chunk of await ai.models.generateContentStream({ model: u.model, contents: first, config: { tools: geminiTools } })) {
            parts.push(...(chunk.candidates?.[0]?.content?.parts ?? []));
            calls.push(...(chunk.functionCalls ?? []));
          }
          modelTurn = { role: 'model', parts };
        } else {
          const r = await ai.models.generateContent({ model: u.model, contents: first, config: { tools: geminiTools } });
          calls = r.functionCalls ?? [];
          modelTurn = r.candidates![0]!.content!;
          assert.ok((r.usageMetadata?.promptTokenCount ?? 0) > 0);
        }
        assert.equal(calls.length, 1);
        assert.equal(calls[0]!.name, 'get_weather');
        assert.deepEqual(calls[0]!.args, { city: 'mock' });
        const second = await ai.models.generateContent({
          model: u.model,
          config: { tools: geminiTools },
          contents: [...first, modelTurn, { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { output: '22C and sunny' } } }] }],
        });
        assert.equal(second.text, 'tool result was: 22C and sunny');
      });
    }

    test(`${u.name}: systemInstruction and JSON output settings reach the model`, async () => {
      const r = await genai().models.generateContent({
        model: u.model,
        contents: 'Hello',
        config: { systemInstruction: 'Be brief.', temperature: 0.2, maxOutputTokens: 64, thinkingConfig: { thinkingBudget: 0 } },
      });
      assert.equal(typeof r.text, 'string');
      assert.equal(r.candidates?.[0]?.finishReason, 'STOP');
    });
  }

  test('countTokens: forwarded to an upstream that can count (Anthropic, Gemini), estimated for OpenAI', async () => {
    const ai = genai();
    const contents = 'one two three four five';
    const anthropic = await ai.models.countTokens({ model: 'anthropic/claude-sonnet-4-6', contents });
    assert.equal(anthropic.totalTokens, 5);
    assert.equal(anthropic.sdkHttpResponse?.headers?.['x-switchyard-token-estimate'], undefined);
    const gemini = await ai.models.countTokens({ model: 'gemini/gemini-2.5-flash', contents });
    assert.equal(gemini.totalTokens, 5);
    const openai = await ai.models.countTokens({ model: 'openai/gpt-4o-mini', contents });
    assert.ok(openai.totalTokens! > 0);
    assert.match(openai.sdkHttpResponse?.headers?.['x-switchyard-token-estimate'] ?? '', /^o200k_base/);
  });

  test('embedContent: one vector per text, through an OpenAI upstream and past an Anthropic one', async () => {
    const ai = genai();
    for (const model of ['openai/text-embedding-3-small', 'embed-chain']) {
      const r = await ai.models.embedContent({ model, contents: ['hello', 'world'] });
      assert.equal(r.embeddings?.length, 2);
      assert.ok((r.embeddings![0]!.values?.length ?? 0) > 0);
    }
  });

  test('errors arrive as Google errors: the SDK raises ApiError with the status', async () => {
    await assert.rejects(genai().models.generateContent({ model: 'no-such-model', contents: 'x' }), (e: unknown) => e instanceof ApiError && e.status === 404);
    await assert.rejects(genai('wrong-key').models.generateContent({ model: 'openai/gpt-4o-mini', contents: 'x' }), (e: unknown) => e instanceof ApiError && e.status === 401);
    await assert.rejects(
      genai().models.generateContent({ model: 'openai/gpt-4o-mini', contents: 'x', config: { temperature: 7 } }),
      (e: unknown) => e instanceof ApiError && e.status === 400 && /generationConfig\.temperature/.test(e.message),
    );
  });
});

const converseTools: Tool[] = [{ toolSpec: { name: weatherTool.name, description: weatherTool.description, inputSchema: { json: weatherTool.parameters as never } } }];

async function converseStream(client: BedrockRuntimeClient, modelId: string, messages: ConverseMessage[], withTools = true) {
  const res = await client.send(new ConverseStreamCommand({ modelId, messages, ...(withTools ? { toolConfig: { tools: converseTools } } : {}) }));
  const content: ContentBlock[] = [];
  let text = '';
  let toolUse: { toolUseId: string; name: string; input: string } | undefined;
  let stopReason: string | undefined;
  let usage: { inputTokens?: number; outputTokens?: number } | undefined;
  for await (const ev of res.stream!) {
    if (ev.contentBlockStart?.start?.toolUse) toolUse = { toolUseId: ev.contentBlockStart.start.toolUse.toolUseId!, name: ev.contentBlockStart.start.toolUse.name!, input: '' };
    if (ev.contentBlockDelta?.delta?.text) text += ev.contentBlockDelta.delta.text;
    if (ev.contentBlockDelta?.delta?.toolUse?.input && toolUse) toolUse.input += ev.contentBlockDelta.delta.toolUse.input;
    if (ev.messageStop) stopReason = ev.messageStop.stopReason;
    if (ev.metadata) usage = ev.metadata.usage;
  }
  if (text) content.push({ text });
  if (toolUse) content.push({ toolUse: { toolUseId: toolUse.toolUseId, name: toolUse.name, input: JSON.parse(toolUse.input) } });
  return { content, stopReason, usage, text, toolUse };
}

describe('@aws-sdk/client-bedrock-runtime (HTTP/2) against the gateway', () => {
  for (const u of UPSTREAMS) {
    test(`${u.name}: Converse with a tool round trip`, async () => {
      const client = bedrock();
      try {
        const messages: ConverseMessage[] = [{ role: 'user', content: [{ text: 'Weather in Paris?' }] }];
        const first = await client.send(new ConverseCommand({ modelId: u.model, messages, toolConfig: { tools: converseTools } }));
        assert.equal(first.stopReason, 'tool_use');
        const use = first.output!.message!.content!.find((b) => b.toolUse)!.toolUse!;
        assert.equal(use.name, 'get_weather');
        assert.deepEqual(use.input, { city: 'mock' });
        assert.ok((first.usage?.inputTokens ?? 0) > 0);
        const second = await client.send(
          new ConverseCommand({
            modelId: u.model,
            toolConfig: { tools: converseTools },
            messages: [...messages, first.output!.message!, { role: 'user', content: [{ toolResult: { toolUseId: use.toolUseId!, content: [{ text: '22C and sunny' }] } }] }],
          }),
        );
        assert.equal(second.output!.message!.content![0]!.text, 'tool result was: 22C and sunny');
        assert.equal(second.stopReason, 'end_turn');
      } finally {
        client.destroy();
      }
    });

    test(`${u.name}: ConverseStream with a tool round trip (binary event stream)`, async () => {
      const client = bedrock();
      try {
        const messages: ConverseMessage[] = [{ role: 'user', content: [{ text: 'Weather in Paris?' }] }];
        const first = await converseStream(client, u.model, messages);
        assert.equal(first.stopReason, 'tool_use');
        assert.equal(first.toolUse?.name, 'get_weather');
        assert.deepEqual(JSON.parse(first.toolUse!.input), { city: 'mock' });
        assert.ok((first.usage?.inputTokens ?? 0) > 0);
        const second = await converseStream(client, u.model, [
          ...messages,
          { role: 'assistant', content: first.content },
          { role: 'user', content: [{ toolResult: { toolUseId: first.toolUse!.toolUseId, content: [{ text: '22C and sunny' }] } }] },
        ]);
        assert.equal(second.text, 'tool result was: 22C and sunny');
        assert.equal(second.stopReason, 'end_turn');
      } finally {
        client.destroy();
      }
    });
  }

  test('a failing primary falls back (Converse and ConverseStream); the model id is an alias', async () => {
    const client = bedrock();
    try {
      stack.mock.reset();
      stack.mock.setFaults([{ path: '/v1/messages', fault: { kind: 'status', status: 503 } }]);
      const res = await client.send(new ConverseCommand({ modelId: 'review-model', messages: [{ role: 'user', content: [{ text: 'Hi' }] }] }));
      assert.match(res.output!.message!.content![0]!.text!, /mock reply to: Hi/);
      assert.equal(res.$metadata.httpStatusCode, 200);
      const paths = stack.mock.requests.map((r) => r.path);
      assert.ok(paths.includes('/v1/messages') && paths.at(-1) === '/v1/chat/completions', `tried the primary, answered by the fallback: ${paths.join(', ')}`);
      const streamed = await converseStream(client, 'review-model', [{ role: 'user', content: [{ text: 'Hi' }] }], false);
      assert.match(streamed.text, /mock reply to: Hi/);
    } finally {
      stack.mock.setFaults([]);
      client.destroy();
    }
  });

  test('errors arrive as Bedrock errors: the SDK raises its typed exceptions', async () => {
    const client = bedrock();
    try {
      await assert.rejects(client.send(new ConverseCommand({ modelId: 'no-such-model', messages: [{ role: 'user', content: [{ text: 'x' }] }] })), ResourceNotFoundException);
      await assert.rejects(client.send(new ConverseCommand({ modelId: 'openai/gpt-4o-mini', messages: [] })), ValidationException);
      await assert.rejects(
        bedrock('wrong-key').send(new ConverseCommand({ modelId: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: [{ text: 'x' }] }] })),
        (e: unknown) => e instanceof BedrockRuntimeServiceException && e.$metadata.httpStatusCode === 401,
      );
    } finally {
      client.destroy();
    }
  });
});

describe('token counting with the Anthropic SDK', () => {
  const anthropic = () => new Anthropic({ baseURL: `${stack.url}/anthropic`, apiKey: GATEWAY_KEY });
  const params = { messages: [{ role: 'user' as const, content: 'one two three four five' }], system: 'six seven' };

  test('an Anthropic upstream counts with its own count_tokens', async () => {
    const { data, response } = await anthropic().messages.countTokens({ model: 'anthropic/claude-sonnet-4-6', ...params }).withResponse();
    assert.equal(data.input_tokens, 7);
    assert.equal(response.headers.get('x-switchyard-token-estimate'), null);
    assert.equal(response.headers.get('x-switchyard-provider'), 'anthropic');
  });

  test('a Bedrock upstream counts with CountTokens', async () => {
    const { data, response } = await anthropic().messages.countTokens({ model: `bedrock/${BEDROCK_MODEL}`, ...params }).withResponse();
    assert.equal(data.input_tokens, 7);
    assert.equal(response.headers.get('x-switchyard-token-estimate'), null);
    const r = stack.mock.requests.findLast((q) => q.path.endsWith('/count-tokens'));
    assert.ok(r, 'the mock saw a CountTokens call');
  });

  test('an OpenAI upstream has no counting API: estimated, and marked', async () => {
    const { data, response } = await anthropic().messages.countTokens({ model: 'openai/gpt-4o-mini', ...params, tools: [{ name: 'f', input_schema: { type: 'object' } }] }).withResponse();
    assert.ok(data.input_tokens > 7);
    assert.match(response.headers.get('x-switchyard-token-estimate') ?? '', /^o200k_base; reason=".*no token counting API"$/);
  });

  test('an unknown model is an Anthropic not_found error', async () => {
    await assert.rejects(anthropic().messages.countTokens({ model: 'nope', ...params }), Anthropic.NotFoundError);
  });
});

describe('HTTP/2 on the same port', () => {
  test('the openai SDK over undici with HTTP/2 (prior knowledge), stream and non-stream', async () => {
    const agent = new Agent({ allowH2: true, useH2c: true } as ConstructorParameters<typeof Agent>[0]);
    try {
      const client = new OpenAI({
        baseURL: `${stack.url}/v1`,
        apiKey: GATEWAY_KEY,
        fetch: ((url: string, init: RequestInit) => undiciFetch(url, { ...(init as object), dispatcher: agent })) as unknown as typeof fetch,
      });
      const r = await client.chat.completions.create({ model: 'review-model', messages: [{ role: 'user', content: 'Hi' }] });
      assert.match(r.choices[0]!.message.content!, /mock reply to: Hi/);
      let text = '';
      for await (const c of await client.chat.completions.create({ model: 'review-model', stream: true, messages: [{ role: 'user', content: 'Hi' }] })) text += c.choices[0]?.delta?.content ?? '';
      assert.match(text, /mock reply to: Hi/);
    } finally {
      await agent.close();
    }
  });

  test('node:http2 sees an HTTP/2 answer, and HTTP/1.1 still works beside it', async () => {
    const session = connect(stack.url);
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const req = session.request({ ':path': '/healthz' });
        req.on('response', (h) => resolve(Number(h[':status'])));
        req.on('error', reject);
        req.resume();
      });
      assert.equal(status, 200);
    } finally {
      session.close();
    }
    const res = await fetch(`${stack.url}/healthz`);
    assert.equal(res.status, 200);
  });
});
