/**
 * Builds the canonical response from a stream's canonical events as they pass. One assembler for
 * every place that needs the whole answer of a stream: a non-stream client's answer, which the
 * gateway streams from upstream (`collectResponse`); a streamed answer the cache stores in the same
 * form as a JSON one; a round of the MCP tool loop. `event` has the shape of a stream tap's event
 * handler (pipeline/event-stream.ts), so a subclass can be the tap itself.
 */
import type { CoreResponse, ResponseChoice, ResponsePart, Usage } from './response.js';
import type { StreamEvent } from './stream-event.js';

/** A tool call streamed without arguments carries `{}`: every dialect's clients parse them as JSON. */
function emptyArgumentsAsObject(parts: ResponsePart[]): void {
  for (const part of parts) if (part.type === 'tool-call' && part.arguments === '') part.arguments = '{}';
}

export class ResponseAssembler {
  private readonly res: CoreResponse = { id: '', model: '', content: [], finishReason: 'other', usage: { inputTokens: 0, outputTokens: 0 } };
  private readonly usage: Partial<Usage> = {};
  /** Open blocks by their stream index (unique across choices). */
  private readonly blocks = new Map<number, ResponsePart>();
  /** Choices 1 and up (n > 1), by index; made on the first event of one. */
  private choices: Map<number, ResponseChoice> | undefined;
  /** Choice 0 reached its finish. */
  private finished = false;
  /** An error event passed. */
  private failed = false;

  event(e: StreamEvent): void {
    switch (e.type) {
      case 'start':
        this.res.id = e.id;
        this.res.model = e.model;
        if (e.created !== undefined) this.res.created = e.created;
        if (e.usage) Object.assign(this.usage, e.usage);
        return;
      case 'text-start':
        this.open(e.index, e.providerMetadata ? { type: 'text', text: '', providerMetadata: e.providerMetadata } : { type: 'text', text: '' }, e.choice);
        return;
      case 'text-delta': {
        const b = this.blocks.get(e.index) ?? this.open(e.index, { type: 'text', text: '' }, e.choice);
        if (b.type === 'text') b.text += e.text;
        return;
      }
      case 'reasoning-start':
        this.open(
          e.index,
          {
            type: 'reasoning',
            text: '',
            ...(e.redactedData !== undefined ? { redactedData: e.redactedData } : {}),
            ...(e.providerMetadata ? { providerMetadata: e.providerMetadata } : {}),
          },
          e.choice,
        );
        return;
      case 'reasoning-delta': {
        const b = this.blocks.get(e.index) ?? this.open(e.index, { type: 'reasoning', text: '' }, e.choice);
        if (b.type === 'reasoning') b.text += e.text;
        return;
      }
      case 'reasoning-signature': {
        const b = this.blocks.get(e.index);
        if (b?.type === 'reasoning') b.signature = (b.signature ?? '') + e.signature;
        return;
      }
      case 'tool-call-start':
        this.open(e.index, { type: 'tool-call', id: e.id, name: e.name, arguments: '', ...(e.providerMetadata ? { providerMetadata: e.providerMetadata } : {}) }, e.choice);
        return;
      case 'tool-call-delta': {
        const b = this.blocks.get(e.index);
        if (b?.type === 'tool-call') b.arguments += e.argumentsDelta;
        return;
      }
      case 'usage':
        Object.assign(this.usage, e.usage);
        return;
      case 'finish': {
        if (e.usage) Object.assign(this.usage, e.usage);
        if (e.choice) {
          const c = this.choice(e.choice);
          c.finishReason = e.finishReason;
          if (e.rawFinishReason !== undefined) c.rawFinishReason = e.rawFinishReason;
          return;
        }
        this.finished = true;
        this.res.finishReason = e.finishReason;
        if (e.rawFinishReason !== undefined) this.res.rawFinishReason = e.rawFinishReason;
        if (e.stopSequence !== undefined) this.res.stopSequence = e.stopSequence;
        return;
      }
      case 'error':
        this.failed = true;
        return;
      default:
        return;
    }
  }

  private choice(n: number): ResponseChoice {
    const choices = (this.choices ??= new Map());
    let c = choices.get(n);
    if (!c) choices.set(n, (c = { index: n, content: [], finishReason: 'other' }));
    return c;
  }

  private open(index: number, part: ResponsePart, choice: number | undefined): ResponsePart {
    this.blocks.set(index, part);
    (choice ? this.choice(choice).content : this.res.content).push(part);
    return part;
  }

  /** The response as far as the events went (every choice; a tool call without arguments gets `{}`). */
  response(): CoreResponse {
    const res = this.res;
    emptyArgumentsAsObject(res.content);
    if (this.choices) {
      res.choices = [...this.choices.values()].sort((a, b) => a.index - b.index);
      for (const c of res.choices) emptyArgumentsAsObject(c.content);
    }
    res.usage = { inputTokens: 0, outputTokens: 0, ...this.usage };
    return res;
  }

  /**
   * The whole answer, when the stream reached its finish without an error and carried a single
   * answer (choice 0 only); else undefined.
   */
  result(): CoreResponse | undefined {
    if (this.failed || this.choices || !this.finished || this.res.finishReason === 'error') return undefined;
    return this.response();
  }
}
