/**
 * Some hosts (Mistral's reasoning models) answer with `content` as an array of typed chunks —
 * `{type:'text', text}` and `{type:'thinking', thinking:[{type:'text', text}]}` — where OpenAI has
 * a string. This turns such a response or stream chunk into OpenAI's shape: text joined into
 * `content`, thinking into `reasoning_content`.
 */

type Obj = Record<string, any>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function flatten(parts: unknown[]): { text: string; thinking: string } {
  let text = '';
  let thinking = '';
  for (const p of parts) {
    if (typeof p === 'string') text += p;
    else if (!isObj(p)) continue;
    else if (p.type === 'text' && typeof p.text === 'string') text += p.text;
    else if (p.type === 'thinking') {
      const inner = p.thinking;
      if (typeof inner === 'string') thinking += inner;
      else if (Array.isArray(inner)) thinking += flatten(inner).text;
    }
  }
  return { text, thinking };
}

function normalizeMessage(m: Obj): Obj | undefined {
  if (!Array.isArray(m.content)) return undefined;
  const { text, thinking } = flatten(m.content);
  const out: Obj = { ...m, content: text };
  if (thinking) out.reasoning_content = (typeof m.reasoning_content === 'string' ? m.reasoning_content : '') + thinking;
  return out;
}

/** Returns the payload in OpenAI's shape, or undefined when no message content was an array. */
export function normalizeContentParts(payload: Record<string, unknown>): Record<string, unknown> | undefined {
  if (!Array.isArray(payload.choices)) return undefined;
  let changed = false;
  const choices = payload.choices.map((c: unknown) => {
    if (!isObj(c)) return c;
    const key = isObj(c.message) ? 'message' : isObj(c.delta) ? 'delta' : undefined;
    if (!key) return c;
    const m = normalizeMessage(c[key]);
    if (!m) return c;
    changed = true;
    return { ...c, [key]: m };
  });
  return changed ? { ...payload, choices } : undefined;
}
