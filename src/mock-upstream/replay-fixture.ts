/**
 * Replays a real recording from shared/fixtures (see its NOTICE.md) when the request's model is
 * `fixture:<folder>/<file-base>`: `<file-base>.json` verbatim for a non-streaming request,
 * `<file-base>.chunks.txt` framed as SSE for a streaming one (Anthropic route: `event: <type>` +
 * `data: <line>`; OpenAI route: `data: <line>` per line, then `data: [DONE]`).
 */
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isRecord } from './build-mock-reply.js';
import { anthropicError, anthropicHeaders } from './anthropic-messages-wire.js';
import { openaiError, openaiHeaders } from './openai-chat-wire.js';
import { dataFrame, namedFrame, SSE_HEADERS, type PreparedResponse, type WireContext, type WireProvider } from './prepared-response.js';

export const FIXTURE_MODEL_PREFIX = 'fixture:';

/** `SWITCHYARD_FIXTURES_DIR`, else `../../../shared/fixtures` from this file (works from src/ and dist/). */
export function defaultFixturesDir(): string {
  const fromEnv = process.env.SWITCHYARD_FIXTURES_DIR;
  if (fromEnv && fromEnv.trim() !== '') return resolve(fromEnv);
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/fixtures');
}

const SPEC_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*\/[A-Za-z0-9_-][A-Za-z0-9_.-]*$/;

const ANTHROPIC_STATUS_BY_TYPE: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

/**
 * The status to send a recorded JSON body with: 200, unless the body is an error — then a numeric
 * `error.code` (Gemini), the status of an Anthropic error `type`, 500 for an OpenAI `server_error`,
 * else 400.
 */
export function statusForRecordedBody(text: string): number {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return 200;
  }
  if (!isRecord(body) || !isRecord(body.error)) return 200;
  const err = body.error;
  if (typeof err.code === 'number' && err.code >= 400 && err.code <= 599) return err.code;
  if (body.type === 'error' && typeof err.type === 'string') return ANTHROPIC_STATUS_BY_TYPE[err.type] ?? 400;
  if (err.type === 'server_error') return 500;
  return 400;
}

export interface ReplayFixtureInput {
  /** Everything after `fixture:`, e.g. `anthropic/anthropic-text`. */
  spec: string;
  stream: boolean;
  provider: WireProvider;
  fixturesDir: string;
  ctx: WireContext;
}

export async function replayFixture(input: ReplayFixtureInput): Promise<PreparedResponse> {
  const { spec, stream, provider, fixturesDir, ctx } = input;
  const fail = (status: number, message: string): PreparedResponse =>
    provider === 'anthropic'
      ? anthropicError({ status, message }, ctx)
      : openaiError({ status, message, code: status === 404 ? 'model_not_found' : null, headers: openaiHeaders(ctx) });

  if (!SPEC_PATTERN.test(spec) || spec.split('/').some((s) => s === '.' || s === '..')) {
    return fail(400, `Invalid fixture model "${FIXTURE_MODEL_PREFIX}${spec}": expected fixture:<folder>/<file-base>.`);
  }
  const file = join(fixturesDir, `${spec}${stream ? '.chunks.txt' : '.json'}`);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return fail(404, `The model \`${FIXTURE_MODEL_PREFIX}${spec}\` does not exist: no recording at ${file}.`);
  }
  const headers = provider === 'anthropic' ? anthropicHeaders(ctx) : openaiHeaders(ctx);

  if (!stream) {
    return {
      type: 'json',
      status: statusForRecordedBody(text),
      headers: { 'content-type': 'application/json', ...headers },
      body: text,
    };
  }

  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const events: string[] = [];
  let firstDelta = -1;
  for (const line of lines) {
    if (provider === 'anthropic') {
      let type: string | undefined;
      try {
        const parsed: unknown = JSON.parse(line);
        if (isRecord(parsed) && typeof parsed.type === 'string') type = parsed.type;
      } catch {
        // Not JSON: sent as a bare data line.
      }
      if (firstDelta < 0 && type === 'content_block_delta') firstDelta = events.length;
      events.push(type ? namedFrame(type, line) : dataFrame(line));
    } else {
      events.push(dataFrame(line));
    }
  }
  if (provider === 'openai') events.push(dataFrame('[DONE]'));
  const preamble = provider === 'openai' ? 1 : firstDelta >= 0 ? firstDelta : Math.min(1, events.length);
  return { type: 'sse', status: 200, headers: { ...SSE_HEADERS, ...headers }, events, preamble };
}
