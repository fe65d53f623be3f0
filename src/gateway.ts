/**
 * The request pipeline, independent of HTTP: parse in the client's dialect, resolve the route,
 * run the chain of attempts, and produce either a finished body or a stream to pipe. The server
 * only reads bodies and writes what this returns.
 */
import { randomUUID } from 'node:crypto';
import type { DialectId } from './core/dialect.js';
import { GatewayError, toGatewayError } from './core/errors.js';
import type { CoreRequest } from './core/request.js';
import type { StreamEvent } from './core/stream-event.js';
import type { ClientDialect, StreamEncoder } from './dialects/client-dialect.js';
import type { Logger } from './observability/logger.js';
import type { StreamFrame, StreamSink } from './providers/provider-adapter.js';
import { CircuitBreakers } from './routing/circuit-breaker.js';
import { systemClock } from './routing/clock.js';
import type { Clock } from './routing/clock.js';
import { executeChain } from './routing/execute-chain.js';
import type { ChainSuccess } from './routing/execute-chain.js';
import type { Runtime, Target } from './routing/runtime.js';

export interface IncomingCall {
  dialect: ClientDialect;
  /** The parsed JSON body. */
  body: unknown;
  /** Lower-case request headers. */
  headers: Record<string, string | string[] | undefined>;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
  requestId: string;
}

/** Where a streamed answer is written (the server adapts its HTTP response to this). */
export interface StreamWriter {
  /** Returns false when the client is not keeping up. */
  write(chunk: string): boolean;
  onDrain(fn: () => void): void;
  end(): void;
}

export type GatewayOutcome =
  | { kind: 'json'; status: number; headers: Record<string, string>; body: string }
  | { kind: 'stream'; status: 200; headers: Record<string, string>; pipe(writer: StreamWriter): void };

export interface GatewayOptions {
  runtime: Runtime;
  logger: Logger;
  clock?: Clock;
}

export class Gateway {
  readonly breakers: CircuitBreakers;
  private runtime: Runtime;
  private readonly logger: Logger;
  private readonly clock: Clock;

  constructor(options: GatewayOptions) {
    this.runtime = options.runtime;
    this.logger = options.logger;
    this.clock = options.clock ?? systemClock;
    const cb = options.runtime.config.routing.circuit_breaker;
    this.breakers = new CircuitBreakers(cb.failure_threshold, cb.cooldown_ms, this.clock);
  }

  get currentRuntime(): Runtime {
    return this.runtime;
  }

  /** Handles one completion call; never throws (errors become dialect-shaped outcomes). */
  async handle(call: IncomingCall): Promise<GatewayOutcome> {
    const { dialect } = call;
    const baseHeaders: Record<string, string> = { 'x-request-id': call.requestId };
    let request: CoreRequest | undefined;
    try {
      request = dialect.parseRequest(call.body);
      const beta = call.headers['anthropic-beta'];
      if (typeof beta === 'string') request.forwardHeaders = { 'anthropic-beta': beta };
      const targets = this.targetsFor(request);
      const deadlineAt = this.clock.now() + this.deadlineMs(request, call.headers);
      const log = this.logger.child({ requestId: call.requestId });
      const success = await executeChain({
        targets,
        request,
        deadlineAt,
        signal: call.signal,
        logger: log,
        clock: this.clock,
        breakers: this.breakers,
      });
      const headers = { ...baseHeaders, ...routeHeaders(success) };
      const unmapped = success.result.unmapped;
      if (unmapped && unmapped.length > 0) {
        headers['x-switchyard-unmapped'] = unmapped.join(',');
        log.info({ target: success.target.label, unmapped }, 'request fields not carried to the target');
      }
      return success.result.kind === 'response'
        ? this.jsonOutcome(success, request, dialect, headers)
        : this.streamOutcome(success, request, dialect, headers, log);
    } catch (e) {
      const err = toGatewayError(e);
      if (err.code === 'GW_ERR_INTERNAL') this.logger.error({ err: e, requestId: call.requestId }, 'internal error');
      return errorOutcome(dialect, err, baseHeaders);
    }
  }

  private targetsFor(request: CoreRequest): Target[] {
    const targets = this.runtime.resolve(request.model);
    if (!request.fallbacks?.length) return targets;
    const all = [...targets];
    for (const f of request.fallbacks) {
      for (const t of this.runtime.resolve(f)) if (!all.includes(t)) all.push(t);
    }
    return all;
  }

