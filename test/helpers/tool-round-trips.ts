/**
 * The tool-call round trip every upstream is driven through by the official SDKs: the model asks
 * for get_weather, the client answers with a tool result, the model replies with it. One copy for
 * the SDK matrix and the Bedrock/Gemini suite.
 */
import assert from 'node:assert/strict';
import type Anthropic from '@anthropic-ai/sdk';
import type OpenAI from 'openai';

export const weatherTool = {
  name: 'get_weather',
  description: 'Weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

/** Through the OpenAI SDK (stream: the SDK's stream helper). */
export async function openAIToolRoundTrip(openai: OpenAI, model: string, streaming: boolean): Promise<void> {
  const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather in Paris?' }];
  const tools: OpenAI.ChatCompletionTool[] = [{ type: 'function', function: weatherTool }];
  const first = streaming ? await openai.chat.completions.stream({ model, messages, tools }).finalChatCompletion() : await openai.chat.completions.create({ model, messages, tools });
  assert.equal(first.choices[0]!.finish_reason, 'tool_calls');
  const tc = first.choices[0]!.message.tool_calls![0]! as OpenAI.ChatCompletionMessageFunctionToolCall;
  const call = { id: tc.id, name: tc.function.name, args: tc.function.arguments };
  assert.equal(call.name, 'get_weather');
  assert.deepEqual(JSON.parse(call.args), { city: 'mock' });
  const second = await openai.chat.completions.create({
    model,
    tools,
    messages: [
      ...messages,
      { role: 'assistant', content: null, tool_calls: [{ id: call.id, type: 'function', function: { name: call.name, arguments: call.args } }] },
      { role: 'tool', tool_call_id: call.id, content: '22C and sunny' },
    ],
  });
  assert.equal(second.choices[0]!.message.content, 'tool result was: 22C and sunny');
}

/** Through the Anthropic SDK (stream: the SDK's finalMessage helper). */
export async function anthropicToolRoundTrip(anthropic: Anthropic, model: string, streaming: boolean): Promise<void> {
  const tools: Anthropic.Tool[] = [{ name: weatherTool.name, description: weatherTool.description, input_schema: weatherTool.parameters as Anthropic.Tool.InputSchema }];
  const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'Weather in Paris?' }];
  const first = streaming
    ? await anthropic.messages.stream({ model, max_tokens: 200, tools, messages }).finalMessage()
    : await anthropic.messages.create({ model, max_tokens: 200, tools, messages });
  assert.equal(first.stop_reason, 'tool_use');
  const use = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use');
  assert.ok(use);
  assert.equal(use.name, 'get_weather');
  assert.deepEqual(use.input, { city: 'mock' });
  const second = await anthropic.messages.create({
    model,
    max_tokens: 200,
    tools,
    messages: [
      ...messages,
      { role: 'assistant', content: first.content as Anthropic.ContentBlockParam[] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: '22C and sunny' }] },
    ],
  });
  assert.equal((second.content[0] as Anthropic.TextBlock).text, 'tool result was: 22C and sunny');
}
