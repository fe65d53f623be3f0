import type { FinishReason, Usage } from './response.js';

/**
 * Canonical stream events. Blocks (text, reasoning, tool call) each open, take deltas and close,
 * keyed by a block index that is unique within one response.
 *
 * `choice`: which of several answers an event belongs to, when the client asked for more than one
 * (OpenAI `n`) and the upstream gave them; absent means choice 0. Only a provider that carries `n`
 * emits choice > 0 (its block indexes stay unique across choices), and only a client of that same
 * dialect asks for it.
 */
type Choice = { choice?: number };
export type StreamEvent =
  | { type: 'start'; id: string; model: string; created?: number; usage?: Partial<Usage> }
  | ({ type: 'text-start'; index: number; providerMetadata?: Record<string, unknown> } & Choice)
  | ({ type: 'text-delta'; index: number; text: string } & Choice)
  | ({ type: 'text-end'; index: number } & Choice)
  | ({ type: 'reasoning-start'; index: number; redactedData?: string; providerMetadata?: Record<string, unknown> } & Choice)
  | ({ type: 'reasoning-delta'; index: number; text: string } & Choice)
  | ({ type: 'reasoning-signature'; index: number; signature: string } & Choice)
  | ({ type: 'reasoning-end'; index: number } & Choice)
  | ({ type: 'tool-call-start'; index: number; id: string; name: string; providerMetadata?: Record<string, unknown> } & Choice)
  | ({ type: 'tool-call-delta'; index: number; argumentsDelta: string } & Choice)
  | ({ type: 'tool-call-end'; index: number } & Choice)
  | { type: 'usage'; usage: Partial<Usage> }
  | ({ type: 'finish'; finishReason: FinishReason; rawFinishReason?: string; stopSequence?: string; usage?: Partial<Usage> } & Choice)
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
