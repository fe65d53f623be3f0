import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatewayError } from '../../core/errors.js';
import { encodeEmbeddingBase64, formatOpenAIEmbeddingsResponse } from './format-openai-embeddings-response.js';
import { parseOpenAIEmbeddingsRequest } from './parse-openai-embeddings-request.js';

const bad = (body: unknown, param: string, message: RegExp) =>
  assert.throws(
    () => parseOpenAIEmbeddingsRequest(body),
    (e: unknown) => e instanceof GatewayError && e.code === 'GW_ERR_INVALID_REQUEST' && e.param === param && message.test(e.message),
  );

describe('parseOpenAIEmbeddingsRequest', () => {
  test('input as a string, strings, token ids, token-id arrays', () => {
    assert.deepEqual(parseOpenAIEmbeddingsRequest({ model: 'm', input: 'a' }).input, { kind: 'text', texts: ['a'] });
    assert.deepEqual(parseOpenAIEmbeddingsRequest({ model: 'm', input: ['a', 'b'] }).input, { kind: 'text', texts: ['a', 'b'] });
    assert.deepEqual(parseOpenAIEmbeddingsRequest({ model: 'm', input: [1, 2] }).input, { kind: 'tokens', tokens: [[1, 2]] });
    assert.deepEqual(parseOpenAIEmbeddingsRequest({ model: 'm', input: [[1], [2, 3]] }).input, { kind: 'tokens', tokens: [[1], [2, 3]] });
  });

  test('encoding_format, dimensions and user', () => {
    const r = parseOpenAIEmbeddingsRequest({ model: 'm', input: 'a', encoding_format: 'base64', dimensions: 256, user: 'u' });
    assert.equal(r.encodingFormat, 'base64');
    assert.equal(r.dimensions, 256);
    assert.equal(r.user, 'u');
    assert.equal(parseOpenAIEmbeddingsRequest({ model: 'm', input: 'a' }).encodingFormat, 'float');
  });

  test('names the field at fault', () => {
    bad({ input: 'a' }, 'model', /model/);
    bad({ model: 'm' }, 'input', /input: required/);
    bad({ model: 'm', input: '' }, 'input', /empty string/);
    bad({ model: 'm', input: [] }, 'input', /empty array/);
    bad({ model: 'm', input: ['a', 3] }, 'input[1]', /expected a string/);
    bad({ model: 'm', input: [[1], 'x'] }, 'input[1]', /token ids/);
    bad({ model: 'm', input: [1.5] }, 'input', /non-negative integers/);
    bad({ model: 'm', input: 'a', encoding_format: 'int8' }, 'encoding_format', /"float" or "base64"/);
    bad({ model: 'm', input: 'a', dimensions: 0 }, 'dimensions', /at least 1/);
    bad({ model: 'm', input: 'a', dimensions: 1_000_000_000 }, 'dimensions', /at most 16384/);
    bad({ model: 'm', input: 'a', dimensions: 2.5 }, 'dimensions', /integer/);
  });
});

describe('formatOpenAIEmbeddingsResponse', () => {
  const res = { model: 'text-embedding-3-small', embeddings: [[0.5, -1], [0.25, 2]], usage: { inputTokens: 3 } };
  test('float', () => {
    assert.deepEqual(formatOpenAIEmbeddingsResponse(res, 'float'), {
      object: 'list',
      data: [
        { object: 'embedding', index: 0, embedding: [0.5, -1] },
        { object: 'embedding', index: 1, embedding: [0.25, 2] },
      ],
      model: 'text-embedding-3-small',
      usage: { prompt_tokens: 3, total_tokens: 3 },
    });
  });
  test('base64 is little-endian float32, as OpenAI sends it', () => {
    const b64 = encodeEmbeddingBase64([0.5, -1]);
    const buf = Buffer.from(b64, 'base64');
    assert.equal(buf.length, 8);
    assert.equal(buf.readFloatLE(0), 0.5);
    assert.equal(buf.readFloatLE(4), -1);
    const out = formatOpenAIEmbeddingsResponse(res, 'base64') as { data: Array<{ embedding: unknown }> };
    assert.equal(out.data[0]!.embedding, b64);
  });
});
