import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../../core/errors.js';
import { parseGeminiRequest } from './parse-gemini-request.js';

const call = (body: unknown, stream = false) => ({ model: 'openai/gpt-4o-mini', stream, body });

describe('parseGeminiRequest', () => {
  it('maps contents, systemInstruction, generationConfig and tools', () => {
    const req = parseGeminiRequest(
      call({
        systemInstruction: { parts: [{ text: 'Be brief.' }] },
        contents: [{ role: 'user', parts: [{ text: 'Weather in Paris?' }, { inlineData: { mimeType: 'image/png', data: 'AAAA' } }] }],
        generationConfig: { temperature: 0.5, maxOutputTokens: 100, stopSequences: ['END'], responseMimeType: 'application/json', responseSchema: { type: 'OBJECT', properties: { city: { type: 'STRING', nullable: true } } }, thinkingConfig: { thinkingBudget: 1024 } },
        tools: [{ functionDeclarations: [{ name: 'get_weather', description: 'Weather', parameters: { type: 'OBJECT', properties: { city: { type: 'STRING' } }, required: ['city'] } }] }],
        toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] } },
      }),
    );
    assert.equal(req.model, 'openai/gpt-4o-mini');
    assert.equal(req.dialect, 'gemini');
    assert.deepEqual(req.system, [{ type: 'text', text: 'Be brief.' }]);
    assert.deepEqual(req.messages[0]!.content[1], { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'AAAA' } });
    assert.equal(req.temperature, 0.5);
    assert.equal(req.maxTokens, 100);
    assert.deepEqual(req.stop, ['END']);
    assert.deepEqual(req.responseFormat, { type: 'json-schema', schema: { type: 'object', properties: { city: { type: ['string', 'null'] } } } });
    assert.deepEqual(req.reasoning, { budgetTokens: 1024 });
    assert.deepEqual(req.tools, [{ name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }]);
    assert.deepEqual(req.toolChoice, { type: 'tool', name: 'get_weather' });
    assert.deepEqual(req.extras, {});
  });

  it('pairs a functionResponse with the earlier functionCall of its name and gives both one id', () => {
    const req = parseGeminiRequest(
      call({
        contents: [
          { role: 'user', parts: [{ text: 'Weather?' }] },
          { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'sig' }] },
          { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { output: '22C' } } }] },
        ],
      }),
    );
    assert.deepEqual(req.messages[1], {
      role: 'assistant',
      content: [{ type: 'tool-call', id: 'call_1_0', name: 'get_weather', arguments: '{"city":"Paris"}', providerMetadata: { gemini: { thoughtSignature: 'sig' } } }],
    });
    assert.deepEqual(req.messages[2], { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'call_1_0', content: '22C' }] });
  });

  it('refuses bad input naming the field', () => {
    const bad = (body: unknown, param: string) =>
      assert.throws(
        () => parseGeminiRequest(call(body)),
        (e: unknown) => e instanceof GatewayError && e.code === 'GW_ERR_INVALID_REQUEST' && e.param === param,
      );
    bad({}, 'contents');
    bad({ contents: [] }, 'contents');
    bad({ contents: [{ role: 'system', parts: [] }] }, 'contents[0].role');
    bad({ contents: [{ role: 'user', parts: [{ functionResponse: { name: 'x', response: {} } }] }] }, 'contents[0].parts[0].functionResponse');
    bad({ contents: [{ parts: [{ text: 'x' }] }], generationConfig: { temperature: 'hot' } }, 'generationConfig.temperature');
  });

  it('names what it cannot carry in extras', () => {
    const req = parseGeminiRequest(call({ contents: [{ parts: [{ text: 'x' }] }], safetySettings: [], tools: [{ googleSearch: {} }] }));
    assert.deepEqual(Object.keys(req.extras).sort(), ['safetySettings', 'tools:googleSearch']);
  });
});
