/**
 * Gemini `streamGenerateContent?alt=sse` chunks → canonical stream events. Every chunk is a whole
 * GenerateContentResponse holding the next parts. Consecutive text parts form one text block,
 * thought parts one reasoning block; each function call is its own block. Block indexes are given
 * in order of appearance.
 *
 * Function calls arrive whole (`name` + `args`), or, with streamed arguments, as a `name` with
 * `willContinue`, then `partialArgs` ({jsonPath, stringValue|numberValue|boolValue|nullValue}),
 * then an empty functionCall; the arguments are assembled and sent as one delta when the call ends.
 * A finishReason ends the response (STOP with function calls = tool-calls).
 */
import { GatewayError } from '../../core/errors.js';
import type { Usage } from '../../core/response.js';
import type { StreamEvent } from '../../core/stream-event.js';
import type { StreamMapper } from '../shared/sse-stream.js';
import { mapGeminiStreamError } from './map-gemini-error.js';
import { geminiCallId, mapGeminiFinishReason, mapGeminiUsage } from './map-gemini-response.js';
import { geminiMetadata } from './thought-signatures.js';

export interface GeminiStreamMapperOptions {
  provider: string;
  model: string;
  rememberSignature?: (id: string, signature: string) => void;
}

type Obj = Record<string, any>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

interface PartialCall {
  index: number;
  args: Obj;
}

export function createGeminiStreamMapper(options: GeminiStreamMapperOptions): StreamMapper {
  const { provider } = options;
  let started = false;
  let finished = false;
  let responseId = '';
  let nextIndex = 0;
  let open = -1;
  let openKind: 'text' | 'reasoning' | 'tool' | undefined;
  let calls = 0;
  let partial: PartialCall | undefined;
  let usage: Usage | undefined;

  const close = (out: StreamEvent[]) => {
    if (partial) {
      out.push({ type: 'tool-call-delta', index: partial.index, argumentsDelta: JSON.stringify(partial.args) });
      partial = undefined;
    }
    if (open < 0) return;
    if (openKind === 'text') out.push({ type: 'text-end', index: open });
    else if (openKind === 'reasoning') out.push({ type: 'reasoning-end', index: open });
    else out.push({ type: 'tool-call-end', index: open });
    open = -1;
    openKind = undefined;
  };

  const startCall = (fc: Obj, sig: string | undefined, out: StreamEvent[]): number => {
    close(out);
    const index = nextIndex++;
    const id = geminiCallId(responseId, calls++, fc);
    const start: StreamEvent = { type: 'tool-call-start', index, id, name: String(fc.name ?? '') };
    if (sig) {
      start.providerMetadata = geminiMetadata(sig);
      options.rememberSignature?.(id, sig);
    }
    out.push(start);
    open = index;
    openKind = 'tool';
    return index;
  };

  const onFunctionCall = (fc: Obj, sig: string | undefined, out: StreamEvent[]) => {
    const hasName = typeof fc.name === 'string' && fc.name.length > 0;
    if (hasName && fc.willContinue !== true) {
      // A whole call.
      const index = startCall(fc, sig, out);
      const args = isObj(fc.args) ? fc.args : {};
      out.push({ type: 'tool-call-delta', index, argumentsDelta: JSON.stringify(args) });
      close(out);
      return;
    }
    if (hasName) {
      // The start of a call whose arguments are streamed.
      const index = startCall(fc, sig, out);
      partial = { index, args: isObj(fc.args) ? { ...fc.args } : {} };
      return;
    }
    if (partial && Array.isArray(fc.partialArgs)) {
      for (const pa of fc.partialArgs) if (isObj(pa)) applyPartialArg(partial.args, pa);
    }
    // An empty functionCall, or partial arguments without willContinue, ends the call.
    if (fc.willContinue !== true) close(out);
  };

  const onText = (p: Obj, out: StreamEvent[]) => {
    const text: string = p.text;
    const kind = p.thought === true ? 'reasoning' : 'text';
    if (text.length === 0) return;
    if (open < 0 || openKind !== kind) {
      close(out);
      open = nextIndex++;
      openKind = kind;
      out.push(kind === 'text' ? { type: 'text-start', index: open } : { type: 'reasoning-start', index: open });
    }
    out.push(kind === 'text' ? { type: 'text-delta', index: open, text } : { type: 'reasoning-delta', index: open, text });
  };

  return {
    get finished() {
      return finished;
    },
    push(message, out) {
      if (finished) return;
      let chunk: unknown;
      try {
        chunk = JSON.parse(message.data);
      } catch {
        throw new GatewayError('GW_ERR_UPSTREAM_PROTOCOL', `${provider}: stream chunk is not JSON: ${message.data.slice(0, 200)}`, { provider });
      }
      if (Array.isArray(chunk)) chunk = chunk[0];
      if (!isObj(chunk)) throw new GatewayError('GW_ERR_UPSTREAM_PROTOCOL', `${provider}: stream chunk is not a JSON object`, { provider });
      if (isObj(chunk.error)) {
        out.push({ type: 'error', error: mapGeminiStreamError(chunk, provider) });
        finished = true;
        return;
      }
      if (!started) {
        started = true;
        if (typeof chunk.responseId === 'string') responseId = chunk.responseId;
        out.push({ type: 'start', id: responseId, model: typeof chunk.modelVersion === 'string' ? chunk.modelVersion : options.model });
      }
      if (chunk.usageMetadata !== undefined) usage = mapGeminiUsage(chunk.usageMetadata);
      const candidate: Obj | undefined = Array.isArray(chunk.candidates) && isObj(chunk.candidates[0]) ? chunk.candidates[0] : undefined;
      const parts: unknown[] = isObj(candidate?.content) && Array.isArray(candidate.content.parts) ? candidate.content.parts : [];
      for (const p of parts) {
        if (!isObj(p)) continue;
        const sig = typeof p.thoughtSignature === 'string' && p.thoughtSignature.length > 0 ? p.thoughtSignature : undefined;
        if (isObj(p.functionCall)) onFunctionCall(p.functionCall, sig, out);
        else if (typeof p.text === 'string') {
          if (p.text.length > 0) {
            if (partial) close(out);
            onText(p, out);
          }
        }
      }
      const blockReason = candidate === undefined && isObj(chunk.promptFeedback) ? chunk.promptFeedback.blockReason : undefined;
      const reason = typeof candidate?.finishReason === 'string' ? candidate.finishReason : typeof blockReason === 'string' ? blockReason : undefined;
      if (reason !== undefined) {
        close(out);
        const finish: StreamEvent = {
          type: 'finish',
          finishReason: blockReason !== undefined ? 'content-filter' : mapGeminiFinishReason(reason, calls > 0),
          rawFinishReason: reason,
        };
        if (usage) finish.usage = usage;
        out.push(finish);
        finished = true;
      } else if (chunk.usageMetadata !== undefined && parts.length === 0 && started) {
        if (usage) out.push({ type: 'usage', usage });
      }
      return;
    },
  };
}

