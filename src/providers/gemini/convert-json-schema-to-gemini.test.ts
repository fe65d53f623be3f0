import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { convertJsonSchemaToGemini, convertToolParametersToGemini } from './convert-json-schema-to-gemini.js';

describe('convertJsonSchemaToGemini', () => {
  test('drops what Gemini rejects, keeps what it understands', () => {
    assert.deepEqual(
      convertJsonSchemaToGemini({
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        additionalProperties: false,
        properties: {
          name: { type: 'string', description: 'Name', default: 'x', minLength: 1 },
          tags: { type: 'array', items: { type: 'string', enum: ['a', 'b'] }, maxItems: 3 },
          kind: { const: 'fixed' },
          when: { type: 'string', format: 'date-time' },
          email: { type: 'string', format: 'email' },
        },
        required: ['name'],
      }),
      {
        type: 'object',
        required: ['name'],
        properties: {
          name: { type: 'string', description: 'Name', minLength: 1 },
          tags: { type: 'array', maxItems: 3, items: { type: 'string', enum: ['a', 'b'] } },
          kind: { enum: ['fixed'] },
          when: { type: 'string', format: 'date-time' },
          email: { type: 'string' },
        },
      },
    );
  });

  test('nullable types and unions', () => {
    assert.deepEqual(convertJsonSchemaToGemini({ type: ['string', 'null'] }), { nullable: true, type: 'string' });
    assert.deepEqual(convertJsonSchemaToGemini({ anyOf: [{ type: 'number' }, { type: 'null' }] }), { nullable: true, type: 'number' });
    assert.deepEqual(convertJsonSchemaToGemini({ oneOf: [{ type: 'number' }, { type: 'string' }] }), { anyOf: [{ type: 'number' }, { type: 'string' }] });
    assert.deepEqual(convertJsonSchemaToGemini({ enum: [1, 2] }), { enum: ['1', '2'] });
  });

  test('tool parameters: none for an empty object schema', () => {
    assert.equal(convertToolParametersToGemini({ type: 'object', properties: {} }), undefined);
    assert.equal(convertToolParametersToGemini({}), undefined);
    assert.deepEqual(convertToolParametersToGemini({ properties: { a: { type: 'integer' } } }), { type: 'object', properties: { a: { type: 'integer' } } });
  });
});
