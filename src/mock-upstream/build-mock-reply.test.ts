import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  argumentsFromSchema,
  buildMockReply,
  countWords,
  instanceFromSchema,
  splitForStreaming,
  splitJsonForStreaming,
  type MockConversation,
} from './build-mock-reply.js';

const base: MockConversation = {
  systemText: undefined,
  countedTexts: ['hello world'],
  lastUserText: 'hello world',
  lastUserImages: 0,
  toolResultText: undefined,
  tools: [],
  toolChoice: undefined,
  maxTokens: undefined,
  priorToolCalls: 0,
};

test('text reply, system prefix, images and truncation', () => {
  assert.deepEqual(buildMockReply(base), {
    kind: 'text',
    text: 'mock reply to: hello world',
    truncated: false,
    inputTokens: 2,
    outputTokens: 5,
  });
  const sys = buildMockReply({ ...base, systemText: 'x'.repeat(50), lastUserImages: 3 });
  assert.ok(sys.kind === 'text');
  assert.equal(sys.text, `[system: ${'x'.repeat(40)}] mock reply to: hello world [images: 3]`);
  const cut = buildMockReply({ ...base, maxTokens: 2 });
  assert.ok(cut.kind === 'text');
  assert.deepEqual([cut.text, cut.truncated, cut.outputTokens], ['mock reply', true, 2]);
  const exact = buildMockReply({ ...base, maxTokens: 5 });
  assert.ok(exact.kind === 'text' && !exact.truncated);
});

test('input tokens are at least 1', () => {
  assert.equal(buildMockReply({ ...base, countedTexts: ['', '  '] }).inputTokens, 1);
});

test('tool choice rules', () => {
  const tools = [
    { name: 'a', schema: { type: 'object', properties: { s: { type: 'string' } } } },
    { name: 'b', schema: undefined },
  ];
  const first = buildMockReply({ ...base, tools, priorToolCalls: 2 });
  assert.deepEqual(first, { kind: 'tool-call', callNumber: 3, name: 'a', arguments: { s: 'mock' }, inputTokens: 2, outputTokens: 10 });
  const forced = buildMockReply({ ...base, tools, toolChoice: { name: 'b' } });
  assert.ok(forced.kind === 'tool-call' && forced.name === 'b');
  assert.deepEqual(forced.arguments, {});
  assert.equal(buildMockReply({ ...base, tools, toolChoice: 'none' }).kind, 'text');
  const afterResult = buildMockReply({ ...base, tools, toolResultText: '42' });
  assert.ok(afterResult.kind === 'text');
  assert.equal(afterResult.text, 'tool result was: 42');
});

test('arguments from a schema by property type', () => {
  assert.deepEqual(
    argumentsFromSchema({
      type: 'object',
      properties: {
        s: { type: 'string' },
        n: { type: 'number' },
        i: { type: 'integer' },
        b: { type: 'boolean' },
        a: { type: 'array' },
        o: { type: 'object' },
        nullable: { type: ['null', 'integer'] },
        untyped: { description: 'no type' },
      },
    }),
    { s: 'mock', n: 1, i: 1, b: true, a: [], o: {}, nullable: 1, untyped: 'mock' },
  );
  assert.deepEqual(argumentsFromSchema(undefined), {});
});

test('stream splitting keeps every character', () => {
  assert.deepEqual(splitForStreaming('mock reply  to:\nyou '), ['mock', ' reply', '  to:', '\nyou ']);
  assert.deepEqual(splitForStreaming(''), []);
  assert.deepEqual(splitForStreaming('   '), ['   ']);
  for (const json of ['{}', '{"a":1}', JSON.stringify({ city: 'mock', days: 1 })]) {
    const pieces = splitJsonForStreaming(json);
    assert.ok(pieces.length >= 2);
    assert.equal(pieces.join(''), json);
  }
  assert.equal(countWords('  a b\n\tc  '), 3);
});

