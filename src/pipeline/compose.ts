/**
 * Middleware in the shape of koa/hono: `(ctx, next) => Promise<result>`. The chain is composed once
 * per runtime snapshot; a middleware may call `next()` more than once (a loop), each call running
 * the rest of the chain again with the context as it is then.
 */
import type { ChatContext, EmbeddingsContext, RequestContext } from './context.js';
import type { ChatResult, EmbeddingsResult, PipelineResult } from './result.js';

export type Next<R> = () => Promise<R>;

/** A middleware for both kinds of request; narrow on `ctx.kind` where it matters. */
export type Middleware = (ctx: RequestContext, next: Next<PipelineResult>) => Promise<PipelineResult>;
export type ChatMiddleware = (ctx: ChatContext, next: Next<ChatResult>) => Promise<ChatResult>;
export type EmbeddingsMiddleware = (ctx: EmbeddingsContext, next: Next<EmbeddingsResult>) => Promise<EmbeddingsResult>;

/** The step at the end of a chain (route + attempts). */
export type Terminal<C, R> = (ctx: C) => Promise<R>;

/**
 * Composes middleware around a terminal step. With no middleware the result is the terminal
 * itself: an unused pipeline costs nothing per request.
 */
export function compose<C, R>(middleware: ReadonlyArray<(ctx: C, next: Next<R>) => Promise<R>>, terminal: Terminal<C, R>): Terminal<C, R> {
  let run = terminal;
  for (let i = middleware.length - 1; i >= 0; i--) {
    const mw = middleware[i]!;
    const inner = run;
    run = (ctx) => mw(ctx, () => inner(ctx));
  }
  return run;
}

/** A middleware written for one kind, applied to both chains: it passes the other kind through. */
export function forChat(mw: ChatMiddleware): Middleware {
  return function chatOnly(ctx, next) {
    if (ctx.kind !== 'chat') return next();
    return mw(ctx, next as Next<ChatResult>);
  };
}
