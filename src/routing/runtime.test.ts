import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildConfig } from '../../test/helpers/stack.js';
import { MAX_MODEL_NAME_LENGTH } from '../core/model-name.js';
import { GatewayError } from '../core/errors.js';
import type { ProviderRuntime, Runtime } from './runtime.js';
import { compileRuntime, loadRuntime, MAX_DIRECT_TARGETS } from './runtime.js';

const URL_A = 'http://127.0.0.1:9/v1';
const URL_B = 'http://127.0.0.1:10/v1';

/** A config with providers a (openai), b (anthropic), c (openai), and an alias over them. */
function baseConfig(over: { providers?: Record<string, Record<string, unknown>>; models?: Record<string, unknown> } = {}): Record<string, unknown> {
  return {
    providers: {
      a: { type: 'openai', base_url: URL_A, keys: [{ value: 'sk-a-1' }] },
      b: { type: 'anthropic', base_url: 'http://127.0.0.1:9', keys: [{ value: 'sk-b-1' }] },
      c: { type: 'openai', base_url: URL_A },
      ...over.providers,
    },
    models: over.models ?? { m: { targets: ['a/x', 'b/y'] } },
  };
}

/** Counts adapter.close() calls per provider name (the adapter object is mutable; the runtime is not). */
function watchCloses(runtime: Runtime): Map<string, number> {
  const closes = new Map<string, number>();
  for (const p of runtime.providers.values()) {
    const original = p.adapter.close.bind(p.adapter);
    p.adapter.close = async () => {
      closes.set(p.name, (closes.get(p.name) ?? 0) + 1);
      await original();
    };
  }
  return closes;
}

const same = (r1: Runtime, r2: Runtime, name: string): boolean => r1.providers.get(name) === r2.providers.get(name);

describe('compileRuntime with a previous runtime', () => {
  it('reuses a provider whose effective config is unchanged: the same object, adapter and key pool', async () => {
    const r1 = compileRuntime(buildConfig(baseConfig()));
    const r2 = compileRuntime(buildConfig(baseConfig({ models: { m: { targets: ['c/z'] }, n: { targets: ['a/x'] } } })), r1);
    for (const name of ['a', 'b', 'c']) assert.ok(same(r1, r2, name), name);
    const a1 = r1.providers.get('a')!;
    const a2 = r2.providers.get('a')!;
    assert.equal(a2.adapter, a1.adapter);
    assert.equal(a2.keys, a1.keys);
    // The new runtime routes by its own aliases.
    assert.deepEqual(r2.resolve('m').map((t) => t.label), ['c/z']);
    assert.deepEqual(r1.resolve('m').map((t) => t.label), ['a/x', 'b/y']);
    await r1.closeUnshared(r2);
    await r2.close();
  });

  it('builds a new provider when a key, a timeout, base_url, a header, retries or a type field changes', async () => {
    const changes: Array<[string, Record<string, unknown>]> = [
      ['key', { keys: [{ value: 'sk-a-2' }] }],
      ['key weight', { keys: [{ value: 'sk-a-1', weight: 2 }] }],
      ['timeouts', { timeouts: { first_byte_ms: 5000 } }],
      ['base_url', { base_url: URL_B }],
      ['headers', { headers: { 'x-team': 'blue' } }],
      ['retries', { retries: { max: 3 } }],
      ['max_connections', { max_connections: 8 }],
      ['stream_upstream', { stream_upstream: false }],
      ['type', { type: 'openai-compatible' }],
    ];
    for (const [what, change] of changes) {
      const r1 = compileRuntime(buildConfig(baseConfig()));
      const r2 = compileRuntime(buildConfig(baseConfig({ providers: { a: { type: 'openai', base_url: URL_A, keys: [{ value: 'sk-a-1' }], ...change } } })), r1);
      assert.ok(!same(r1, r2, 'a'), `${what}: a new provider`);
      assert.notEqual(r2.providers.get('a')!.adapter, r1.providers.get('a')!.adapter, what);
      assert.ok(same(r1, r2, 'b') && same(r1, r2, 'c'), `${what}: the others are reused`);
      await r1.closeUnshared(r2);
      await r2.close();
    }
    // A type's own field: anthropic_version.
    const r1 = compileRuntime(buildConfig(baseConfig()));
    const r2 = compileRuntime(buildConfig(baseConfig({ providers: { b: { type: 'anthropic', base_url: 'http://127.0.0.1:9', keys: [{ value: 'sk-b-1' }], anthropic_version: '2024-01-01' } } })), r1);
    assert.ok(!same(r1, r2, 'b'));
    assert.ok(same(r1, r2, 'a'));
    await r1.closeUnshared(r2);
    await r2.close();
  });

  it('reuses nothing under another name: a renamed provider is new', async () => {
    const r1 = compileRuntime(buildConfig(baseConfig()));
    const r2 = compileRuntime(buildConfig({ providers: { a2: { type: 'openai', base_url: URL_A, keys: [{ value: 'sk-a-1' }] } } }), r1);
    assert.notEqual(r2.providers.get('a2'), r1.providers.get('a'));
    await r1.closeUnshared(r2);
    await r2.close();
  });

  it('key health survives a reload of an unchanged provider', async () => {
    const r1 = compileRuntime(buildConfig(baseConfig()));
    const pool = r1.providers.get('a')!.keys;
    const r2 = compileRuntime(buildConfig(baseConfig({ providers: { c: { type: 'openai', base_url: URL_B } } })), r1);
    assert.equal(r2.providers.get('a')!.keys, pool);
    await r1.closeUnshared(r2);
    await r2.close();
  });

  it('loadRuntime takes the previous runtime too', async () => {
    const r1 = await loadRuntime(buildConfig(baseConfig()));
    const r2 = await loadRuntime(buildConfig(baseConfig()), r1);
    for (const name of ['a', 'b', 'c']) assert.ok(same(r1, r2, name), name);
    await r1.closeUnshared(r2);
    await r2.close();
  });

  it('a failed compile closes what it built and leaves the previous runtime as it was', async () => {
    const r1 = compileRuntime(buildConfig(baseConfig()));
    const closes = watchCloses(r1);
    assert.throws(() => compileRuntime(buildConfig({ ...baseConfig(), providers: { ...(baseConfig().providers as object), g: { type: 'gemini', base_url: URL_A } } }), r1), /not loaded/);
    assert.equal(closes.size, 0);
    // r1 is still whole: a later compile reuses its providers.
    const r2 = compileRuntime(buildConfig(baseConfig()), r1);
    assert.ok(same(r1, r2, 'a'));
    await r1.closeUnshared(r2);
    await r2.close();
  });
});

