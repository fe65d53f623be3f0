/**
 * "Did you mean" suggestions for misspelt keys, provider types and provider names.
 *
 * Distance is the optimal-string-alignment variant of Damerau-Levenshtein: insertions, deletions,
 * substitutions and swaps of two neighbouring characters each cost 1, so "prot" is one edit from
 * "port" and "opneai" one edit from "openai".
 */

/** Edit distance between `a` and `b` (insert, delete, substitute, swap neighbours: 1 each). */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  // Three rolling rows: two back (for swaps), previous, current.
  let twoBack = new Array<number>(b.length + 1).fill(0);
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  let cur = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, twoBack[j - 2]! + 1);
      }
      cur[j] = d;
    }
    [twoBack, prev, cur] = [prev, cur, twoBack];
  }
  return prev[b.length]!;
}

/**
 * The candidate closest to `input`, or undefined when none is close enough to be a plausible typo.
 * Comparison ignores case and treats "-" like "_" (so "baseUrl" and "base-url" both find
 * "base_url"). Allowed distance grows with length: 1 up to 5 characters, then a third of the length.
 * Ties go to the earlier candidate.
 */
export function didYouMean(input: string, candidates: Iterable<string>): string | undefined {
  const norm = normalize(input);
  if (norm.length === 0) return undefined;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    if (candidate === input) continue;
    const c = normalize(candidate);
    const limit = Math.max(1, Math.floor(Math.max(norm.length, c.length) / 3));
    // Cheap reject: the length difference alone exceeds the limit.
    if (Math.abs(c.length - norm.length) > limit) continue;
    const d = editDistance(norm, c);
    if (d <= limit && d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function normalize(s: string): string {
  return s.toLowerCase().replace(/-/g, '_');
}
