/**
 * For a request that calls upstream more than once (the MCP gateway's rounds, the semantic
 * cache's embeddings): what governance needs to keep a budget whole. Before each further call, its
 * worst case is reserved (or the call refused, with the same error a first call would get); after
 * each call, its usage and the target that answered, so the settlement prices every call at its
 * own target. Set by governance on requests with token or budget limits; absent otherwise.
 */
import type { CoreRequest } from '../core/request.js';
import type { Usage } from '../core/response.js';
import { stateKey } from './context.js';
import type { RouteInfo } from './result.js';

export interface SpendMeter {
  /** Reserves the worst case of the next call for `request`; throws the refusal when it does not fit. */
  beforeCall(request: CoreRequest): Promise<void>;
  /** A call ended with this usage, answered by this route (undefined: none answered). */
  afterCall(usage: Partial<Usage> | undefined, route: RouteInfo | undefined): void;
  /**
   * An embeddings call made for this request (the semantic cache's): reserves its worst case, or
   * throws the refusal when it does not fit; call the function returned when it ended, with its
   * usage and the route that answered (undefined: it failed), to settle it.
   */
  embeddingsCall(model: string, texts: string[]): Promise<(usage: Partial<Usage> | undefined, route: RouteInfo | undefined) => void>;
}

export const SPEND_METER = stateKey<SpendMeter>('spend-meter');
