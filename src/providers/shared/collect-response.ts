/**
 * Assembles a canonical response from a committed upstream stream. The gateway streams from
 * upstream even for non-stream clients, so that "first byte" means the first token for every
 * request (fail fast on a dead path without cutting long answers), and a failure mid-way can still
 * be retried: nothing has reached the client yet.
 */
import type { GatewayError } from '../../core/errors.js';
import type { CoreResponse, ResponseChoice, ResponsePart, Usage } from '../../core/response.js';
import type { StreamEvent } from '../../core/stream-event.js';
import type { StreamSink } from '../provider-adapter.js';
import type { PeekedStream } from './peek-before-commit.js';

export function collectResponse(peeked: PeekedStream): Promise<CoreResponse> {
  return new Promise<CoreResponse>((resolve, reject) => {
    const res: CoreResponse = { id: '', model: '', content: [], finishReason: 'other', usage: { inputTokens: 0, outputTokens: 0 } };
    const usage: Partial<Usage> = {};
    const blocks = new Map<number, ResponsePart>();
    /** Choices 1 and up, by index. */
    const choices = new Map<number, ResponseChoice>();
    const choiceOf = (n: number): ResponseChoice => {
      let c = choices.get(n);
      if (!c) choices.set(n, (c = { index: n, content: [], finishReason: 'other' }));
      return c;
    };
    let failed = false;

    const apply = (e: StreamEvent) => {
      switch (e.type) {
        case 'start':
          res.id = e.id;
          res.model = e.model;
          if (e.created !== undefined) res.created = e.created;
          if (e.usage) Object.assign(usage, e.usage);
          return;
        case 'text-start':
          open(e.index, e.providerMetadata ? { type: 'text', text: '', providerMetadata: e.providerMetadata } : { type: 'text', text: '' }, e.choice);
          return;
        case 'text-delta': {
          const b = blocks.get(e.index) ?? open(e.index, { type: 'text', text: '' }, e.choice);
          if (b.type === 'text') b.text += e.text;
          return;
        }
        case 'reasoning-start':
          open(e.index, {
            type: 'reasoning',
            text: '',
            ...(e.redactedData !== undefined ? { redactedData: e.redactedData } : {}),
            ...(e.providerMetadata ? { providerMetadata: e.providerMetadata } : {}),
          }, e.choice);
          return;
        case 'reasoning-delta': {
          const b = blocks.get(e.index) ?? open(e.index, { type: 'reasoning', text: '' }, e.choice);
          if (b.type === 'reasoning') b.text += e.text;
          return;
        }
        case 'reasoning-signature': {
          const b = blocks.get(e.index);
          if (b?.type === 'reasoning') b.signature = (b.signature ?? '') + e.signature;
          return;
        }
        case 'tool-call-start':
          open(e.index, { type: 'tool-call', id: e.id, name: e.name, arguments: '', ...(e.providerMetadata ? { providerMetadata: e.providerMetadata } : {}) }, e.choice);
          return;
        case 'tool-call-delta': {
          const b = blocks.get(e.index);
          if (b?.type === 'tool-call') b.arguments += e.argumentsDelta;
          return;
        }
        case 'usage':
          Object.assign(usage, e.usage);
          return;
        case 'finish':
          if (e.choice) {
            const c = choiceOf(e.choice);
            c.finishReason = e.finishReason;
            if (e.rawFinishReason !== undefined) c.rawFinishReason = e.rawFinishReason;
            if (e.usage) Object.assign(usage, e.usage);
            return;
          }
          res.finishReason = e.finishReason;
          if (e.rawFinishReason !== undefined) res.rawFinishReason = e.rawFinishReason;
          if (e.stopSequence !== undefined) res.stopSequence = e.stopSequence;
          if (e.usage) Object.assign(usage, e.usage);
          return;
        case 'error':
          fail(e.error);
          return;
        default:
          return;
      }
    };
    const open = (index: number, part: ResponsePart, choice: number | undefined): ResponsePart => {
      blocks.set(index, part);
      (choice ? choiceOf(choice).content : res.content).push(part);
      return part;
    };
    const fail = (err: GatewayError) => {
      if (failed) return;
      failed = true;
      peeked.stream.abort();
      reject(err);
    };

    const sink: StreamSink = {
      frame(f) {
        if (failed) return;
        for (const e of f.events) apply(e);
      },
      end() {
        if (failed) return;
        for (const part of res.content) if (part.type === 'tool-call' && part.arguments === '') part.arguments = '{}';
        if (choices.size > 0) {
          res.choices = [...choices.values()].sort((a, b) => a.index - b.index);
          for (const c of res.choices) for (const part of c.content) if (part.type === 'tool-call' && part.arguments === '') part.arguments = '{}';
        }
        res.usage = { inputTokens: 0, outputTokens: 0, ...usage };
        resolve(res);
      },
      error: fail,
    };
    // Assembled, not sent: nothing reaches the client before the answer is whole.
    peeked.commit(sink, { collect: true });
  });
}
