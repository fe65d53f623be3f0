/**
 * The Responses API's conversation state around the gateway: `POST /v1/responses` resolves
 * `previous_response_id` from the stored responses (so a conversation continues against any
 * upstream), runs the request through `gateway.handle`, and stores the answer when `store` is not
 * false; `GET` / `DELETE /v1/responses/{id}` and `GET /v1/responses/{id}/input_items` read and
 * remove stored responses. The store is the request log's database (`storage.*`), opened on first
 * use; rows older than `responses.retention_days` are purged hourly.
 */
import { createHash } from 'node:crypto';
import { createParser } from 'eventsource-parser';
import { GatewayError, toGatewayError } from '../core/errors.js';
import type { ClientDialect } from '../dialects/client-dialect.js';
import { openAIResponsesDialect, openAIResponsesDialectFor } from '../dialects/openai-responses/index.js';
import { inputAsItems, outputAsInput, withItemIds, withoutStoreIds } from '../dialects/openai-responses/conversation-items.js';
import { errorOutcome } from '../gateway.js';
import type { Gateway, GatewayOutcome, IncomingCall, StreamWriter } from '../gateway.js';
import type { Logger } from '../observability/logger.js';
import { openResponseStore } from '../storage/response-store.js';
import type { ResponseStore, StoredResponse } from '../storage/response-store.js';

export interface ResponsesSettings {
  /** Keep responses the client asks to store (`responses.store`). */
  store: boolean;
  /** Days a stored response is kept; 0 = forever (`responses.retention_days`). */
  retentionDays: number;
}

export interface ResponsesApi {
  /** POST /v1/responses (the body already read and authenticated). Never throws. */
  create(call: Omit<IncomingCall, 'dialect'>): Promise<GatewayOutcome>;
  /** Whether a path is one of /v1/responses/{id}[/input_items]. */
  matches(path: string): boolean;
  /** GET / DELETE on a stored response (the client already authenticated). Never throws. */
  stored(args: { method: string; path: string; query: URLSearchParams; headers: IncomingCall['headers']; requestId: string }): Promise<GatewayOutcome>;
  close(): Promise<void>;
}

const ITEM_PATH = /^(?:\/openai)?\/v1\/responses\/([A-Za-z0-9_-]{1,200})(\/input_items)?\/?$/;
const TERMINAL = new Set(['response.completed', 'response.incomplete', 'response.failed']);
const HOUR_MS = 3_600_000;

