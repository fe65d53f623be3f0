/**
 * Names of MCP tools as models see them: `<server>__<tool>`, made valid for every provider
 * (letters, digits, `_` and `-`, at most 64 characters, starting with a letter: the strictest of
 * OpenAI, Anthropic, Gemini and Bedrock), and the `*` patterns of allow/deny/auto_execute lists.
 */
import { createHash } from 'node:crypto';

export const TOOL_NAME_SEPARATOR = '__';
const MAX_TOOL_NAME = 64;

/** The name a model sees for `tool` of `server`; stable for one (server, tool) pair. */
export function exposedToolName(server: string, tool: string): string {
  const clean = tool.replace(/[^a-zA-Z0-9_-]/g, '_');
  const name = `${server}${TOOL_NAME_SEPARATOR}${clean}`;
  if (name.length <= MAX_TOOL_NAME && clean === tool) return name;
  // Changed or too long: a short hash of the original keeps distinct tools distinct.
  const hash = createHash('sha256').update(tool).digest('hex').slice(0, 8);
  return `${name.slice(0, MAX_TOOL_NAME - 9)}_${hash}`;
}

/** A glob with `*` as the only wildcard, compiled once. */
export function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`);
}

/** Matches a name against a list of globs (an empty list matches nothing). */
export function globMatcher(patterns: readonly string[]): (name: string) => boolean {
  if (patterns.length === 0) return () => false;
  const res = patterns.map(globToRegExp);
  return (name) => res.some((r) => r.test(name));
}

/** Whether a server's `tools` filter offers a tool (by the server's own name for it). */
export function toolFilter(filter: { allow?: string[] | undefined; deny: string[] }): (tool: string) => boolean {
  const allow = filter.allow === undefined ? () => true : globMatcher(filter.allow);
  const deny = globMatcher(filter.deny);
  return (tool) => allow(tool) && !deny(tool);
}
