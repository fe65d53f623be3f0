/**
 * The MCP connections of a gateway: one client per configured server, created once at start and
 * kept across config swaps (reconciled against each snapshot's `mcp.servers`: new or changed ones
 * connect, removed ones close). Each connection pings its server, reconnects with backoff when it
 * fails (a stdio child that died is started again), and refreshes its tool list when the server
 * says it changed. Every transport is the official MCP SDK's.
 *
 * A server that is down never fails a request that does not use it: its tools are simply absent
 * and calls to them answer `unavailable`.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../observability/logger.js';
import type { McpConfig, McpServerConfig } from './mcp-schema.js';
import { exposedToolName, toolFilter } from './mcp-tool-names.js';

export type McpServerStatus = 'connecting' | 'connected' | 'down' | 'closed';

/** One tool as the gateway offers it. */
export interface McpTool {
  server: string;
  /** The name models and clients use: `<server>__<tool>`. */
  name: string;
  /** The server's own name for it. */
  tool: string;
  description?: string;
  inputSchema: Record<string, unknown>;
}

/** A tool result as the gateway passes it on: text (capped, secrets removed) and images. */
export interface McpToolResult {
  text: string;
  images: Array<{ mediaType: string; data: string }>;
  isError: boolean;
  /** The text was longer than mcp.max_result_bytes and was cut. */
  truncated: boolean;
}

export type McpCallOutcome = 'ok' | 'error' | 'timeout' | 'unavailable' | 'aborted';

/** What one call did, for logs, metrics and the request record. */
export interface McpCallReport {
  server: string;
  tool: string;
  /** Whether `tool` is one the server lists (metrics label it `other` when not). */
  known: boolean;
  outcome: McpCallOutcome;
  durationMs: number;
  /** performance.now() when the call started and ended (ordering, concurrency in the record). */
  startedAt: number;
}

export interface McpServerView {
  name: string;
  transport: McpServerConfig['transport'];
  status: McpServerStatus;
  tools: Array<{ name: string; tool: string; description?: string }>;
  last_error: string | null;
  connected_at: string | null;
  reconnects: number;
  /** Process id of a stdio child, while it runs. */
  pid: number | null;
}

/** The SDK (and the zod it uses) is loaded when the first server connects: a gateway without MCP never loads it. */
let sdk: Promise<typeof import('./mcp-sdk-client.js')> | undefined;
const loadSdk = () => (sdk ??= import('./mcp-sdk-client.js'));

const BACKOFF_MIN_MS = 200;
const BACKOFF_MAX_MS = 30_000;
const CLIENT_INFO = { name: 'switchyard', version: '1' };

/** The fields that need a new connection when they change (a tool filter or timeout does not). */
function connectionKey(c: McpServerConfig): string {
  const { tools: _t, tool_timeout_ms: _to, description: _d, ...rest } = c;
  return JSON.stringify(rest);
}

/** Values of a server's credentials (env values, header values), to remove from anything shown. */
function secretsOf(c: McpServerConfig): string[] {
  const values = c.transport === 'stdio' ? Object.values(c.env) : Object.values(c.headers);
  return values.filter((v) => v.length >= 4).sort((a, b) => b.length - a.length);
}

export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join('[redacted]');
  return out;
}

