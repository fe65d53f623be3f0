/**
 * The MCP gateway as pipeline middleware (after governance and cache, before routing):
 *   1. selection: the servers named by the alias (`models.<alias>.mcp.servers`), the virtual key
 *      (`virtual_keys.<key>.mcp.servers`) and the `x-switchyard-mcp` header, limited to what the
 *      caller may use (mcp-access.ts);
 *   2. injection: their connected tools are added to the canonical request as `<server>__<tool>`
 *      (a server that is down is skipped and named in `x-switchyard-mcp-unavailable`);
 *   3. execution: calls to tools in `auto_execute` are run here, their results appended, and the
 *      model called again (`next()`: routing runs afresh each round, so fallbacks work mid-loop),
 *      until the model answers without calling one, or `mcp.max_rounds`. Any other call ends the
 *      loop and reaches the client as a normal tool call (client-executed).
 * A stream request gets one stream: each round's text and reasoning live; tool-call blocks are held
 * until the round ends (dropped when the gateway runs them, shown when the loop ends with them);
 * one finish with the usage of every round summed. Executed calls go to the request record.
 */
import { ResponseAssembler } from '../core/assemble-response.js';
import { GatewayError, toGatewayError } from '../core/errors.js';
import type { ImagePart, Message, TextPart, ToolCallPart, ToolDefinition, ToolResultPart } from '../core/request.js';
import type { CoreRequest } from '../core/request.js';
import type { CoreResponse, Usage } from '../core/response.js';
import type { StreamEvent } from '../core/stream-event.js';
import type { MiddlewareFactory } from '../pipeline/feature.js';
import { forChat } from '../pipeline/compose.js';
import type { ChatContext } from '../pipeline/context.js';
import { responseToEvents, streamFromEvents } from '../pipeline/event-stream.js';
import { RECORD_EXTRAS } from '../pipeline/record-extras.js';
import { SPEND_METER } from '../pipeline/spend-meter.js';
import type { SpendMeter } from '../pipeline/spend-meter.js';
import type { ChatResult, EventStream, RouteInfo } from '../pipeline/result.js';
import type { McpCallRecord, ModelCallRecord } from '../plugins/plugin.js';
import type { Runtime } from '../routing/runtime.js';
import { mcpAccessFor } from './mcp-access.js';
import type { McpConnections, McpTool } from './mcp-connections.js';
import { globMatcher } from './mcp-tool-names.js';

/** The request header naming extra MCP servers for one request. */
export const MCP_HEADER = 'x-switchyard-mcp';
/** The response header naming requested MCP servers that are down. */
export const MCP_UNAVAILABLE_HEADER = 'x-switchyard-mcp-unavailable';

export interface McpMiddlewareOptions {
  connections: McpConnections;
}

interface Selection {
  servers: string[];
  auto: (toolName: string) => boolean;
}

function headerList(ctx: ChatContext): string[] {
  const h = ctx.headers[MCP_HEADER];
  const v = typeof h === 'string' ? h : Array.isArray(h) ? h.join(',') : '';
  return v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** The servers a request gets and its auto_execute rule; throws for a bad or forbidden header. */
export function selectServers(ctx: ChatContext, snapshot: Runtime): Selection | undefined {
  const config = snapshot.config;
  const access = mcpAccessFor(config, ctx.principal);
  const alias = config.models[ctx.request.model]?.mcp;
  const chosen = new Set<string>();
  for (const s of alias?.servers ?? []) if (access.permits(s)) chosen.add(s);
  for (const s of access.keyServers) if (access.permits(s)) chosen.add(s);
  for (const s of headerList(ctx)) {
    if (!Object.hasOwn(config.mcp.servers, s)) {
      const known = Object.keys(config.mcp.servers);
      throw new GatewayError('GW_ERR_INVALID_REQUEST', `${MCP_HEADER}: no MCP server named "${s.slice(0, 64)}" is configured${known.length ? ` (configured: ${known.join(', ')})` : ''}`, { param: MCP_HEADER });
    }
    if (!access.permits(s)) throw new GatewayError('GW_ERR_MCP_NOT_ALLOWED', `${MCP_HEADER}: virtual key ${ctx.principal?.id ?? ''} may not use the MCP server "${s}" (its mcp.servers list)`, { param: MCP_HEADER });
    chosen.add(s);
  }
  if (chosen.size === 0) return undefined;
  return { servers: [...chosen], auto: globMatcher([...(alias?.auto_execute ?? []), ...access.keyAutoExecute]) };
}

function addUsage(total: Usage, u: Partial<Usage> | undefined): void {
  if (!u) return;
  total.inputTokens += u.inputTokens ?? 0;
  total.outputTokens += u.outputTokens ?? 0;
  for (const k of ['cachedInputTokens', 'cacheWriteTokens', 'reasoningTokens'] as const) {
    if (u[k] !== undefined) total[k] = (total[k] ?? 0) + u[k]!;
  }
}

function parseArguments(text: string): Record<string, unknown> | string {
  if (text.trim() === '') return {};
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : 'the arguments are not a JSON object';
  } catch {
    return 'the arguments are not valid JSON';
  }
}

