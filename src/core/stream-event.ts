import type { FinishReason, Usage } from './response.js';

/**
 * Canonical stream events. Blocks (text, reasoning, tool call) each open, take deltas and close,
 * keyed by a block index that is unique within one response.
 */
export type StreamEvent =
  | { type: 'start'; id: string; model: string; created?: number; usage?: Partial<Usage> }
  | { type: 'text-start'; index: number; providerMetadata?: Record<string, unknown> }
  | { type: 'text-delta'; index: number; text: string }
  | { type: 'text-end'; index: number }
  | { type: 'reasoning-start'; index: number; redactedData?: string; providerMetadata?: Record<string, unknown> }
  | { type: 'reasoning-delta'; index: number; text: string }
  | { type: 'reasoning-signature'; index: number; signature: string }
  | { type: 'reasoning-end'; index: number }
  | { type: 'tool-call-start'; index: number; id: string; name: string; providerMetadata?: Record<string, unknown> }
  | { type: 'tool-call-delta'; index: number; argumentsDelta: string }
  | { type: 'tool-call-end'; index: number }
  | { type: 'usage'; usage: Partial<Usage> }
  | { type: 'finish'; finishReason: FinishReason; rawFinishReason?: string; stopSequence?: string; usage?: Partial<Usage> }
  | { type: 'error'; error: import('./errors.js').GatewayError };

/** True for events that put model output in front of the client: the stream's commit point. */
export function isContentEvent(e: StreamEvent): boolean {
  switch (e.type) {
    case 'text-delta':
    case 'reasoning-delta':
    case 'tool-call-start':
    case 'finish':
      return true;
    default:
      return false;
  }
}
