import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Config } from '../config/schema.js';
import { semanticInUse } from './semantic-in-use.js';

type Models = Config['models'];
const cache = (enabled: boolean, semantic: boolean) => ({ enabled, semantic: { enabled: semantic } }) as unknown as Config['cache'];
const models = (c: unknown) => ({ faq: { targets: ['openai/gpt-4o-mini'], cache: c } }) as unknown as Models;

describe('semanticInUse', () => {
  it('the global switches', () => {
    assert.equal(semanticInUse({ cache: cache(true, true), models: {} as Models }), true);
    assert.equal(semanticInUse({ cache: cache(true, false), models: {} as Models }), false);
    assert.equal(semanticInUse({ cache: cache(false, true), models: {} as Models }), false, 'the cache is off');
  });

  it("an alias's override, whatever cache.enabled says", () => {
    assert.equal(semanticInUse({ cache: cache(false, false), models: models({ semantic: true }) }), true);
    assert.equal(semanticInUse({ cache: cache(false, true), models: models({ ttl_s: 60 }) }), true, 'semantic from the global setting');
    assert.equal(semanticInUse({ cache: cache(false, true), models: models(true) }), true, 'cache: true takes the global semantic setting');
    assert.equal(semanticInUse({ cache: cache(false, false), models: models(true) }), false);
    assert.equal(semanticInUse({ cache: cache(false, true), models: models({ enabled: false, semantic: true }) }), false);
    assert.equal(semanticInUse({ cache: cache(false, true), models: models(false) }), false);
  });
});
