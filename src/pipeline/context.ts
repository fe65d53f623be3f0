/**
 * The per-request context: everything a middleware may read or change about one request, created
 * when the request arrives and dropped when its answer is finished. The runtime snapshot is
 * captured once here; nothing in the pipeline reads "the current config" after that.
 */
import type { ApiId } from '../core/dialect.js';
import type { EmbeddingsRequest } from '../core/embeddings.js';
import type { CoreRequest } from '../core/request.js';
import type { ClientDialect } from '../dialects/client-dialect.js';
import type { Logger } from '../observability/logger.js';
import type { AttemptRecord } from '../routing/execute-chain.js';
import type { Runtime } from '../routing/runtime.js';

/** Lower-case request headers, as node:http gives them. */
export type RequestHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** Who sent the request, once an authentication middleware has established it. */
export interface Principal {
  /** A stable id for logs, metrics and limits (a virtual key's name, or a client key's id) — never the secret. */
  id: string;
  kind: 'virtual-key' | 'client-key';
  /** The team the key belongs to, if any. */
  team?: string;
}

/** A typed slot in a request's state bag; make one per feature with `stateKey`. */
export interface StateKey<T> {
  readonly name: string;
  /** Phantom: carries T for type inference only. */
  readonly __type?: T;
}

export function stateKey<T>(name: string): StateKey<T> {
  return Object.freeze({ name });
}

/** Per-request state for middleware, keyed by typed slots. */
export class StateBag {
  /** Made on the first set: most requests (no middleware) never store anything. */
  private slots: Map<StateKey<unknown>, unknown> | undefined;
  get<T>(key: StateKey<T>): T | undefined {
    return this.slots?.get(key as StateKey<unknown>) as T | undefined;
  }
  set<T>(key: StateKey<T>, value: T): void {
    (this.slots ??= new Map()).set(key as StateKey<unknown>, value);
  }
  has(key: StateKey<unknown>): boolean {
    return this.slots?.has(key) ?? false;
  }
}

export interface ChatContext extends BaseContext {
  readonly kind: 'chat';
  /** The canonical request; replace it with `rewrite`, never mutate it in place. */
  readonly request: CoreRequest;
  /** True once a middleware rewrote the request: raw same-dialect passthrough is off. */
  readonly rewritten: boolean;
  /** Replaces the canonical request for the rest of the pipeline (turns raw passthrough off). */
  rewrite(next: CoreRequest): void;
}

export interface EmbeddingsContext extends BaseContext {
  readonly kind: 'embeddings';
  readonly request: EmbeddingsRequest;
}

export type RequestContext = ChatContext | EmbeddingsContext;

export interface ContextInit {
  id: string;
  api: ApiId;
  dialect: ClientDialect;
  headers: RequestHeaders;
  snapshot: Runtime;
  signal: AbortSignal;
  startedAt: number;
  log: Logger;
  deadlineAt: number;
}

/**
 * What every request context has. Plain fields set once in the constructor: one object shape per
 * kind, cheap to make per request.
 */
class BaseContext {
  readonly id: string;
  /** What the client spoke: a chat dialect or the embeddings endpoint. */
  readonly api: ApiId;
  /** The dialect errors and answers are written in. */
  readonly dialect: ClientDialect;
  readonly headers: RequestHeaders;
  /** The runtime snapshot this request runs on, captured once when it arrived. */
  readonly snapshot: Runtime;
  /** Aborted when the client goes away. */
  readonly signal: AbortSignal;
  /** performance.now() when the request arrived. */
  readonly startedAt: number;
  readonly log: Logger;
  /** Filled by an authentication middleware. */
  principal?: Principal;
  /** Absolute time (the gateway clock's scale) by which an answer must have started. */
  deadlineAt: number;
  readonly state = new StateBag();
  /** Headers added to the client's response (success or refusal), e.g. rate-limit headers. */
  readonly responseHeaders: Record<string, string> = {};
  /** Every upstream attempt of every `next()` call, in order. */
  readonly attempts: AttemptRecord[] = [];
  constructor(init: ContextInit) {
    this.id = init.id;
    this.api = init.api;
    this.dialect = init.dialect;
    this.headers = init.headers;
    this.snapshot = init.snapshot;
    this.signal = init.signal;
    this.startedAt = init.startedAt;
    this.log = init.log;
    this.deadlineAt = init.deadlineAt;
  }
}

class ChatContextImpl extends BaseContext implements ChatContext {
  readonly kind = 'chat' as const;
  private current: CoreRequest;
  private changed = false;
  constructor(init: ContextInit, request: CoreRequest) {
    super(init);
    this.current = request;
  }
  get request(): CoreRequest {
    return this.current;
  }
  get rewritten(): boolean {
    return this.changed;
  }
  rewrite(next: CoreRequest): void {
    this.changed = true;
    this.current = next.rewritten ? next : { ...next, rewritten: true };
  }
}

class EmbeddingsContextImpl extends BaseContext implements EmbeddingsContext {
  readonly kind = 'embeddings' as const;
  constructor(
    init: ContextInit,
    readonly request: EmbeddingsRequest,
  ) {
    super(init);
  }
}

export function createChatContext(init: ContextInit, request: CoreRequest): ChatContext {
  return new ChatContextImpl(init, request);
}

export function createEmbeddingsContext(init: ContextInit, request: EmbeddingsRequest): EmbeddingsContext {
  return new EmbeddingsContextImpl(init, request);
}