  private deadlineMs(request: CoreRequest, headers: IncomingCall['headers']): number {
    const routing = this.runtime.config.routing;
    let ms = this.runtime.aliases.get(request.model)?.deadlineMs ?? routing.deadline_ms;
    const h = headers['x-switchyard-deadline-ms'];
    if (typeof h === 'string') {
      const n = Number(h);
      if (!Number.isFinite(n) || n <= 0) {
        throw new GatewayError('GW_ERR_INVALID_REQUEST', `x-switchyard-deadline-ms: expected a positive number of milliseconds, got "${h}"`, {
          param: 'x-switchyard-deadline-ms',
        });
      }
      ms = Math.min(n, routing.max_deadline_ms);
    }
    return ms;
  }

  private jsonOutcome(success: ChainSuccess, request: CoreRequest, dialect: ClientDialect, headers: Record<string, string>): GatewayOutcome {
    const result = success.result;
    if (result.kind !== 'response') throw new Error('unreachable');
    headers['content-type'] = 'application/json';
    const body =
      result.raw && result.raw.dialect === dialect.id
        ? result.raw.body
        : JSON.stringify(dialect.formatResponse(result.response, { requestModel: request.model, request }));
    return { kind: 'json', status: 200, headers, body };
  }

  private streamOutcome(
    success: ChainSuccess,
    request: CoreRequest,
    dialect: ClientDialect,
    headers: Record<string, string>,
    log: Logger,
  ): GatewayOutcome {
    const peeked = success.peeked!;
    headers['content-type'] = 'text/event-stream; charset=utf-8';
    headers['cache-control'] = 'no-cache';
    const passthrough = success.target.provider.adapter.nativeDialect === dialect.id;
    const encoder = dialect.createStreamEncoder({ requestModel: request.model, request });
    return {
      kind: 'stream',
      status: 200,
      headers,
      pipe(writer: StreamWriter) {
        const sink = createClientSink({ writer, encoder, passthrough, dialectId: dialect.id, onDone: success.release, log, pause: () => peeked.stream.pause(), resume: () => peeked.stream.resume(), abort: () => peeked.stream.abort() });
        peeked.commit(sink);
      },
    };
  }

  async close(): Promise<void> {
    await this.runtime.close();
  }
}

function routeHeaders(success: ChainSuccess): Record<string, string> {
  return {
    'x-switchyard-provider': success.target.provider.name,
    'x-switchyard-model': success.target.model,
    'x-switchyard-attempts': String(success.attempts.filter((a) => a.outcome !== 'skipped').length),
    'x-switchyard-fallback-index': String(success.fallbackIndex),
  };
}

export function errorOutcome(dialect: ClientDialect, err: GatewayError, headers: Record<string, string> = {}): GatewayOutcome {
  const h: Record<string, string> = { ...headers, 'content-type': 'application/json', 'x-switchyard-error-code': err.code };
  if (err.retryAfterMs !== undefined) h['retry-after'] = String(Math.ceil(err.retryAfterMs / 1000));
  return { kind: 'json', status: err.status, headers: h, body: JSON.stringify(dialect.formatError(err)) };
}

interface ClientSinkOptions {
  writer: StreamWriter;
  encoder: StreamEncoder;
  /** Write upstream frames as they came (client and upstream speak the same dialect). */
  passthrough: boolean;
  dialectId: DialectId;
  onDone: () => void;
  log: Logger;
  pause: () => void;
  resume: () => void;
  abort: () => void;
}

/** Writes committed frames to the client: raw when passing through, else through the encoder. */
function createClientSink(o: ClientSinkOptions): StreamSink {
  let closed = false;
  const finish = (tail: string) => {
    if (closed) return;
    closed = true;
    if (tail) o.writer.write(tail);
    o.writer.end();
    o.onDone();
  };
  const write = (text: string) => {
    if (!text || closed) return;
    if (!o.writer.write(text)) {
      o.pause();
      o.writer.onDrain(o.resume);
    }
  };
  return {
    frame(f: StreamFrame) {
      if (closed) return;
      if (o.passthrough) {
        if (f.raw) write(f.raw.event ? `event: ${f.raw.event}\ndata: ${f.raw.data}\n\n` : `data: ${f.raw.data}\n\n`);
        return;
      }
      let out = '';
      for (const e of f.events as StreamEvent[]) {
        if (e.type === 'error') {
          write(out);
          o.abort();
          finish(o.encoder.encodeError(e.error));
          return;
        }
        out += o.encoder.encode(e);
      }
      write(out);
    },
    end() {
      finish(o.passthrough ? '' : o.encoder.end());
    },
    error(err) {
      o.log.warn({ code: err.code, message: err.message }, 'stream failed after commit');
      finish(o.encoder.encodeError(err));
    },
  };
}

export function newRequestId(headers: IncomingCall['headers']): string {
  const h = headers['x-request-id'];
  return typeof h === 'string' && h.length > 0 && h.length <= 128 ? h : randomUUID();
}
