/**
 * Builds the canonical response from a stream's canonical events as they pass, so a streamed
 * answer can be stored in the same form as a JSON one. `result()` is undefined unless the stream
 * reached its finish without an error and carried a single answer (choice 0 only). `event` is a
 * stream tap's event handler (pipeline/event-stream.ts), so a subclass can be the tap itself.
 */
import type { CoreResponse, ResponsePart, Usage } from '../core/response.js';
import type { StreamEvent } from '../core/stream-event.js';

export class ResponseAssembler {
  private readonly res: CoreResponse = { id: '', model: '', content: [], finishReason: 'other', usage: { inputTokens: 0, outputTokens: 0 } };
  private readonly usage: Partial<Usage> = {};
  private readonly blocks = new Map<number, ResponsePart>();
  private finished = false;
  private broken = false;

  event(e: StreamEvent): void {
    if (this.broken) return;
    if ('choice' in e && e.choice) {
      this.broken = true;
      return;
    }
    switch (e.type) {
      case 'start':
        this.res.id = e.id;
        this.res.model = e.model;
        if (e.created !== undefined) this.res.created = e.created;
        if (e.usage) Object.assign(this.usage, e.usage);
        return;
      case 'text-start':
        this.open(e.index, e.providerMetadata ? { type: 'text', text: '', providerMetadata: e.providerMetadata } : { type: 'text', text: '' });
        return;
      case 'text-delta': {
        const b = this.blocks.get(e.index) ?? this.open(e.index, { type: 'text', text: '' });
        if (b.type === 'text') b.text += e.text;
        return;
      }
      case 'reasoning-start':
        this.open(e.index, {
          type: 'reasoning',
          text: '',
          ...(e.redactedData !== undefined ? { redactedData: e.redactedData } : {}),
          ...(e.providerMetadata ? { providerMetadata: e.providerMetadata } : {}),
        });
        return;
      case 'reasoning-delta': {
        const b = this.blocks.get(e.index) ?? this.open(e.index, { type: 'reasoning', text: '' });
        if (b.type === 'reasoning') b.text += e.text;
        return;
      }
      case 'reasoning-signature': {
        const b = this.blocks.get(e.index);
        if (b?.type === 'reasoning') b.signature = (b.signature ?? '') + e.signature;
        return;
      }
      case 'tool-call-start':
        this.open(e.index, { type: 'tool-call', id: e.id, name: e.name, arguments: '', ...(e.providerMetadata ? { providerMetadata: e.providerMetadata } : {}) });
        return;
      case 'tool-call-delta': {
        const b = this.blocks.get(e.index);
        if (b?.type === 'tool-call') b.arguments += e.argumentsDelta;
        return;
      }
      case 'usage':
        Object.assign(this.usage, e.usage);
        return;
      case 'finish':
        this.finished = true;
        this.res.finishReason = e.finishReason;
        if (e.rawFinishReason !== undefined) this.res.rawFinishReason = e.rawFinishReason;
        if (e.stopSequence !== undefined) this.res.stopSequence = e.stopSequence;
        if (e.usage) Object.assign(this.usage, e.usage);
        return;
      case 'error':
        this.broken = true;
        return;
      default:
        return;
    }
  }

  private open(index: number, part: ResponsePart): ResponsePart {
    this.blocks.set(index, part);
    this.res.content.push(part);
    return part;
  }

  /** The whole answer, when the stream finished cleanly with one answer; else undefined. */
  result(): CoreResponse | undefined {
    if (this.broken || !this.finished || this.res.finishReason === 'error') return undefined;
    for (const part of this.res.content) if (part.type === 'tool-call' && part.arguments === '') part.arguments = '{}';
    this.res.usage = { inputTokens: 0, outputTokens: 0, ...this.usage };
    return this.res;
  }
}