describe('Runtime.closeUnshared', () => {
  it('closes exactly the providers the next runtime removed or changed', async () => {
    const r1 = compileRuntime(buildConfig(baseConfig()));
    const closes = watchCloses(r1);
    // a: changed key; b: removed; c: unchanged.
    const r2 = compileRuntime(buildConfig({ providers: { a: { type: 'openai', base_url: URL_A, keys: [{ value: 'sk-a-2' }] }, c: { type: 'openai', base_url: URL_A } } }), r1);
    assert.equal(closes.size, 0, 'compiling closes nothing');
    await r1.closeUnshared(r2);
    assert.deepEqual(Object.fromEntries(closes), { a: 1, b: 1 });
    // Idempotent.
    await r1.closeUnshared(r2);
    assert.deepEqual(Object.fromEntries(closes), { a: 1, b: 1 });
    const closes2 = watchCloses(r2);
    await r2.close();
    assert.deepEqual(Object.fromEntries(closes2), { a: 1, c: 1 });
  });

  it('keeps a provider open while an older runtime that holds it is still in use', async () => {
    // r1 holds p; r2 reuses it; r3 drops it. r2 is released first (no requests), r1 still serves.
    const r1 = compileRuntime(buildConfig(baseConfig()));
    const closes = watchCloses(r1);
    const r2 = compileRuntime(buildConfig(baseConfig()), r1);
    const r3 = compileRuntime(buildConfig({ providers: { c: { type: 'openai', base_url: URL_A } } }), r2);
    await r2.closeUnshared(r3);
    assert.equal(closes.size, 0, 'r1 still holds a and b');
    await r1.closeUnshared(r2);
    assert.deepEqual(Object.fromEntries(closes), { a: 1, b: 1 });
    await r3.close();
  });

  it('a closed provider is never carried into a new runtime', async () => {
    const r1 = compileRuntime(buildConfig(baseConfig()));
    await r1.close();
    const r2 = compileRuntime(buildConfig(baseConfig()), r1);
    assert.ok(!same(r1, r2, 'a'));
    await r2.close();
  });
});

