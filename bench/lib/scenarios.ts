/**
 * What each scenario sends, and to which server. Every scenario asks for the same short chat turn
 * so the mock's answer (and its size) is the same whichever path the request takes; the
 * baselines are the mock itself (`direct`) for the upstream dialect the request ends up in.
 */
import { ALIAS_ANTHROPIC, ALIAS_CACHED, ALIAS_OPENAI, BENCH_ANTHROPIC_KEY, BENCH_OPENAI_KEY, BENCH_VIRTUAL_KEY } from './switchyard-config.js';

/** `switchyard-governed`: a second Switchyard, governance on, counters in a Redis the bench starts. */
/** `switchyard-base`: Switchyard built from another tree (--baseline-root), serving each scenario's twin. */
export type ServerId = 'mock' | 'bare' | 'switchyard' | 'switchyard-governed' | 'switchyard-base' | 'portkey';
export type Mode = 'json' | 'stream';

export interface Scenario {
  id: string;
  title: string;
  server: ServerId;
  path: string;
  headers: Record<string, string>;
  body(stream: boolean): string;
  /** The scenario its added latency is measured against (the mock, in the dialect actually sent upstream). */
  baseline: string;
  /** For ratios: the bare hop and Portkey rows that do the same job (same upstream dialect). */
  bareRow?: string;
  portkeyRow?: string;
  /** Replaced in the body by a number unique to each request (a cache that never hits). */
  uniqueToken?: string;
}

/**
 * The mock answers `[system: <system prompt>] mock reply to: <prompt>`, streamed word by word, so
 * this appears exactly when the first content token arrives, in every dialect
 * (`"content":"[system:` for OpenAI, `"text":"[system:` for Anthropic).
 */
export const CONTENT_MARKER = '"[system:';

const PROMPT = 'Say hello to the benchmark in ten short words, please.';

const openaiBody = (model: string, prompt = PROMPT) => (stream: boolean) =>
  JSON.stringify({
    model,
    messages: [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: prompt },
    ],
    max_completion_tokens: 64,
    temperature: 0,
    ...(stream ? { stream: true } : {}),
  });

const anthropicBody = (model: string) => (stream: boolean) =>
  JSON.stringify({
    model,
    system: 'You are terse.',
    messages: [{ role: 'user', content: PROMPT }],
    max_tokens: 64,
    temperature: 0,
    ...(stream ? { stream: true } : {}),
  });

const JSON_CT = { 'content-type': 'application/json' };
const OPENAI_AUTH = { ...JSON_CT, authorization: `Bearer ${BENCH_OPENAI_KEY}` };
const ANTHROPIC_AUTH = { ...JSON_CT, 'x-api-key': BENCH_ANTHROPIC_KEY, 'anthropic-version': '2023-06-01' };