/** The state shared by the rounds of one request. */
class Loop {
  readonly calls: McpCallRecord[] = [];
  readonly history: Message[] = [];
  readonly usage: Usage = { inputTokens: 0, outputTokens: 0 };
  /** Each model call's target and usage, for the record's cost. */
  readonly modelCalls: ModelCallRecord[] = [];
  round = 1;
  /** Governance's meter, when the key has token or budget limits. */
  readonly meter: SpendMeter | undefined;

  constructor(
    private readonly ctx: ChatContext,
    private readonly base: CoreRequest,
    private readonly autoNames: ReadonlySet<string>,
    private readonly connections: McpConnections,
    readonly maxRounds: number,
  ) {
    ctx.state.set(RECORD_EXTRAS, { ...ctx.state.get(RECORD_EXTRAS), mcpCalls: this.calls });
    this.meter = ctx.state.get(SPEND_METER);
  }

  /**
   * A model call of the loop ended: its usage counts in the answer's, in governance's meter (priced
   * at the target that answered), and in the request record even if a later round fails.
   */
  roundEnded(usage: Partial<Usage> | undefined, route: RouteInfo | undefined): void {
    if (this.round === 1) this.ctx.state.set(RECORD_EXTRAS, { ...this.ctx.state.get(RECORD_EXTRAS), usage: this.usage, modelCalls: this.modelCalls });
    addUsage(this.usage, usage);
    const call: ModelCallRecord = { usage: { inputTokens: 0, outputTokens: 0 } };
    addUsage(call.usage, usage);
    if (route) {
      call.provider = route.target.provider.name;
      call.providerType = route.target.provider.type;
      call.upstreamModel = route.target.model;
    }
    this.modelCalls.push(call);
    this.meter?.afterCall(usage, route);
  }

  /** The request of the current round: the conversation so far; the last allowed round may not call tools. */
  request(): CoreRequest {
    const r: CoreRequest = { ...this.base, messages: [...this.base.messages, ...this.history] };
    if (this.round >= this.maxRounds) r.toolChoice = { type: 'none' };
    else if (this.round > 1 && (r.toolChoice?.type === 'required' || r.toolChoice?.type === 'tool')) r.toolChoice = { type: 'auto' };
    return r;
  }

  /** The round's calls when the gateway runs them all; undefined ends the loop. */
  toRun(resp: CoreResponse | undefined): ToolCallPart[] | undefined {
    if (!resp || this.round >= this.maxRounds || resp.choices?.length) return undefined;
    const calls = resp.content.filter((p): p is ToolCallPart => p.type === 'tool-call');
    if (calls.length === 0 || !calls.every((c) => this.autoNames.has(c.name))) return undefined;
    return calls;
  }