/** Cuts UTF-8 text to `max` bytes without splitting a character. */
function capBytes(text: string, max: number): { text: string; truncated: boolean } {
  const bytes = Buffer.byteLength(text);
  if (bytes <= max) return { text, truncated: false };
  let cut = Buffer.from(text).subarray(0, max).toString('utf8');
  if (cut.endsWith('\uFFFD')) cut = cut.slice(0, -1);
  return { text: `${cut}\n[result cut: ${bytes} bytes, mcp.max_result_bytes is ${max}]`, truncated: true };
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

class ServerConnection {
  status: McpServerStatus = 'connecting';
  tools: McpTool[] = [];
  lastError: string | undefined;
  connectedAt: number | undefined;
  reconnects = 0;
  readonly key: string;
  private client: Client | undefined;
  private transport: Transport | undefined;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private pinger: NodeJS.Timeout | undefined;
  private backoff = BACKOFF_MIN_MS;
  private connecting: Promise<void> | undefined;
  /** Bumped by every (re)connect: callbacks of an older client are ignored. */
  private generation = 0;
  private secrets: string[];
  private filter: (tool: string) => boolean;
  private listed: Tool[] = [];
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly name: string,
    public config: McpServerConfig,
    private settings: () => McpConfig,
    private readonly logger: Logger,
  ) {
    this.key = connectionKey(config);
    this.secrets = secretsOf(config);
    this.filter = toolFilter(config.tools);
  }

  get pid(): number | null {
    return this.config.transport === 'stdio' && this.transport ? (this.transport as StdioClientTransport).pid : null;
  }

  /** A config with the same connection fields: new filter, timeout, description. */
  update(config: McpServerConfig): void {
    this.config = config;
    this.secrets = secretsOf(config);
    this.filter = toolFilter(config.tools);
    this.applyTools(this.listed);
  }

  redact(text: string): string {
    return redactSecrets(text, this.secrets);
  }

  /** Connects (or reconnects); resolves when connected or when the attempt failed (then retries later). */
  connect(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return (this.connecting ??= this.doConnect().finally(() => (this.connecting = undefined)));
  }

  /** Resolves once connected, or after `ms`, whichever is first. */
  waitConnected(ms: number): Promise<void> {
    if (this.status === 'connected' || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.waiters.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  private async doConnect(): Promise<void> {
    clearTimeout(this.timer);
    clearInterval(this.pinger);
    const gen = ++this.generation;
    await this.dropClient();
    this.status = 'connecting';
    const timeout = this.settings().connect_timeout_ms;
    const { Client, makeTransport } = await loadSdk();
    if (gen !== this.generation || this.closed) return;
    const client = new Client(CLIENT_INFO, {
      capabilities: {},
      listChanged: {
        tools: {
          onChanged: (err, tools) => {
            if (gen !== this.generation) return;
            if (err) this.logger.warn({ mcpServer: this.name, err: { message: this.redact(errorText(err)) } }, 'MCP tool list refresh failed');
            else if (tools) this.applyTools(tools);
          },
        },
      },
    });
    const transport = makeTransport(this.config);
    this.client = client;
    this.transport = transport;
    client.onclose = () => {
      if (gen !== this.generation || this.closed) return;
      this.markDown('the connection closed');
    };
    client.onerror = (e) => {
      if (gen !== this.generation) return;
      this.logger.debug({ mcpServer: this.name, err: { message: this.redact(errorText(e)) } }, 'MCP transport error');
    };
    try {
      await client.connect(transport, { timeout });
      const tools: Tool[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.listTools(cursor ? { cursor } : undefined, { timeout });
        tools.push(...page.tools);
        cursor = page.nextCursor;
      } while (cursor && tools.length < 10_000);
      if (gen !== this.generation || this.closed) return;
      this.applyTools(tools);
      this.status = 'connected';
      this.connectedAt = Date.now();
      this.lastError = undefined;
      this.backoff = BACKOFF_MIN_MS;
      for (const w of [...this.waiters]) w();
      this.pinger = setInterval(() => void this.ping(gen), this.settings().ping_interval_ms);
      this.pinger.unref();
      this.logger.info({ mcpServer: this.name, tools: this.tools.length }, 'MCP server connected');
    } catch (e) {
      if (gen !== this.generation || this.closed) return;
      this.markDown(errorText(e));
    }
  }

  private applyTools(tools: Tool[]): void {
    this.listed = tools;
    this.tools = tools
      .filter((t) => this.filter(t.name))
      .map((t) => {
        const schema = { ...(t.inputSchema as Record<string, unknown>) };
        delete schema['$schema'];
        if (schema['type'] === undefined) schema['type'] = 'object';
        const out: McpTool = { server: this.name, name: exposedToolName(this.name, t.name), tool: t.name, inputSchema: schema };
        if (t.description) out.description = t.description;
        return out;
      });
  }

  private markDown(reason: string): void {
    clearInterval(this.pinger);
    this.status = 'down';
    this.lastError = this.redact(reason).slice(0, 500);
    this.logger.warn({ mcpServer: this.name, err: { message: this.lastError }, retryInMs: this.backoff }, 'MCP server down; reconnecting');
    void this.dropClient();
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.reconnects++;
      void this.connect();
    }, this.backoff);
    this.timer.unref();
    this.backoff = Math.min(BACKOFF_MAX_MS, this.backoff * 2);
  }

  private async ping(gen: number): Promise<void> {
    const client = this.client;
    if (!client || gen !== this.generation || this.status !== 'connected') return;
    try {
      await client.ping({ timeout: this.settings().connect_timeout_ms });
    } catch (e) {
      if (gen === this.generation && !this.closed) this.markDown(`ping failed: ${errorText(e)}`);
    }
  }

  private async dropClient(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.transport = undefined;
    if (client) await client.close().catch(() => {});
  }

  async call(tool: string, args: Record<string, unknown>, o: { timeoutMs: number; signal?: AbortSignal | undefined; maxBytes: number }): Promise<McpToolResult> {
    const client = this.client;
    if (!client || this.status !== 'connected') throw Object.assign(new Error(`MCP server ${this.name} is not connected`), { outcome: 'unavailable' as const });
    const r = await client.callTool({ name: tool, arguments: args }, undefined, { timeout: o.timeoutMs, ...(o.signal ? { signal: o.signal } : {}) });
    const texts: string[] = [];
    const images: McpToolResult['images'] = [];
    const content = Array.isArray(r.content) ? r.content : [];
    for (const part of content as Array<Record<string, any>>) {
      if (part['type'] === 'text' && typeof part['text'] === 'string') texts.push(part['text']);
      else if (part['type'] === 'image' && typeof part['data'] === 'string') images.push({ mediaType: String(part['mimeType'] ?? 'image/png'), data: part['data'] });
      else if (part['type'] === 'resource' && part['resource'] && typeof part['resource'].text === 'string') texts.push(part['resource'].text);
      else if (part['type'] === 'resource_link' && typeof part['uri'] === 'string') texts.push(`[resource: ${part['uri']}]`);
    }
    if (texts.length === 0 && r.structuredContent !== undefined) texts.push(JSON.stringify(r.structuredContent));
    if (texts.length === 0 && 'toolResult' in r) texts.push(JSON.stringify(r.toolResult));
    const capped = capBytes(this.redact(texts.join('\n')), o.maxBytes);
    return { text: capped.text, images, isError: r.isError === true, truncated: capped.truncated };
  }

  view(): McpServerView {
    return {
      name: this.name,
      transport: this.config.transport,
      status: this.status,
      tools: this.tools.map((t) => ({ name: t.name, tool: t.tool, ...(t.description ? { description: t.description } : {}) })),
      last_error: this.lastError ?? null,
      connected_at: this.connectedAt === undefined ? null : new Date(this.connectedAt).toISOString(),
      reconnects: this.reconnects,
      pid: this.pid,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.status = 'closed';
    this.generation++;
    clearTimeout(this.timer);
    clearInterval(this.pinger);
    for (const w of [...this.waiters]) w();
    await this.dropClient();
  }
}

export interface McpConnectionsOptions {
  logger: Logger;
}

export class McpConnections {
  private readonly servers = new Map<string, ServerConnection>();
  private settings: McpConfig | undefined;
  private readonly listeners: Array<(r: McpCallReport) => void> = [];
  private closed = false;

  constructor(private readonly o: McpConnectionsOptions) {}

  /**
   * Brings the connections in line with `config`: connects new and changed servers, closes removed
   * ones. Resolves once every new connection connected or gave up for now (bounded by
   * connect_timeout_ms); a failed one keeps retrying in the background.
   */
  async reconcile(config: McpConfig): Promise<void> {
    if (this.closed) return;
    this.settings = config;
    const started: ServerConnection[] = [];
    const closing: Promise<void>[] = [];
    for (const [name, conn] of this.servers) {
      const next = config.servers[name];
      if (next && connectionKey(next) === conn.key) {
        conn.update(next);
        continue;
      }
      this.servers.delete(name);
      closing.push(conn.close());
    }
    await Promise.all(closing);
    for (const [name, sc] of Object.entries(config.servers)) {
      if (this.servers.has(name)) continue;
      const conn = new ServerConnection(name, sc, () => this.settings!, this.o.logger);
      this.servers.set(name, conn);
      started.push(conn);
    }
    await Promise.all(started.map((c) => Promise.race([c.connect(), c.waitConnected(config.connect_timeout_ms)])));
  }

  /** Whether the server is configured here (whatever its state). */
  has(server: string): boolean {
    return this.servers.has(server);
  }

  isConnected(server: string): boolean {
    return this.servers.get(server)?.status === 'connected';
  }

  /** The tools of a connected server (empty when down or unknown). */
  toolsOf(server: string): McpTool[] {
    const c = this.servers.get(server);
    return c?.status === 'connected' ? c.tools : [];
  }

  /** A tool by its exposed name, on a connected server. */
  findTool(name: string): McpTool | undefined {
    const sep = name.indexOf('__');
    if (sep <= 0) return undefined;
    return this.toolsOf(name.slice(0, sep)).find((t) => t.name === name);
  }

  /** Server of an exposed tool name, even when it is down (for `unavailable` answers). */
  serverOf(name: string): string | undefined {
    const sep = name.indexOf('__');
    if (sep <= 0) return undefined;
    const s = name.slice(0, sep);
    return this.servers.has(s) ? s : undefined;
  }

  /** Reports every tool call (metrics). */
  onCall(fn: (r: McpCallReport) => void): void {
    this.listeners.push(fn);
  }

  /**
   * Runs one tool. Never throws: failures come back as results with isError (the text says what
   * happened, for a model to read) and an outcome.
   */
  async call(args: { name: string; arguments: Record<string, unknown>; signal?: AbortSignal | undefined }): Promise<{ result: McpToolResult; report: McpCallReport }> {
    const startedAt = performance.now();
    const cfg = this.settings;
    const serverName = this.serverOf(args.name) ?? args.name.split('__')[0] ?? '';
    const conn = this.servers.get(serverName);
    const tool = conn?.tools.find((t) => t.name === args.name);
    const toolName = tool?.tool ?? args.name.slice(serverName.length + 2);
    const timeoutMs = conn?.config.tool_timeout_ms ?? cfg?.tool_timeout_ms ?? 30000;
    let outcome: McpCallOutcome = 'ok';
    let result: McpToolResult;
    const fail = (text: string): McpToolResult => ({ text, images: [], isError: true, truncated: false });
    if (!conn || !cfg) {
      outcome = 'unavailable';
      result = fail(`tool ${args.name} is not available: no MCP server ${serverName} is configured`);
    } else if (conn.status !== 'connected') {
      outcome = 'unavailable';
      result = fail(`tool ${args.name} is not available: MCP server ${serverName} is not connected; try again later`);
    } else if (!tool) {
      outcome = 'unavailable';
      result = fail(`tool ${args.name} is not offered by MCP server ${serverName}`);
    } else {
      try {
        result = await conn.call(tool.tool, args.arguments, { timeoutMs, signal: args.signal, maxBytes: cfg.max_result_bytes });
        if (result.isError) outcome = 'error';
      } catch (e) {
        const msg = conn.redact(errorText(e));
        if (args.signal?.aborted) {
          outcome = 'aborted';
          result = fail(`tool ${args.name} was cancelled`);
        } else if ((e as { outcome?: string }).outcome === 'unavailable') {
          outcome = 'unavailable';
          result = fail(`tool ${args.name} is not available: MCP server ${serverName} is not connected; try again later`);
        } else if (/timed out|timeout/i.test(msg)) {
          outcome = 'timeout';
          result = fail(`tool ${args.name} did not answer within ${timeoutMs} ms and was cancelled`);
        } else {
          outcome = 'error';
          result = fail(`tool ${args.name} failed: ${msg.slice(0, 500)}`);
        }
      }
    }
    const report: McpCallReport = { server: serverName, tool: toolName, known: tool !== undefined, outcome, durationMs: performance.now() - startedAt, startedAt };
    for (const fn of this.listeners) {
      try {
        fn(report);
      } catch (e) {
        this.o.logger.error({ err: e }, 'MCP call listener failed');
      }
    }
    this.o.logger.info({ mcpServer: report.server, tool: report.tool, outcome, durationMs: Math.round(report.durationMs) }, 'MCP tool call');
    return { result, report };
  }

  /** Drops and re-opens one server's connection now (admin API). */
  async reconnect(server: string): Promise<boolean> {
    const c = this.servers.get(server);
    if (!c) return false;
    c.reconnects++;
    await c.connect();
    return true;
  }

  /** Waits until the server is connected, up to `ms` (tests and the admin API). */
  async waitConnected(server: string, ms: number): Promise<boolean> {
    const c = this.servers.get(server);
    if (!c) return false;
    await c.waitConnected(ms);
    return c.status === 'connected';
  }

  list(): McpServerView[] {
    return [...this.servers.values()].map((c) => c.view());
  }

  view(server: string): McpServerView | undefined {
    return this.servers.get(server)?.view();
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.servers.values()];
    this.servers.clear();
    await Promise.all(all.map((c) => c.close()));
  }
}
