import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { didYouMean, editDistance } from './did-you-mean.js';

describe('editDistance', () => {
  it('counts insertions, deletions and substitutions', () => {
    assert.equal(editDistance('', ''), 0);
    assert.equal(editDistance('abc', ''), 3);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(editDistance('opnai', 'openai'), 1);
  });

  it('counts a swap of neighbours as one edit', () => {
    assert.equal(editDistance('prot', 'port'), 1);
    assert.equal(editDistance('opneai', 'openai'), 1);
    assert.equal(editDistance('ab', 'ba'), 1);
  });

  it('is symmetric', () => {
    for (const [a, b] of [['hedge_after_ms', 'hedge_ms'], ['targets', 'tragets'], ['x', 'yz']] as const) {
      assert.equal(editDistance(a, b), editDistance(b, a));
    }
  });
});

describe('didYouMean', () => {
  const serverKeys = ['host', 'port', 'body_limit_bytes', 'api_keys', 'admin_token'];

  it('finds typos', () => {
    assert.equal(didYouMean('prot', serverKeys), 'port');
    assert.equal(didYouMean('hots', serverKeys), 'host');
    assert.equal(didYouMean('api_key', serverKeys), 'api_keys');
    assert.equal(didYouMean('body_limit_byte', serverKeys), 'body_limit_bytes');
    assert.equal(didYouMean('opnai', ['openai', 'anthropic']), 'openai');
    assert.equal(didYouMean('antropic', ['openai', 'anthropic']), 'anthropic');
  });

  it('ignores case and treats - like _ (camelCase and kebab-case spellings)', () => {
    assert.equal(didYouMean('apiKeys', serverKeys), 'api_keys');
    assert.equal(didYouMean('admin-token', serverKeys), 'admin_token');
    assert.equal(didYouMean('baseUrl', ['type', 'base_url', 'keys']), 'base_url');
  });

  it('suggests nothing when nothing is close', () => {
    assert.equal(didYouMean('colour', serverKeys), undefined);
    assert.equal(didYouMean('x', ['host', 'port']), undefined);
    assert.equal(didYouMean('', serverKeys), undefined);
    assert.equal(didYouMean('bedrock', ['openai', 'anthropic']), undefined);
    assert.equal(didYouMean('anything', []), undefined);
  });

  it('never suggests the input itself, and prefers the closest candidate', () => {
    assert.equal(didYouMean('port', ['port']), undefined);
    assert.equal(didYouMean('keyss', ['keys', 'key']), 'keys');
    assert.equal(didYouMean('modles', ['model', 'models']), 'models');
  });
});
