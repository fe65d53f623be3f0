/** Fakes for routing tests: a manual clock and scriptable provider adapters. No real time passes. */
import { GatewayError } from '../core/errors.js';
import type { CoreRequest } from '../core/request.js';
import type { ProviderAdapter, ProviderCallContext, ProviderResult } from '../providers/provider-adapter.js';
import type { Clock } from './clock.js';
import { KeyPool } from './key-pool.js';
import type { ProviderRuntime, Target } from './runtime.js';

interface Timer {
  at: number;
  fn: () => void;
  id: number;
}

export class FakeClock implements Clock {
  private t = 1_000_000;
  private timers: Timer[] = [];
  private seq = 0;
  readonly sleeps: number[] = [];

  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const timer = { at: this.t + ms, fn, id: ++this.seq };
    this.timers.push(timer);
    return timer.id;
  }
  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((x) => x.id !== handle);
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    return new Promise((resolve, reject) => {
      const id = this.setTimeout(resolve, ms);
      signal?.addEventListener('abort', () => {
        this.clearTimeout(id);
        reject(signal.reason);
      });
    });
  }
  /** Moves time forward, firing due timers in order and letting promise callbacks run between them. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await settle();
      const due = this.timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.timers = this.timers.filter((x) => x !== due);
      this.t = due.at;
      due.fn();
    }
    this.t = end;
    await settle();
  }
  get pendingTimers(): number {
    return this.timers.length;
  }
}

/** Lets pending promise callbacks run (several rounds: chains of awaits). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

export type Step =
  | { ok: string }
  | { fail: GatewayError }
  /** Never answers; rejects with the abort reason when the attempt is aborted. */
  | { hang: true };

export interface FakeCall {
  model: string;
  keyId: string;
  signal: AbortSignal;
  timeouts: ProviderCallContext['timeouts'];
}

export class FakeAdapter implements ProviderAdapter {
  readonly type = 'fake';
  readonly calls: FakeCall[] = [];
  constructor(
    readonly name: string,
    private readonly steps: Step[],
  ) {}

  send(_req: CoreRequest, ctx: ProviderCallContext): Promise<ProviderResult> {
    this.calls.push({ model: ctx.model, keyId: ctx.key.id, signal: ctx.signal, timeouts: ctx.timeouts });
    const step = this.steps.length > 1 ? this.steps.shift()! : this.steps[0]!;
    if ('ok' in step) {
      return Promise.resolve({
        kind: 'response',
        response: { id: 'r', model: ctx.model, content: [{ type: 'text', text: step.ok }], finishReason: 'stop', usage: { inputTokens: 1, outputTokens: 1 } },
      });
    }
    if ('fail' in step) return Promise.reject(step.fail);
    return new Promise((_resolve, reject) => {
      ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason));
    });
  }
  async close(): Promise<void> {}
}

export function fakeTarget(
  adapter: FakeAdapter,
  options: { keys?: string[]; retries?: number; firstByteMs?: number; backoffInitialMs?: number; backoffMaxMs?: number } = {},
): Target {
  const provider: ProviderRuntime = {
    name: adapter.name,
    type: 'fake',
    adapter,
    keys: new KeyPool((options.keys ?? ['k0']).map((id) => ({ id, value: `secret-${id}`, weight: 1, models: ['*'] })), () => 0),
    timeouts: { connectMs: 1000, firstByteMs: options.firstByteMs ?? 5000, idleMs: 5000 },
    retries: { max: options.retries ?? 1, backoffInitialMs: options.backoffInitialMs ?? 100, backoffMaxMs: options.backoffMaxMs ?? 1000 },
    models: [],
    streamUpstream: false,
  };
  return { provider, model: 'm', label: `${adapter.name}/m` };
}

export function fakeRequest(): CoreRequest {
  return { model: 'alias', system: [], messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], stream: false, raw: {}, dialect: 'openai-chat', extras: {} };
}