  /** Runs the calls in parallel, appends the assistant turn and the results, moves to the next round. */
  async execute(resp: CoreResponse, calls: ToolCallPart[], signal: AbortSignal): Promise<void> {
    const t0 = this.ctx.startedAt;
    const results = await Promise.all(
      calls.map(async (c): Promise<ToolResultPart> => {
        const args = parseArguments(c.arguments);
        const rec: McpCallRecord = { round: this.round, name: c.name, server: '', tool: '', outcome: 'error', durationMs: 0, startMs: performance.now() - t0, arguments: c.arguments };
        this.calls.push(rec);
        if (typeof args === 'string') {
          rec.server = this.connections.serverOf(c.name) ?? '';
          rec.tool = c.name.slice(rec.server.length + 2);
          rec.result = `tool ${c.name} was not called: ${args}`;
          return { type: 'tool-result', toolCallId: c.id, content: rec.result, isError: true };
        }
        const { result, report } = await this.connections.call({ name: c.name, arguments: args, signal });
        Object.assign(rec, { server: report.server, tool: report.tool, outcome: report.outcome, durationMs: report.durationMs, result: result.text });
        if (result.truncated) rec.truncated = true;
        const content: string | Array<TextPart | ImagePart> = result.images.length
          ? [{ type: 'text', text: result.text }, ...result.images.map((i): ImagePart => ({ type: 'image', source: { kind: 'base64', mediaType: i.mediaType, data: i.data } }))]
          : result.text;
        return { type: 'tool-result', toolCallId: c.id, content, ...(result.isError ? { isError: true } : {}) };
      }),
    );
    this.history.push({ role: 'assistant', content: resp.content }, { role: 'tool', content: results });
    this.round++;
    this.ctx.rewrite(this.request());
  }
}

/** Reads an event stream as an async iterable (with backpressure); `abort` cancels it. */
function consume(result: ChatResult): { events: AsyncIterable<StreamEvent>; abort(): void } {
  if (result.kind === 'response') {
    return { events: responseToEvents(result.response) as unknown as AsyncIterable<StreamEvent>, abort: () => {} };
  }
  const stream = result.stream;
  const queue: StreamEvent[] = [];
  let done = false;
  let paused = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  stream.start({
    frame(f) {
      queue.push(...f.events);
      if (queue.length > 256 && !paused) {
        paused = true;
        stream.pause();
      }
      notify();
    },
    end() {
      done = true;
      notify();
    },
    error(err) {
      queue.push({ type: 'error', error: err });
      done = true;
      notify();
    },
  });
  return {
    abort() {
      done = true;
      stream.abort();
      notify();
    },
    events: {
      async *[Symbol.asyncIterator]() {
        for (;;) {
          while (queue.length) {
            yield queue.shift()!;
            if (paused && queue.length < 64) {
              paused = false;
              stream.resume();
            }
          }
          if (done) return;
          await new Promise<void>((r) => (wake = r));
        }
      },
    },
  };
}

function runJsonLoop(ctx: ChatContext, loop: Loop, next: () => Promise<ChatResult>) {
  return async (first: Extract<ChatResult, { kind: 'response' }>): Promise<ChatResult> => {
    let result = first;
    const earlierText: TextPart[] = [];
    for (;;) {
      const resp = result.response;
      loop.roundEnded(resp.usage, result.route);
      const calls = loop.toRun(resp);
      if (!calls) {
        const { raw: _raw, ...rest } = result;
        return { ...rest, response: { ...resp, content: [...earlierText, ...resp.content], usage: { ...loop.usage } } };
      }
      await loop.execute(resp, calls, ctx.signal);
      for (const p of resp.content) if (p.type === 'text' && p.text) earlierText.push(p);
      // Governance reserves the next round's worst case, or refuses it (its budget would not hold it).
      await loop.meter?.beforeCall(ctx.request);
      const r = await next();
      if (r.kind !== 'response') {
        r.kind === 'stream' && r.stream.abort();
        throw new GatewayError('GW_ERR_INTERNAL', 'internal error: a JSON request got a stream in an MCP round');
      }
      result = r;
    }
  };
}

