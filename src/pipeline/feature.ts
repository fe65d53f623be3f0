/**
 * What a feature (governance, cache, mcp …) gives the gateway: a factory of middleware per snapshot,
 * and what the gateway lends it in return.
 */
import type { Logger } from '../observability/logger.js';
import type { CircuitBreakers } from '../routing/circuit-breaker.js';
import type { Clock } from '../routing/clock.js';
import type { Runtime } from '../routing/runtime.js';
import type { Middleware } from './compose.js';
import type { Principal } from './context.js';
import type { SpendMeter } from './spend-meter.js';

/** What the gateway lends middleware beyond the request: its clock, breakers, and an embeddings call. */
export interface GatewayServices {
  readonly clock: Clock;
  readonly breakers: CircuitBreakers;
  readonly logger: Logger;
  /**
   * Embeds texts through the gateway's own routing on `snapshot` (aliases, fallbacks, breakers),
   * recorded like a client's embeddings request (spend, logs, metrics) with `purpose` in the record,
   * and charged through `meter` to the budgets of the request it is made for. Rejects with a
   * GatewayError (the meter's refusal included); `timeoutMs` bounds the whole call.
   */
  embed(args: { snapshot: Runtime; model: string; texts: string[]; timeoutMs: number; signal?: AbortSignal; purpose: string; requestId: string; principal?: Principal; meter?: SpendMeter }): Promise<number[][]>;
  /**
   * Runs `fn` once `snapshot` has been replaced and the last request on it has ended: a factory
   * gives back what only that snapshot used (a store of an old config). Not run when the gateway
   * closes (features close their own things then).
   */
  whenRetired(snapshot: Runtime, fn: () => void): void;
}

/**
 * Builds a feature's middleware for one snapshot (called once per swap, never per request);
 * returns undefined when the feature is off there, so it costs nothing.
 */
export type MiddlewareFactory = (snapshot: Runtime, services: GatewayServices) => Middleware | undefined;
