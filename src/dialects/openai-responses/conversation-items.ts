/**
 * Conversation state for `previous_response_id`, as pure functions over Responses items: what a
 * stored response contributes to the next request's input, and the input items a response is
 * stored with (each with an id, as GET /v1/responses/{id}/input_items lists them).
 */
import { randomBytes } from 'node:crypto';

type Item = Record<string, unknown>;

function isRecord(v: unknown): v is Item {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A request's `input` as items: a string is one user message. Undefined when it is neither (the parser reports it). */
export function inputAsItems(input: unknown): Item[] | undefined {
  if (typeof input === 'string') return [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: input }] }];
  if (Array.isArray(input) && input.every(isRecord)) return input;
  return undefined;
}

/**
 * The output of a stored response as input items for the turn after it: assistant text as an
 * assistant message, function calls as they were, reasoning only when it carries something the
 * model can take back (encrypted content). Item ids are dropped: they name items of the gateway's
 * store, which an upstream does not know.
 */
export function outputAsInput(output: unknown): Item[] {
  if (!Array.isArray(output)) return [];
  const items: Item[] = [];
  for (const o of output) {
    if (!isRecord(o)) continue;
    if (o.type === 'message') {
      const text = (Array.isArray(o.content) ? o.content : [])
        .filter(isRecord)
        .map((p) => (p.type === 'output_text' && typeof p.text === 'string' ? p.text : p.type === 'refusal' && typeof p.refusal === 'string' ? p.refusal : ''))
        .join('');
      items.push({ type: 'message', role: 'assistant', content: text });
    } else if (o.type === 'function_call') {
      items.push({ type: 'function_call', call_id: o.call_id, name: o.name, arguments: o.arguments });
    } else if (o.type === 'reasoning') {
      if (typeof o.encrypted_content === 'string') items.push({ type: 'reasoning', id: o.id, summary: Array.isArray(o.summary) ? o.summary : [], encrypted_content: o.encrypted_content });
    }
    // Hosted-tool items (web search, file search, …) were the upstream's own doing: not carried.
  }
  return items;
}

/** Items as they go upstream: without the ids the gateway's store gave them (reasoning keeps its own). */
export function withoutStoreIds(items: Item[]): Item[] {
  return items.map((item) => {
    if (item.id === undefined || item.type === 'reasoning') return item;
    const { id: _id, ...rest } = item;
    return rest;
  });
}

/** Items as they are stored: each with an id (a fresh one where the client sent none). */
export function withItemIds(items: Item[]): Item[] {
  return items.map((item) => {
    if (typeof item.id === 'string' && item.id) return item;
    const prefix = item.type === 'function_call' ? 'fc' : item.type === 'function_call_output' ? 'fco' : item.type === 'reasoning' ? 'rs' : 'msg';
    const typed = item.type === undefined ? { type: 'message', ...item } : item;
    return { id: `${prefix}_${randomBytes(16).toString('hex')}`, ...typed };
  });
}