function runStreamLoop(ctx: ChatContext, loop: Loop, next: () => Promise<ChatResult>, first: ChatResult): EventStream {
  const aborter = new AbortController();
  let current: { abort(): void } | undefined;
  async function* rounds(): AsyncGenerator<StreamEvent> {
    let result = first;
    let offset = 0;
    let started = false;
    for (;;) {
      const src = consume(result);
      current = src;
      const asm = new ResponseAssembler();
      const held: StreamEvent[] = [];
      let finish: Extract<StreamEvent, { type: 'finish' }> | undefined;
      let roundUsage: Partial<Usage> = {};
      let maxIndex = -1;
      for await (const e of src.events) {
        if (aborter.signal.aborted) return;
        asm.event(e);
        switch (e.type) {
          case 'start':
            if (e.usage) roundUsage = { ...roundUsage, ...e.usage };
            if (!started) {
              started = true;
              const { usage: _u, ...start } = e;
              yield start;
            }
            break;
          case 'error':
            yield e;
            return;
          case 'usage':
            roundUsage = { ...roundUsage, ...e.usage };
            break;
          case 'finish':
            if (e.usage) roundUsage = { ...roundUsage, ...e.usage };
            if (!e.choice) finish = e;
            else held.push(e);
            break;
          case 'tool-call-start':
          case 'tool-call-delta':
          case 'tool-call-end':
            maxIndex = Math.max(maxIndex, e.index);
            held.push({ ...e, index: e.index + offset });
            break;
          default:
            maxIndex = Math.max(maxIndex, e.index);
            yield { ...e, index: e.index + offset };
        }
      }
      if (aborter.signal.aborted) return;
      if (!finish) return;
      loop.roundEnded(roundUsage, result.route);
      const resp = asm.result();
      const calls = loop.toRun(resp);
      if (!calls || !resp) {
        yield* held;
        yield { type: 'usage', usage: { ...loop.usage } };
        yield { ...finish, usage: { ...loop.usage } };
        return;
      }
      await loop.execute(resp, calls, aborter.signal);
      if (aborter.signal.aborted) return;
      offset += maxIndex + 1;
      try {
        await loop.meter?.beforeCall(ctx.request);
        result = await next();
      } catch (err) {
        // What the rounds run so far used, for the record and the client, then why the loop stopped.
        yield { type: 'usage', usage: { ...loop.usage } };
        yield { type: 'error', error: toGatewayError(err) };
        return;
      }
      if (aborter.signal.aborted) {
        consume(result).abort();
        return;
      }
    }
  }
  const inner = streamFromEvents(rounds());
  return {
    start: (sink) => inner.start(sink),
    pause: () => inner.pause(),
    resume: () => inner.resume(),
    abort() {
      aborter.abort();
      inner.abort();
      current?.abort();
    },
  };
}

export function mcpMiddleware(o: McpMiddlewareOptions): MiddlewareFactory {
  const connections = o.connections;
  return (snapshot) => {
    const cfg = snapshot.config.mcp;
    if (Object.keys(cfg.servers).length === 0) return undefined;
    return forChat(async (ctx, next) => {
      const sel = selectServers(ctx, snapshot);
      if (!sel) return next();
      const down = sel.servers.filter((s) => !connections.isConnected(s));
      if (down.length) ctx.responseHeaders[MCP_UNAVAILABLE_HEADER] = down.join(',');
      const own = new Set((ctx.request.tools ?? []).map((t) => t.name));
      const tools: McpTool[] = sel.servers.flatMap((s) => connections.toolsOf(s)).filter((t) => !own.has(t.name));
      if (tools.length === 0) return next();
      const defs = tools.map((t): ToolDefinition => ({ name: t.name, ...(t.description ? { description: t.description } : {}), parameters: t.inputSchema }));
      const base: CoreRequest = { ...ctx.request, tools: [...(ctx.request.tools ?? []), ...defs] };
      const autoNames = new Set(tools.filter((t) => sel.auto(t.name)).map((t) => t.name));
      if (autoNames.size === 0) {
        ctx.rewrite(base);
        return next();
      }
      const loop = new Loop(ctx, base, autoNames, connections, cfg.max_rounds);
      ctx.rewrite(loop.request());
      const first = await next();
      if (first.kind === 'response' && !ctx.request.stream) return runJsonLoop(ctx, loop, next)(first);
      return { kind: 'stream', stream: runStreamLoop(ctx, loop, next, first), ...(first.route ? { route: first.route } : {}), ...(first.unmapped ? { unmapped: first.unmapped } : {}) };
    });
  };
}
