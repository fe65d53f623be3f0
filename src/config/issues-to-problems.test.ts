/**
 * Problems from the provider schema on its own, as the admin API validates one provider: the same
 * wording as in a file, paths relative to the entity.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { issuesToProblems } from './issues-to-problems.js';
import { providerSchema, withDefaultProviderType } from './schema.js';

function problems(name: string, body: unknown, knownProviderTypes?: readonly string[]): string[] {
  const r = providerSchema.safeParse(withDefaultProviderType(name, body), { reportInput: true });
  if (r.success) return [];
  return issuesToProblems(r.error.issues, { schema: providerSchema, envRefs: new Map(), ...(knownProviderTypes ? { knownProviderTypes } : {}) }).map((p) => `${p.path}: ${p.message}`);
}

describe('issuesToProblems on the provider union', () => {
  it('accepts a provider named after its type without a type key', () => {
    assert.deepEqual(problems('gemini', { api_version: 'v1' }), []);
  });

  it("names another type's key, relative to the entity", () => {
    const [line] = problems('g', { type: 'gemini', anthropic_version: '2023-06-01' });
    assert.match(line!, /^anthropic_version: unknown key for a gemini provider: it is a key of anthropic providers; allowed keys for gemini: type, /);
  });

  it('a missing or unknown type lists the known types', () => {
    assert.deepEqual(problems('mine', {}, ['openai', 'anthropic']), ['type: missing; set type to one of openai, anthropic']);
    const [line] = problems('mine', { type: 'antropic' });
    assert.match(line!, /^type: unknown provider type "antropic"; did you mean "anthropic"\? Known: openai, anthropic, bedrock, gemini, azure, openai-compatible, /);
  });

  it('not an object', () => {
    assert.deepEqual(problems('openai', 'sk-123'), ['(top level): expected an object, got string "sk-123"']);
  });
});
