/** Canonical finish reason → Anthropic `stop_reason`. */
import type { FinishReason } from '../../core/response.js';

const ANTHROPIC_STOP_REASONS: Readonly<Record<string, FinishReason>> = {
  end_turn: 'stop',
  stop_sequence: 'stop-sequence',
  max_tokens: 'length',
  tool_use: 'tool-calls',
  refusal: 'refusal',
  pause_turn: 'pause',
  model_context_window_exceeded: 'length',
};

/**
 * The Anthropic stop reason for a canonical one. When the upstream's own reason is an Anthropic
 * value that means the same thing (an Anthropic-family upstream), it is kept as is, so e.g.
 * `model_context_window_exceeded` survives the round trip.
 */
export function formatAnthropicStopReason(reason: FinishReason, raw?: string): string {
  if (raw !== undefined && ANTHROPIC_STOP_REASONS[raw] === reason) return raw;
  switch (reason) {
    case 'stop':
      return 'end_turn';
    case 'stop-sequence':
      return 'stop_sequence';
    case 'length':
      return 'max_tokens';
    case 'tool-calls':
      return 'tool_use';
    case 'content-filter':
    case 'refusal':
      return 'refusal';
    case 'pause':
      return 'pause_turn';
    case 'error':
    case 'other':
      return 'end_turn';
  }
}
