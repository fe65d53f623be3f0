/**
 * How deep a parsed JSON value nests, checked without recursion: a body nested 10,000 levels deep
 * parses fine but overflows the stack of whatever walks it recursively later (JSON.stringify in a
 * provider adapter, a dialect's converter), so the server refuses it right after parsing.
 */

/**
 * Whether `value` nests objects and arrays more than `limit` levels deep (a bare scalar is depth 0,
 * `{}` and `[]` are depth 1). Stops at the first path deeper than the limit.
 */
export function exceedsJsonDepth(value: unknown, limit: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  const stack: object[] = [value];
  const depths: number[] = [1];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const depth = depths.pop()!;
    if (depth > limit) return true;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const child: unknown = node[i];
        if (child !== null && typeof child === 'object') {
          stack.push(child);
          depths.push(depth + 1);
        }
      }
    } else {
      for (const k in node) {
        const child: unknown = (node as Record<string, unknown>)[k];
        if (child !== null && typeof child === 'object') {
          stack.push(child);
          depths.push(depth + 1);
        }
      }
    }
  }
  return false;
}
