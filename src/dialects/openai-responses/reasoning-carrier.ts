/**
 * Reasoning from a non-OpenAI upstream (Anthropic thinking with its signature, redacted thinking,
 * Gemini thought signatures) shown to a Responses client as a `reasoning` item. Responses clients
 * (the Agents SDK, Codex) send reasoning items back verbatim on the next turn, and the upstream
 * needs the signature back to continue a thinking conversation with tools, so the item's
 * `encrypted_content` carries the canonical part: `sy1.` + base64url(JSON). It is opaque to
 * clients, exactly like OpenAI's own encrypted reasoning. Not encrypted: it holds nothing the
 * client did not already receive.
 */
import type { ReasoningPart } from '../../core/request.js';

const PREFIX = 'sy1.';

/** The carrier for a reasoning part, or undefined when it has nothing to carry back (no signature or data). */
export function encodeReasoningCarrier(part: ReasoningPart): string | undefined {
  if (part.signature === undefined && part.redactedData === undefined && part.providerMetadata === undefined) return undefined;
  const payload: Record<string, unknown> = { t: part.text };
  if (part.signature !== undefined) payload.s = part.signature;
  if (part.redactedData !== undefined) payload.r = part.redactedData;
  if (part.providerMetadata !== undefined) payload.m = part.providerMetadata;
  return PREFIX + Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

/** The canonical part in a carrier, or undefined when the text is not one (e.g. OpenAI's own). */
export function decodeReasoningCarrier(text: string): ReasoningPart | undefined {
  if (!text.startsWith(PREFIX)) return undefined;
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(text.slice(PREFIX.length), 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof payload !== 'object' || payload === null) return undefined;
  const p = payload as Record<string, unknown>;
  const part: ReasoningPart = { type: 'reasoning', text: typeof p.t === 'string' ? p.t : '' };
  if (typeof p.s === 'string') part.signature = p.s;
  if (typeof p.r === 'string') part.redactedData = p.r;
  if (typeof p.m === 'object' && p.m !== null) part.providerMetadata = p.m as Record<string, unknown>;
  return part;
}
