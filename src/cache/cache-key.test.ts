import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CoreRequest } from '../core/request.js';
import { canonicalJson, contextKey, exactKey, lastUserText } from './cache-key.js';

function req(over: Partial<CoreRequest> = {}): CoreRequest {
  return {
    model: 'faq',
    system: [],
    messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello there' }] }],
    stream: false,
    raw: {},
    dialect: 'openai-chat',
    extras: {},
    ...over,
  };
}
const route = ['openai/gpt-4o-mini'];
const key = (r: CoreRequest, ns = 'global', rt = route) => exactKey({ request: r, route: rt, namespace: ns });

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops undefined members', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: undefined, w: null }], c: 'x' } }), '{"a":{"c":"x","d":[1,{"w":null,"y":2}]},"b":1}');
  });
});

describe('exactKey', () => {
  it('is the same whether a message takes the quick path (role and plain text parts) or the general one', () => {
    const plain = req({ messages: [{ role: 'user', name: 'ann', content: [{ type: 'text', text: 'He said "hi" \u2028 é' }, { type: 'text', text: 'two', cacheControl: { type: 'ephemeral' } }] }] });
    // An own member that is undefined sends the same message down the general path.
    const general = req({ messages: [{ role: 'user', name: 'ann', content: [{ type: 'text', text: 'He said "hi" \u2028 é' }, { type: 'text', text: 'two', providerMetadata: undefined }] } as never] });
    assert.equal(key(plain), key(general));
    assert.notEqual(key(plain), key(req({ messages: [{ role: 'user', content: plain.messages[0]!.content }] })));
  });

  it('ignores stream, stream options, user, metadata, raw body, dialect and cache hints', () => {
    const a = key(req());
    const b = key(
      req({
        stream: true,
        streamUsage: true,
        user: 'u1',
        metadata: { x: 1 },
        raw: { anything: true },
        dialect: 'anthropic-messages',
        extras: { user: 'u', metadata: {}, stream_options: {} },
        messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello there', cacheControl: { type: 'ephemeral' } }] }],
      }),
    );
    assert.equal(a, b);
  });

  it('changes with every answer-changing field, the route and the namespace', () => {
    const base = key(req());
    const changed: Array<Partial<CoreRequest>> = [
      { model: 'other' },
      { system: [{ type: 'text', text: 'Be brief' }] },
      { messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello there!' }] }] },
      { tools: [{ name: 'f', parameters: {} }] },
      { toolChoice: { type: 'required' } },
      { parallelToolCalls: false },
      { responseFormat: { type: 'json' } },
      { maxTokens: 5 },
      { temperature: 0.2 },
      { topP: 0.9 },
      { topK: 5 },
      { stop: ['x'] },
      { seed: 1 },
      { presencePenalty: 1 },
      { frequencyPenalty: 1 },
      { reasoning: { effort: 'high' } },
      { extras: { logprobs: true } },
    ];
    for (const c of changed) assert.notEqual(key(req(c)), base, JSON.stringify(c));
    assert.notEqual(key(req(), 'key:a'), base);
    assert.notEqual(key(req(), 'global', ['anthropic/claude']), base);
  });
});

describe('contextKey and lastUserText', () => {
  it('the context leaves out the last user message only', () => {
    const a = contextKey({ request: req(), route, namespace: 'global' });
    const b = contextKey({ request: req({ messages: [{ role: 'user', content: [{ type: 'text', text: 'Something else entirely' }] }] }), route, namespace: 'global' });
    assert.equal(a, b);
    assert.notEqual(contextKey({ request: req({ system: [{ type: 'text', text: 'x' }] }), route, namespace: 'global' }), a);
    assert.notEqual(contextKey({ request: req({ tools: [{ name: 'f', parameters: {} }] }), route, namespace: 'global' }), a);
  });

  it('takes the text of a last user message of text parts only', () => {
    assert.equal(lastUserText(req()), 'Hello there');
    assert.equal(lastUserText(req({ messages: [{ role: 'user', content: [{ type: 'image', source: { kind: 'url', url: 'http://x' } }] }] })), undefined);
    assert.equal(lastUserText(req({ messages: [{ role: 'assistant', content: [{ type: 'text', text: 'hi' }] }] })), undefined);
    assert.equal(lastUserText(req({ messages: [{ role: 'tool', content: [{ type: 'tool-result', toolCallId: 'c', content: 'r' }] }] })), undefined);
  });
});