/** Scenario factories; Portkey needs the mock's URL in a header. */
export function allScenarios(mockUrl: string): Scenario[] {
  return [
    {
      id: 'direct',
      title: 'direct to the mock (OpenAI chat)',
      server: 'mock',
      path: '/v1/chat/completions',
      headers: OPENAI_AUTH,
      body: openaiBody('gpt-4o-mini'),
      baseline: 'direct',
    },
    {
      id: 'bare',
      title: 'bare Node hop (node:http + undici Pool, piped)',
      server: 'bare',
      path: '/v1/chat/completions',
      headers: OPENAI_AUTH,
      body: openaiBody('gpt-4o-mini'),
      baseline: 'direct',
    },
    {
      id: 'switchyard',
      title: 'Switchyard, OpenAI client -> openai provider',
      server: 'switchyard',
      path: '/v1/chat/completions',
      headers: JSON_CT,
      body: openaiBody(ALIAS_OPENAI),
      baseline: 'direct',
      bareRow: 'bare',
      portkeyRow: 'portkey',
    },
    {
      id: 'switchyard-cross',
      title: 'Switchyard, Anthropic client -> openai provider',
      server: 'switchyard',
      path: '/anthropic/v1/messages',
      headers: { ...JSON_CT, 'anthropic-version': '2023-06-01' },
      body: anthropicBody(ALIAS_OPENAI),
      baseline: 'direct',
      bareRow: 'bare',
      portkeyRow: 'portkey',
    },
    {
      id: 'portkey',
      title: "Portkey's gateway, OpenAI client -> openai provider",
      server: 'portkey',
      path: '/v1/chat/completions',
      headers: { ...OPENAI_AUTH, 'x-portkey-provider': 'openai', 'x-portkey-custom-host': `${mockUrl}/v1` },
      body: openaiBody('gpt-4o-mini'),
      baseline: 'direct',
    },
    // Not in the default set: governance on, on a second Switchyard process with the same config
    // plus governance (Redis started by the bench on a free loopback port; one virtual key with a
    // request limit, a token limit and a budget, all far from reached: governedConfigExtra).
    // Compare with `switchyard` in the same run.
    {
      id: 'switchyard-governed',
      title: 'Switchyard with governance (virtual key, limits and budget), OpenAI client -> openai provider',
      server: 'switchyard-governed',
      path: '/v1/chat/completions',
      headers: { ...JSON_CT, authorization: `Bearer ${BENCH_VIRTUAL_KEY}` },
      body: openaiBody(ALIAS_OPENAI),
      baseline: 'direct',
      bareRow: 'bare',
    },
    // Not in the default set: the response cache (memory store, exact) on the alias bench-cached.
    // Compare with `switchyard` in the same run: every request a hit, and every request a miss.
    {
      id: 'switchyard-cache-hit',
      title: 'Switchyard, cache on, every request an exact hit (memory store), OpenAI client',
      server: 'switchyard',
      path: '/v1/chat/completions',
      headers: JSON_CT,
      body: openaiBody(ALIAS_CACHED),
      baseline: 'direct',
      bareRow: 'bare',
    },
    {
      id: 'switchyard-cache-miss',
      title: 'Switchyard, cache on, 0 % hits (each request unique: lookup, upstream, store), OpenAI client',
      server: 'switchyard',
      path: '/v1/chat/completions',
      headers: JSON_CT,
      body: openaiBody(ALIAS_CACHED, `${PROMPT} #UNIQUE#`),
      uniqueToken: '#UNIQUE#',
      baseline: 'direct',
      bareRow: 'bare',
    },
    // The baseline of switchyard-cache-miss: the same unique prompts with the cache off. (Unique
    // prompts change more than the gateway's work: the mock prepares every answer afresh instead
    // of replaying its cached bytes, so `switchyard` is not a fair baseline for a miss.)
    {
      id: 'switchyard-unique',
      title: 'Switchyard, cache off, each request unique (the baseline of switchyard-cache-miss), OpenAI client',
      server: 'switchyard',
      path: '/v1/chat/completions',
      headers: JSON_CT,
      body: openaiBody(ALIAS_OPENAI, `${PROMPT} #UNIQUE#`),
      uniqueToken: '#UNIQUE#',
      baseline: 'direct',
      bareRow: 'bare',
    },
    // Not in the default set: the OpenAI Responses API with `store` left at its default (true), so
    // every answer is written to the stored responses (SQLite, the request log's file) before it is
    // sent. Compare with `switchyard` in the same run.
    {
      id: 'switchyard-responses',
      title: 'Switchyard, OpenAI Responses client (answers stored) -> openai provider',
      server: 'switchyard',
      path: '/v1/responses',
      headers: JSON_CT,
      body: (stream) =>
        JSON.stringify({ model: ALIAS_OPENAI, instructions: 'You are terse.', input: PROMPT, max_output_tokens: 64, temperature: 0, ...(stream ? { stream: true } : {}) }),
      baseline: 'direct',
      bareRow: 'bare',
    },
    // Not in the default set (--scenarios=...): the other cross direction, with its own baseline.
    {
      id: 'direct-anthropic',
      title: 'direct to the mock (Anthropic messages)',
      server: 'mock',
      path: '/v1/messages',
      headers: ANTHROPIC_AUTH,
      body: anthropicBody('claude-sonnet-4-5'),
      baseline: 'direct-anthropic',
    },
    {
      id: 'switchyard-cross-anthropic',
      title: 'Switchyard, OpenAI client -> anthropic provider',
      server: 'switchyard',
      path: '/v1/chat/completions',
      headers: JSON_CT,
      body: openaiBody(ALIAS_ANTHROPIC),
      baseline: 'direct-anthropic',
    },
  ];
}

/** Suffix of a scenario's twin served by the baseline tree's Switchyard. */
export const BASE_SUFFIX = '@base';

/**
 * With --baseline-root: each scenario served by `switchyard` gets a twin on `switchyard-base`, placed
 * right after it so that both are measured back to back in every phase, against the same bare hop.
 */
export function withBaselineTwins(scenarios: Scenario[]): Scenario[] {
  return scenarios.flatMap((s) => (s.server === 'switchyard' ? [s, { ...s, id: `${s.id}${BASE_SUFFIX}`, title: `${s.title} (baseline tree)`, server: 'switchyard-base' as const }] : [s]));
}

/**
 * The order of the scenarios in round `round` of a phase. Even rounds run them as listed. Odd
 * rounds keep every slot's server, and run each server's scenarios in its slots in reverse. So of
 * two scenarios on one server, each is in turn the one that comes first after the server sat idle
 * while another server was measured, and each in turn the one that follows its sibling.
 * (Reversing the whole list instead, as before 2026-12-02, let a server's last scenario of one
 * round also open the next, with no pause: in `bare, switchyard-unique, switchyard-cache-miss` the
 * middle row always came after the pause, and the cache's 0 %-hit ratio moved by 7–10 points with
 * the order of the list: docs/performance.md.) With an even number of rounds each gets half.
 */
export function roundOrder<S extends { server: ServerId }>(scenarios: readonly S[], round: number): S[] {
  if (round % 2 === 0) return [...scenarios];
  const byServer = new Map<ServerId, S[]>();
  for (const s of scenarios) {
    const list = byServer.get(s.server);
    if (list) list.push(s);
    else byServer.set(s.server, [s]);
  }
  return scenarios.map((s) => byServer.get(s.server)!.pop()!);
}

export const DEFAULT_SCENARIOS = ['direct', 'bare', 'switchyard', 'switchyard-cross', 'portkey'];
