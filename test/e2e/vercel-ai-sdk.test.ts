/**
 * The Vercel AI SDK (`ai` with @ai-sdk/openai and @ai-sdk/anthropic) through the gateway, only the
 * base URL changed: text, streams, usage and multi-step tool calls, against both upstream types.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, stepCountIs, streamText, tool } from 'ai';
import type { LanguageModel } from 'ai';
import { z } from 'zod';
import { startStack } from '../helpers/stack.js';
import type { Stack } from '../helpers/stack.js';

let stack: Stack;
before(async () => {
  stack = await startStack();
});
after(() => stack.close());

const clients: Array<{ name: string; model: (id: string) => LanguageModel }> = [
  { name: '@ai-sdk/openai (chat)', model: (id) => createOpenAI({ baseURL: `${stack.url}/v1`, apiKey: 'client-key' }).chat(id) },
  { name: '@ai-sdk/anthropic', model: (id) => createAnthropic({ baseURL: `${stack.url}/anthropic/v1`, apiKey: 'client-key' })(id) },
];
const upstreams = ['openai/gpt-4o-mini', 'anthropic/claude-sonnet-4-6'];

for (const c of clients) {
  for (const upstream of upstreams) {
    describe(`${c.name} → ${upstream}`, () => {
      test('generateText with a system prompt and usage', async () => {
        const r = await generateText({ model: c.model(upstream), system: 'Be brief.', prompt: 'Hello AI SDK', maxRetries: 0 });
        assert.equal(r.text, '[system: Be brief.] mock reply to: Hello AI SDK');
        assert.equal(r.finishReason, 'stop');
        assert.ok((r.usage.inputTokens ?? 0) > 0);
        assert.ok((r.usage.outputTokens ?? 0) > 0);
      });

      test('streamText', async () => {
        const r = streamText({ model: c.model(upstream), prompt: 'Stream this please', maxRetries: 0 });
        let text = '';
        for await (const t of r.textStream) text += t;
        assert.equal(text, 'mock reply to: Stream this please');
        assert.equal(await r.finishReason, 'stop');
        assert.ok(((await r.usage).outputTokens ?? 0) > 0);
      });

      for (const streaming of [false, true]) {
        test(`multi-step tool call (${streaming ? 'stream' : 'generate'})`, async () => {
          const calls: string[] = [];
          const tools = {
            get_weather: tool({
              description: 'Weather for a city',
              inputSchema: z.object({ city: z.string() }),
              execute: async ({ city }) => {
                calls.push(city);
                return `sunny in ${city}`;
              },
            }),
          };
          const opts = { model: c.model(upstream), prompt: 'Weather in Paris?', tools, stopWhen: stepCountIs(3), maxRetries: 0 };
          let text: string;
          if (streaming) {
            const r = streamText(opts);
            text = '';
            for await (const t of r.textStream) text += t;
          } else {
            text = (await generateText(opts)).text;
          }
          assert.deepEqual(calls, ['mock']);
          // The SDK sends the tool's output back as JSON text; the mock echoes the tool result.
          assert.match(text, /^tool result was: "?sunny in mock"?$/);
        });
      }
    });
  }
}
