import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { GatewayError } from '../../core/errors.js';
import type { ErrorCode } from '../../core/errors.js';
import { formatAnthropicError } from './format-anthropic-error.js';
import { startAnthropicSdkServer } from './test-anthropic-sdk-server.js';
import type { SdkServer } from './test-anthropic-sdk-server.js';

describe('formatAnthropicError', () => {
  it('maps each error kind to the Anthropic error type', () => {
    const table: Array<[ErrorCode, string]> = [
      ['GW_ERR_INVALID_REQUEST', 'invalid_request_error'],
      ['GW_ERR_UNAUTHORIZED', 'authentication_error'],
      ['GW_ERR_UNKNOWN_MODEL', 'not_found_error'],
      ['GW_ERR_BODY_TOO_LARGE', 'request_too_large'],
      ['GW_ERR_UPSTREAM_RATE_LIMITED', 'rate_limit_error'],
      ['GW_ERR_UPSTREAM_OVERLOADED', 'overloaded_error'],
      ['GW_ERR_UPSTREAM_TIMEOUT', 'timeout_error'],
      ['GW_ERR_UPSTREAM_ERROR', 'api_error'],
      ['GW_ERR_INTERNAL', 'api_error'],
    ];
    for (const [code, type] of table) {
      assert.deepEqual(formatAnthropicError(new GatewayError(code, `msg ${code}`)), { type: 'error', error: { type, message: `msg ${code}` } });
    }
  });

  describe('read by @anthropic-ai/sdk', () => {
    const servers: SdkServer[] = [];
    after(async () => {
      for (const s of servers) await s.close();
    });

    const cases: Array<[ErrorCode, number, string, new (...args: any[]) => Error]> = [
      ['GW_ERR_INVALID_REQUEST', 400, 'invalid_request_error', Anthropic.BadRequestError],
      ['GW_ERR_UNAUTHORIZED', 401, 'authentication_error', Anthropic.AuthenticationError],
      ['GW_ERR_UNKNOWN_MODEL', 404, 'not_found_error', Anthropic.NotFoundError],
      ['GW_ERR_UPSTREAM_RATE_LIMITED', 429, 'rate_limit_error', Anthropic.RateLimitError],
      ['GW_ERR_UPSTREAM_ERROR', 502, 'api_error', Anthropic.InternalServerError],
    ];
    for (const [code, status, type, cls] of cases) {
      it(`${code} → ${status} ${type}`, async () => {
        const err = new GatewayError(code, `something about ${code}`);
        assert.equal(err.status, status);
        const server = await startAnthropicSdkServer({ status: err.status, body: JSON.stringify(formatAnthropicError(err)) });
        servers.push(server);
        await assert.rejects(
          server.client.messages.create({ model: 'm', max_tokens: 1, messages: [{ role: 'user', content: 'x' }] }),
          (e: unknown) => {
            assert.ok(e instanceof Anthropic.APIError);
            assert.ok(e instanceof cls, `expected ${cls.name}, got ${e.constructor.name}`);
            assert.equal(e.status, status);
            assert.equal(e.type, type);
            assert.equal((e.error as { error: { message: string } }).error.message, `something about ${code}`);
            return true;
          },
        );
      });
    }
  });
});