/** Sets (or, for strings, extends) the value at a `$.a.b[0].c` path. */
export function applyPartialArg(root: Obj, pa: Obj): void {
  const path = typeof pa.jsonPath === 'string' ? pa.jsonPath : undefined;
  if (!path) return;
  const keys: Array<string | number> = [];
  const re = /\.([^.[\]]+)|\[(\d+)\]|\['([^']*)'\]/g;
  let m: RegExpExecArray | null;
  const body = path.startsWith('$') ? path.slice(1) : path;
  while ((m = re.exec(body)) !== null) keys.push(m[2] !== undefined ? Number(m[2]) : (m[1] ?? m[3] ?? ''));
  if (keys.length === 0) return;
  let value: unknown;
  let isString = false;
  if (typeof pa.stringValue === 'string') {
    value = pa.stringValue;
    isString = true;
  } else if (pa.numberValue !== undefined) value = pa.numberValue;
  else if (pa.boolValue !== undefined) value = pa.boolValue;
  else if (pa.nullValue !== undefined) value = null;
  else return;
  let node: any = root;
  for (let i = 0; i < keys.length - 1; i++) {
    const k = keys[i]!;
    if (node[k] === undefined || node[k] === null || typeof node[k] !== 'object') node[k] = typeof keys[i + 1] === 'number' ? [] : {};
    node = node[k];
  }
  const last = keys[keys.length - 1]!;
  node[last] = isString && typeof node[last] === 'string' ? node[last] + (value as string) : value;
}
