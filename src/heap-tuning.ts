/**
 * V8 settings for a process that serves requests: called once by `switchyard start`, before the
 * first request.
 *
 * Allocation-site pretenuring off. V8 watches where objects are created and, for a site whose
 * objects tend to survive a young-generation collection, allocates them straight in the old
 * generation. A gateway's objects live for one request; but with a few dozen requests in flight at
 * every collection, the sites of per-request objects look long-lived to that heuristic and get
 * pretenured. Their objects then sit in the old generation when the request ends and, dead but
 * not yet collected, keep the young objects they point at (the rest of the request) reachable for
 * every young collection until the next full GC: copied, promoted and marked again for nothing.
 * Measured in docs/performance.md ("Found: a Set per request, and pretenuring"): with this off and
 * the in-flight Set gone, what each stream request leaves for the collector fell by about a third
 * and stream throughput rose.
 *
 * Whoever starts node with --allocation-site-pretenuring (or --no-…) themselves keeps their choice.
 */
import { setFlagsFromString } from 'node:v8';

export function tuneHeapForRequests(execArgv: readonly string[] = process.execArgv): { pretenuring: 'off' | 'as started' } {
  if (execArgv.some((a) => /^--(no-)?allocation[-_]site[-_]pretenuring\b/.test(a))) return { pretenuring: 'as started' };
  setFlagsFromString('--no-allocation-site-pretenuring');
  return { pretenuring: 'off' };
}