describe('a runtime is an immutable snapshot', () => {
  it('freezes the runtime, its maps, providers, aliases, targets and config', async () => {
    const config = buildConfig(baseConfig());
    const r = compileRuntime(config);
    assert.ok(Object.isFrozen(r));
    assert.throws(() => (r as unknown as { providers: unknown }).providers = new Map(), TypeError);
    assert.throws(() => (r.providers as Map<string, ProviderRuntime>).set('x', r.providers.get('a')!), /immutable/);
    assert.throws(() => (r.providers as Map<string, ProviderRuntime>).delete('a'), /immutable/);
    assert.throws(() => (r.aliases as Map<string, unknown>).clear(), /immutable/);
    assert.throws(() => (r.clientKeys as Set<string>).add('k'), /immutable/);
    assert.equal(r.providers.size, 3);
    assert.ok(Object.isFrozen(r.providers.get('a')));
    assert.ok(Object.isFrozen(r.providers.get('a')!.timeouts));
    assert.ok(Object.isFrozen(r.aliases.get('m')));
    assert.ok(Object.isFrozen(r.aliases.get('m')!.targets));
    assert.ok(Object.isFrozen(r.resolve('a/whatever')));
    assert.ok(Object.isFrozen(r.config.providers['a']!.keys[0]));
    // The caller's config object is left as it was.
    assert.ok(!Object.isFrozen(config));
    await r.close();
  });
});

describe('Runtime.resolve', () => {
  it('an alias target and the same provider/model sent directly are one Target', async () => {
    const r = compileRuntime(buildConfig(baseConfig()));
    assert.equal(r.resolve('a/x')[0], r.resolve('m')[0]);
    assert.equal(r.resolve('c/q')[0], r.resolve('c/q')[0]);
    await r.close();
  });

  it('remembers at most MAX_DIRECT_TARGETS direct names: 5,000 distinct names do not grow it past the bound', async () => {
    const r = compileRuntime(buildConfig(baseConfig()));
    const first = new Map<string, unknown>();
    for (let i = 0; i < 5000; i++) {
      const name = `a/model-${i}`;
      const [t] = r.resolve(name);
      assert.equal(t!.model, `model-${i}`);
      first.set(name, t);
    }
    // The last MAX_DIRECT_TARGETS names are still remembered (same object) ...
    let remembered = 0;
    for (let i = 5000 - MAX_DIRECT_TARGETS; i < 5000; i++) if (r.resolve(`a/model-${i}`)[0] === first.get(`a/model-${i}`)) remembered++;
    assert.equal(remembered, MAX_DIRECT_TARGETS);
    // ... and every earlier one was dropped: resolving it again builds a new Target.
    let dropped = 0;
    for (let i = 0; i < 5000 - MAX_DIRECT_TARGETS; i++) if (r.resolve(`a/model-${i}`)[0] !== first.get(`a/model-${i}`)) dropped++;
    assert.equal(dropped, 5000 - MAX_DIRECT_TARGETS);
    // Alias targets are never dropped.
    assert.equal(r.resolve('a/x')[0], r.resolve('m')[0]);
    await r.close();
  });

  it('keeps a name in use: the least recently used is dropped first', async () => {
    const r = compileRuntime(buildConfig(baseConfig()));
    const hot = r.resolve('a/hot')[0];
    for (let i = 0; i < 3 * MAX_DIRECT_TARGETS; i++) {
      r.resolve(`a/cold-${i}`);
      if (i % 100 === 0) assert.equal(r.resolve('a/hot')[0], hot);
    }
    await r.close();
  });

  it(`refuses a model name over ${MAX_MODEL_NAME_LENGTH} characters with GW_ERR_INVALID_REQUEST (400, param model)`, async () => {
    const r = compileRuntime(buildConfig(baseConfig()));
    for (const name of [`a/${'x'.repeat(64 * 1024)}`, 'y'.repeat(MAX_MODEL_NAME_LENGTH + 1)]) {
      assert.throws(
        () => r.resolve(name),
        (err: unknown) => {
          assert.ok(err instanceof GatewayError);
          assert.equal(err.code, 'GW_ERR_INVALID_REQUEST');
          assert.equal(err.status, 400);
          assert.equal(err.param, 'model');
          assert.ok(err.message.length < 200, 'the name is not echoed');
          return true;
        },
      );
    }
    // The longest accepted name still resolves.
    const longest = `a/${'x'.repeat(MAX_MODEL_NAME_LENGTH - 2)}`;
    assert.equal(r.resolve(longest)[0]!.label, longest);
    await r.close();
  });

  it('an unknown model is still GW_ERR_UNKNOWN_MODEL', async () => {
    const r = compileRuntime(buildConfig(baseConfig()));
    assert.throws(() => r.resolve('nope/x'), (err: unknown) => err instanceof GatewayError && err.code === 'GW_ERR_UNKNOWN_MODEL');
    await r.close();
  });
});
