// @ts-check
/**
 * Preloaded (`node --import ./server-probe.mjs ...`) into every server the benchmark starts, so
 * the orchestrator can look inside processes it did not write, over the IPC channel:
 *   { type: 'memory', gc?: true }  → process.memoryUsage() (after a full GC when gc is true and
 *                                    the process runs with --expose-gc)
 *   { type: 'loop' }               → event-loop delay since the previous 'loop' message (p50, p99,
 *                                    max, ms; perf_hooks.monitorEventLoopDelay at 10 ms resolution)
 *                                    and event-loop utilization over the same span; then resets.
 * A delay seen here is time the server's own JavaScript (or GC) held the loop, or time the OS
 * did not run the process: compare with the bare hop's figure from the same phase.
 * Does nothing without an IPC channel, and never keeps the process alive by itself.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

if (typeof process.send === 'function') {
  const RESOLUTION_MS = 10;
  const delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  delay.enable();
  let elu = performance.eventLoopUtilization();
  process.on('message', (msg) => {
    const m = /** @type {{ type?: unknown, gc?: unknown } | null} */ (msg);
    if (!m || typeof m !== 'object') return;
    if (m.type === 'memory') {
      const gc = /** @type {{ gc?: () => void }} */ (globalThis).gc;
      if (m.gc === true && typeof gc === 'function') gc();
      process.send?.({ type: 'memory', memory: process.memoryUsage() });
    } else if (m.type === 'loop') {
      // The histogram holds the time between two ticks of its 10 ms timer: the delay is the excess.
      const ms = (/** @type {number} */ ns) => Math.max(0, ns / 1e6 - RESOLUTION_MS);
      const now = performance.eventLoopUtilization();
      const loop = {
        p50: ms(delay.percentile(50)),
        p99: ms(delay.percentile(99)),
        max: ms(delay.max),
        utilization: performance.eventLoopUtilization(now, elu).utilization,
      };
      elu = now;
      delay.reset();
      process.send?.({ type: 'loop', loop });
    }
  });
  // Let the server decide when to exit; the channel alone should not hold the event loop open.
  /** @type {{ unref?: () => void } | undefined} */ (process.channel)?.unref?.();
}