test('choices, structured output, stop sequences and thinking', () => {
  const second = buildMockReply(base, 1);
  assert.ok(second.kind === 'text' && second.text === '[choice 1] mock reply to: hello world');
  const json = buildMockReply({ ...base, responseFormat: { kind: 'json' } });
  assert.ok(json.kind === 'text');
  assert.deepEqual(JSON.parse(json.text), { reply: 'mock reply to: hello world' });
  const stopped = buildMockReply({ ...base, stop: ['zzz', 'to:', 'reply'] });
  assert.ok(stopped.kind === 'text');
  assert.deepEqual([stopped.text, stopped.stopSequence, stopped.truncated], ['mock', 'reply', false]);
  const thought = buildMockReply({ ...base, thinking: true });
  assert.ok(thought.kind === 'text');
  assert.equal(thought.reasoning, 'thinking about: hello world');
  assert.equal(thought.outputTokens, 5 + 4);
});

test('instanceFromSchema: a minimal valid instance', () => {
  const schema = {
    type: 'object',
    properties: {
      s: { type: 'string', minLength: 6 },
      short: { type: 'string', maxLength: 2 },
      when: { type: 'string', format: 'date' },
      n: { type: 'integer', minimum: 5 },
      x: { type: 'number', exclusiveMaximum: 0 },
      e: { enum: ['a', 'b'] },
      c: { const: 42 },
      maybe: { anyOf: [{ type: 'null' }, { type: 'boolean' }] },
      list: { type: 'array', items: { $ref: '#/$defs/item' }, minItems: 2 },
      both: { allOf: [{ type: 'object', properties: { a: { type: 'string' } } }, { type: 'object', properties: { b: { type: 'integer' } } }] },
      nullable: { type: ['null', 'string'] },
    },
    $defs: { item: { type: 'object', properties: { id: { type: 'integer' } } } },
  };
  assert.deepEqual(instanceFromSchema(schema), {
    s: 'mockkk',
    short: 'mo',
    when: '2025-01-01',
    n: 5,
    x: -1,
    e: 'a',
    c: 42,
    maybe: true,
    list: [{ id: 1 }, { id: 1 }],
    both: { a: 'mock', b: 1 },
    nullable: 'mock',
  });
  assert.deepEqual(instanceFromSchema(undefined), {});
});

test('[mock-call: a, b] calls both tools in one turn; [mock-call-always: a] calls after a tool result; tool_choice none wins', () => {
  const tools = [
    { name: 'first', schema: {} },
    { name: 'a', schema: { properties: { q: { type: 'string' } } } },
    { name: 'b', schema: {} },
  ];
  const conv = (text: string, extra: Partial<MockConversation> = {}): MockConversation => ({
    systemText: undefined,
    countedTexts: [text],
    lastUserText: text,
    lastUserImages: 0,
    toolResultText: undefined,
    tools,
    toolChoice: undefined,
    maxTokens: undefined,
    priorToolCalls: 0,
    ...extra,
  });
  const two = buildMockReply(conv('go [mock-call: a, b]'));
  assert.equal(two.kind, 'tool-call');
  assert.ok(two.kind === 'tool-call');
  assert.equal(two.name, 'a');
  assert.deepEqual(two.arguments, { q: 'mock' });
  assert.deepEqual(two.more, [{ callNumber: 2, name: 'b', arguments: {} }]);
  assert.equal(buildMockReply(conv('go [mock-call: a]', { toolResultText: 'r' })).kind, 'text');
  const again = buildMockReply(conv('go [mock-call-always: b]', { toolResultText: 'r', priorToolCalls: 3 }));
  assert.ok(again.kind === 'tool-call' && again.name === 'b' && again.callNumber === 4);
  assert.equal(buildMockReply(conv('go [mock-call-always: b]', { toolResultText: 'r', toolChoice: 'none' })).kind, 'text');
});
