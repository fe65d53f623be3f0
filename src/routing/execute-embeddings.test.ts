import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { EmbeddingsRequest } from '../core/embeddings.js';
import { GatewayError } from '../core/errors.js';
import { silentLogger } from '../observability/logger.js';
import type { ProviderCallContext } from '../providers/provider-adapter.js';
import { executeEmbeddings } from './execute-embeddings.js';
import type { EmbeddingsChainInput } from './execute-embeddings.js';
import type { Target } from './runtime.js';
import { FakeAdapter, FakeClock, fakeTarget } from './test-fakes.js';

type Step = { ok: number[] } | { fail: GatewayError };

/** A fake provider whose embed() follows a script (the last step repeats). */
function embedder(name: string, steps: Step[] | undefined, options: Parameters<typeof fakeTarget>[1] = {}): { target: Target; calls: ProviderCallContext[] } {
  const adapter = new FakeAdapter(name, [{ ok: 'chat' }]);
  const calls: ProviderCallContext[] = [];
  if (steps) {
    Object.assign(adapter, {
      embed(req: EmbeddingsRequest, ctx: ProviderCallContext) {
        calls.push(ctx);
        const step = steps.length > 1 ? steps.shift()! : steps[0]!;
        if ('fail' in step) return Promise.reject(step.fail);
        return Promise.resolve({ model: ctx.model, embeddings: req.input.kind === 'text' ? req.input.texts.map(() => step.ok) : [], usage: { inputTokens: 2 } });
      },
    });
  }
  return { target: fakeTarget(adapter, options), calls };
}

function input(clock: FakeClock, targets: Target[]): EmbeddingsChainInput {
  return {
    targets,
    request: { model: 'alias', input: { kind: 'text', texts: ['a'] }, encodingFormat: 'float', raw: {} },
    deadlineAt: clock.now() + 25_000,
    signal: new AbortController().signal,
    logger: silentLogger(),
    clock,
    random: () => 0.5,
  };
}

describe('executeEmbeddings', () => {
  test('skips a provider without embeddings as GW_ERR_UNSUPPORTED and answers from the next', async () => {
    const clock = new FakeClock();
    const a = embedder('chat-only', undefined);
    const b = embedder('b', [{ ok: [1, 2] }]);
    const s = await executeEmbeddings(input(clock, [a.target, b.target]));
    assert.deepEqual(s.response.embeddings, [[1, 2]]);
    assert.equal(s.fallbackIndex, 1);
    assert.deepEqual(s.attempts.map((x) => `${x.target}:${x.outcome}:${x.code ?? ''}`), ['chat-only/m:skipped:GW_ERR_UNSUPPORTED', 'b/m:ok:']);
  });

  test('a lone provider without embeddings is a 400 GW_ERR_UNSUPPORTED naming it', async () => {
    const clock = new FakeClock();
    await assert.rejects(executeEmbeddings(input(clock, [embedder('anthropic', undefined).target])), (e: unknown) => {
      assert.ok(e instanceof GatewayError);
      assert.equal(e.code, 'GW_ERR_UNSUPPORTED');
      assert.equal(e.status, 400);
      assert.match(e.message, /^anthropic: provider type fake has no embeddings API/);
      return true;
    });
  });

  test('retries a retryable failure with backoff, then falls back', async () => {
    const clock = new FakeClock();
    const a = embedder('a', [{ fail: new GatewayError('GW_ERR_UPSTREAM_ERROR', 'boom') }], { retries: 1 });
    const b = embedder('b', [{ ok: [3] }]);
    const run = executeEmbeddings(input(clock, [a.target, b.target]));
    await clock.advance(5_000);
    const s = await run;
    assert.equal(a.calls.length, 2);
    assert.equal(s.fallbackIndex, 1);
    assert.deepEqual(clock.sleeps, [50]);
  });

  test('rotates keys on 429 before anything else', async () => {
    const clock = new FakeClock();
    const a = embedder('a', [{ fail: new GatewayError('GW_ERR_UPSTREAM_RATE_LIMITED', 'slow') }, { ok: [1] }], { keys: ['k1', 'k2'] });
    const s = await executeEmbeddings(input(clock, [a.target]));
    assert.deepEqual(a.calls.map((c) => c.key.id), ['k1', 'k2']);
    assert.deepEqual(s.response.embeddings, [[1]]);
    assert.deepEqual(clock.sleeps, []);
  });

  test('an upstream 400 ends the chain', async () => {
    const clock = new FakeClock();
    const a = embedder('a', [{ fail: new GatewayError('GW_ERR_UPSTREAM_BAD_REQUEST', 'bad', { status: 400 }) }]);
    const b = embedder('b', [{ ok: [1] }]);
    await assert.rejects(executeEmbeddings(input(clock, [a.target, b.target])), { code: 'GW_ERR_UPSTREAM_BAD_REQUEST' });
    assert.equal(b.calls.length, 0);
  });

  test('every target failing is GW_ERR_ALL_TARGETS_FAILED listing the attempts', async () => {
    const clock = new FakeClock();
    const a = embedder('a', [{ fail: new GatewayError('GW_ERR_UPSTREAM_NOT_FOUND', 'no model') }]);
    const b = embedder('b', undefined);
    await assert.rejects(executeEmbeddings(input(clock, [a.target, b.target])), (e: unknown) => {
      assert.ok(e instanceof GatewayError);
      assert.equal(e.code, 'GW_ERR_ALL_TARGETS_FAILED');
      assert.match(e.message, /a\/m GW_ERR_UPSTREAM_NOT_FOUND.*b\/m skipped/);
      return true;
    });
  });
});