export function createResponsesApi(options: { gateway: Gateway; logger: Logger; settings?: () => ResponsesSettings }): ResponsesApi {
  const { gateway, logger } = options;
  const settings = options.settings ?? (() => settingsFrom(gateway.currentRuntime.config));
  let opening: Promise<ResponseStore> | undefined;
  let purgeTimer: NodeJS.Timeout | undefined;

  const purge = async (store: ResponseStore) => {
    const days = settings().retentionDays;
    if (days <= 0) return;
    try {
      const n = await store.deleteOlderThan(Date.now() - days * 86_400_000);
      if (n > 0) logger.debug({ deleted: n }, 'stored responses past their retention deleted');
    } catch (e) {
      logger.warn({ err: e }, 'stored responses: purge failed');
    }
  };

  const store = (): Promise<ResponseStore> => {
    if (!opening) {
      opening = openResponseStore(gateway.currentRuntime.config.storage).then((s) => {
        void purge(s);
        purgeTimer = setInterval(() => void purge(s), HOUR_MS);
        purgeTimer.unref();
        return s;
      });
      // A failed open is retried by the next request.
      opening.catch(() => (opening = undefined));
    }
    return opening;
  };

  const storeUnavailable = (e: unknown) =>
    new GatewayError('GW_ERR_INTERNAL', `stored responses are unavailable: ${(e as Error).message}`, { status: 503, cause: e });

  const save = async (record: StoredResponse): Promise<void> => {
    try {
      await (await store()).put(record);
    } catch (e) {
      logger.warn({ err: e, responseId: record.id }, 'stored responses: could not store a response');
    }
  };

  return {
    async create(call) {
      const base = { 'x-request-id': call.requestId };
      const body = call.body;
      if (typeof body !== 'object' || body === null || Array.isArray(body)) return gateway.handle({ ...call, dialect: openAIResponsesDialect });
      const b = body as Record<string, unknown>;
      const { store: storeEnabled } = settings();
      const owner = ownerOf(call.headers);
      const prev = b.previous_response_id;
      let history: Record<string, unknown>[] = [];
      let previousResponseId: string | undefined;
      if (prev !== undefined && prev !== null) {
        if (typeof prev !== 'string' || prev === '') {
          return errorOutcome(openAIResponsesDialect, new GatewayError('GW_ERR_INVALID_REQUEST', 'previous_response_id: expected a response id string', { param: 'previous_response_id' }), base);
        }
        if (!storeEnabled) {
          return errorOutcome(
            openAIResponsesDialect,
            new GatewayError('GW_ERR_INVALID_REQUEST', 'previous_response_id: this gateway keeps no responses (responses.store is false); send the whole conversation in `input`', { param: 'previous_response_id' }),
            base,
          );
        }
        let found: StoredResponse | undefined;
        try {
          found = await (await store()).get(prev, owner);
        } catch (e) {
          return errorOutcome(openAIResponsesDialect, storeUnavailable(e), base);
        }
        if (!found) {
          return errorOutcome(
            openAIResponsesDialect,
            new GatewayError('GW_ERR_RESPONSE_NOT_FOUND', `previous_response_id: no stored response "${prev}" for this key (never stored, deleted, or past responses.retention_days)`, {
              param: 'previous_response_id',
              status: 400,
            }),
            base,
          );
        }
        previousResponseId = prev;
        history = [...found.inputItems, ...outputAsInput(found.response.output)];
      }
      const input = inputAsItems(b.input);
      let upstreamBody: Record<string, unknown> = b;
      if (previousResponseId !== undefined) {
        const { previous_response_id: _drop, ...rest } = b;
        upstreamBody = input ? { ...rest, input: [...withoutStoreIds(history), ...input] } : rest;
      }
      const stored = storeEnabled && b.store !== false;
      const dialect: ClientDialect = openAIResponsesDialectFor({ ...(previousResponseId !== undefined ? { previousResponseId } : {}), stored });
      const outcome = await gateway.handle({ ...call, dialect, body: upstreamBody });
      if (!stored || outcome.status !== 200 || !input) return outcome;

      const inputItems = withItemIds([...history, ...input]);
      const record = (response: Record<string, unknown>): StoredResponse | undefined =>
        typeof response.id === 'string' ? { id: response.id, owner, createdAt: Date.now(), response: { ...response, previous_response_id: previousResponseId ?? null, store: true }, inputItems } : undefined;

      if (outcome.kind === 'json') {
        let response: unknown;
        try {
          response = JSON.parse(outcome.body);
        } catch {
          return outcome;
        }
        const r = typeof response === 'object' && response !== null ? record(response as Record<string, unknown>) : undefined;
        if (r) await save(r);
        return outcome;
      }
      return {
        ...outcome,
        pipe(writer) {
          outcome.pipe(tapTerminalEvent(writer, (response) => {
            const r = record(response);
            return r ? save(r) : Promise.resolve();
          }));
        },
      };
    },

    matches: (path) => ITEM_PATH.test(path),

    async stored({ method, path, query, headers, requestId }) {
      const base = { 'x-request-id': requestId };
      const fail = (err: GatewayError) => errorOutcome(openAIResponsesDialect, err, base);
      const m = ITEM_PATH.exec(path);
      if (!m) return fail(new GatewayError('GW_ERR_ROUTE_NOT_FOUND', `no route for ${method} ${path}`));
      const id = m[1]!;
      const inputItems = m[2] !== undefined;
      const allowed = inputItems ? ['GET'] : ['GET', 'DELETE'];
      if (!allowed.includes(method)) {
        const out = fail(new GatewayError('GW_ERR_METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}; use ${allowed.join(', ')}`));
        out.headers.allow = allowed.join(', ');
        return out;
      }
      if (!settings().store) return fail(new GatewayError('GW_ERR_RESPONSE_NOT_FOUND', `no stored response "${id}": this gateway keeps no responses (responses.store is false)`));
      const owner = ownerOf(headers);
      try {
        const s = await store();
        if (method === 'DELETE') {
          if (!(await s.delete(id, owner))) return fail(notFound(id));
          return json({ id, object: 'response.deleted', deleted: true }, base);
        }
        const found = await s.get(id, owner);
        if (!found) return fail(notFound(id));
        if (!inputItems) return json(found.response, base);
        return json(listPage(found.inputItems, query), base);
      } catch (e) {
        if (e instanceof GatewayError) return fail(e);
        return fail(storeUnavailable(toGatewayError(e)));
      }
    },

    async close() {
      if (purgeTimer) clearInterval(purgeTimer);
      const s = opening ? await opening.catch(() => undefined) : undefined;
      opening = undefined;
      await s?.close();
    },
  };
}

function notFound(id: string): GatewayError {
  return new GatewayError('GW_ERR_RESPONSE_NOT_FOUND', `no stored response "${id}" for this key (never stored, deleted, or past responses.retention_days)`);
}

function json(body: unknown, headers: Record<string, string>): GatewayOutcome {
  return { kind: 'json', status: 200, headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/** The `responses` config block, with its defaults when the config has none. */
export function settingsFrom(config: unknown): ResponsesSettings {
  const r = (config as { responses?: { store?: boolean; retention_days?: number } }).responses;
  return { store: r?.store ?? true, retentionDays: r?.retention_days ?? 30 };
}

/** Who may read a stored response: a hash of the client's gateway key ('' when none was sent). */
export function ownerOf(headers: IncomingCall['headers']): string {
  const auth = headers.authorization;
  const bearer = typeof auth === 'string' && auth.startsWith('Bearer ') ? auth.slice(7) : undefined;
  const xKey = headers['x-api-key'];
  const key = bearer ?? (typeof xKey === 'string' ? xKey : undefined);
  return key ? createHash('sha256').update(key).digest('hex') : '';
}

/** One page of input items, as OpenAI lists them: `order` (default desc), `limit` 1–100 (default 20), `after` / `before` ids. */
export function listPage(items: Record<string, unknown>[], query: URLSearchParams): Record<string, unknown> {
  const order = query.get('order') ?? 'desc';
  if (order !== 'asc' && order !== 'desc') throw new GatewayError('GW_ERR_INVALID_REQUEST', `order: expected "asc" or "desc", got "${order}"`, { param: 'order' });
  const limitText = query.get('limit');
  const limit = limitText === null ? 20 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new GatewayError('GW_ERR_INVALID_REQUEST', `limit: expected an integer from 1 to 100, got "${limitText}"`, { param: 'limit' });
  let list = order === 'asc' ? items : [...items].reverse();
  const after = query.get('after');
  if (after !== null) {
    const i = list.findIndex((it) => it.id === after);
    list = i < 0 ? [] : list.slice(i + 1);
  }
  const before = query.get('before');
  if (before !== null) {
    const i = list.findIndex((it) => it.id === before);
    if (i >= 0) list = list.slice(0, i);
  }
  const data = list.slice(0, limit);
  return {
    object: 'list',
    data,
    first_id: (data[0]?.id as string | undefined) ?? null,
    last_id: (data[data.length - 1]?.id as string | undefined) ?? null,
    has_more: list.length > limit,
  };
}

/**
 * A writer that watches the SSE it carries for the response's terminal event (completed,
 * incomplete, failed) and holds that event and everything after it until `onTerminal` settles: a
 * client that reads `response.completed` and continues at once finds the response stored.
 */
export function tapTerminalEvent(writer: StreamWriter, onTerminal: (response: Record<string, unknown>) => Promise<void>): StreamWriter {
  let terminal: Record<string, unknown> | undefined;
  let holding: Promise<void> | undefined;
  const held: Array<() => void> = [];
  const decoder = new TextDecoder();
  const parser = createParser({
    onEvent(m) {
      if (terminal || !m.data.includes('"response.')) return;
      try {
        const d = JSON.parse(m.data) as { type?: string; response?: Record<string, unknown> };
        if (d.type && TERMINAL.has(d.type) && d.response) terminal = d.response;
      } catch {
        // not ours to judge
      }
    },
  });
  const feed = (chunk: string | Uint8Array) => parser.feed(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
  const hold = () => {
    holding = onTerminal(terminal!).finally(() => {
      for (const run of held.splice(0)) run();
    });
  };
  return {
    write(chunk) {
      if (holding) {
        held.push(() => writer.write(chunk));
        return true;
      }
      feed(chunk);
      if (!terminal) return writer.write(chunk);
      held.push(() => writer.write(chunk));
      hold();
      return true;
    },
    onDrain: (fn) => writer.onDrain(fn),
    end(chunk) {
      if (!holding && chunk !== undefined) {
        feed(chunk);
        if (terminal) hold();
      }
      if (holding) held.push(() => writer.end(chunk));
      else writer.end(chunk);
    },
  };
}
