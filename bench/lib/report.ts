/**
 * Turns the raw phase records into the comparison: per scenario throughput, latency added over
 * going straight to the mock, first-token overhead for streams, CPU per request and memory; ratios
 * against the bare Node hop and Portkey; and the targets, each marked met / not met. Nothing here
 * decides an exit code: the numbers are reported, never asserted.
 */
import type { LoadResult, Percentiles } from './load-types.js';
import { median } from './percentiles.js';
import { BASE_SUFFIX } from './scenarios.js';
import type { Mode, Scenario, ServerId } from './scenarios.js';

export type PhaseId = 'c1' | 'throughput' | 'open';

export interface PhaseRecord {
  mode: Mode;
  phase: PhaseId;
  /** With --rounds: which window of the phase (0-based); absent when the phase ran once. */
  round?: number;
  scenario: string;
  server: ServerId;
  result: LoadResult;
  /** CPU ms used in the measured window by each process. */
  cpuMs: { server: number; mock: number; loadgen: number; ours: number; redis?: number };
  /** CPU of the server under test per successful request, µs. */
  cpuUsPerRequest: number;
  /** Whole-host CPU in use during the window (cores), and the part not used by the benchmark. */
  hostBusyCores: number;
  foreignCores: number;
  rssMaxBytes: number;
  /** Event-loop delay (ms) and utilization of the server over the window, from its probe. */
  loop?: { p50: number; p99: number; max: number; utilization: number };
  /** The governed server's Redis over the window: script calls and socket reads it processed. */
  redisOps?: { scripts: number; reads: number };
}

export interface MemoryPoint {
  rssBytes?: number;
  heapUsedBytes?: number;
  heapTotalBytes?: number;
}

export interface ServerMemory {
  server: ServerId;
  pid: number;
  idle: MemoryPoint;
  /** Highest RSS sampled while the server was under load (any phase). */
  loadMaxRssBytes: number;
  after: MemoryPoint;
}

export interface ScenarioRow {
  mode: Mode;
  scenario: string;
  title: string;
  server: ServerId;
  throughput?: number;
  /** With --rounds: this row's throughput in each round (the figures above are their medians). */
  throughputRounds?: number[];
  ratioToBare?: number;
  ratioToPortkey?: number;
  c1?: { p50: number; p99: number; addedP50: number; addedP99: number };
  open?: { rate: number; p50: number; p99: number; addedP50: number; addedP99: number; dropped: number; saturated: boolean };
  /** Streams: time to the first content token, ms, and what it adds over direct. */
  firstToken?: { c1P50: number; c1Added: number; openP50?: number; openAdded?: number; c1FirstByteAdded: number };
  cpuUsPerRequestThroughput?: number;
  cpuUsPerRequestOpen?: number;
  errors: number;
}

export interface TargetCheck {
  target: string;
  subject: string;
  measured: string;
  limit: string;
  aim?: string;
  met: boolean;
  aimMet?: boolean;
}

export interface LoopRow {
  mode: Mode;
  scenario: string;
  /** phase → p99 / max delay (ms) and utilization */
  phases: Partial<Record<PhaseId, { p99: number; max: number; utilization: number }>>;
}

export interface Summary {
  rows: ScenarioRow[];
  loops: LoopRow[];
  memory: ServerMemory[];
  targets: TargetCheck[];
  notes: string[];
}

const MB = 1024 * 1024;

function find(records: PhaseRecord[], mode: Mode, phase: PhaseId, scenario: string): PhaseRecord | undefined {
  return records.find((r) => r.mode === mode && r.phase === phase && r.scenario === scenario);
}

/** A phase's records in round order (one, unless the phase ran in rounds). */
function rounds(records: PhaseRecord[], mode: Mode, phase: PhaseId, scenario: string): PhaseRecord[] {
  return records.filter((r) => r.mode === mode && r.phase === phase && r.scenario === scenario).sort((a, b) => (a.round ?? 0) - (b.round ?? 0));
}

/**
 * Row a's throughput over row b's, both from this run: the median of the per-round ratios when the
 * phase ran in rounds, else the two windows' ratio.
 */
function throughputRatio(a: ScenarioRow, b: ScenarioRow): number | undefined {
  if (a.throughputRounds && b.throughputRounds) return medianRatio(a.throughputRounds, b.throughputRounds);
  return a.throughput !== undefined && b.throughput ? a.throughput / b.throughput : undefined;
}

/** The median of per-round ratios a[i] / b[i] (rounds where both ran). */
function medianRatio(a: readonly number[], b: readonly number[]): number | undefined {
  const xs: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (b[i]! > 0) xs.push(a[i]! / b[i]!);
  return xs.length ? median(xs) : undefined;
}

export function summarize(args: { records: PhaseRecord[]; scenarios: Scenario[]; memory: ServerMemory[]; rate: number }): Summary {
  const { records, scenarios, memory } = args;
  const rows: ScenarioRow[] = [];
  const notes: string[] = [];
  const modes: Mode[] = [...new Set(records.map((r) => r.mode))];
  for (const mode of modes) {
    for (const s of scenarios) {
      const tps = rounds(records, mode, 'throughput', s.id);
      const tp = tps[0];
      const c1 = find(records, mode, 'c1', s.id);
      const open = find(records, mode, 'open', s.id);
      if (!tp && !c1 && !open) continue;
      const row: ScenarioRow = {
        mode,
        scenario: s.id,
        title: s.title,
        server: s.server,
        errors: tps.reduce((n, r) => n + r.result.errors, 0) + (c1?.result.errors ?? 0) + (open?.result.errors ?? 0),
      };
      if (tp) {
        // One window: its figures. Several (--rounds): medians, and ratios as medians of the
        // per-round ratios, each taken against the other row's window of the same round.
        const perRound = tps.map((r) => r.result.throughput);
        row.throughput = median(perRound);
        row.cpuUsPerRequestThroughput = median(tps.map((r) => r.cpuUsPerRequest));
        if (tps.length > 1) row.throughputRounds = perRound;
        const of = (id: string | undefined) => (id ? rounds(records, mode, 'throughput', id).map((r) => r.result.throughput) : []);
        const toBare = medianRatio(perRound, of(s.bareRow));
        const toPortkey = medianRatio(perRound, of(s.portkeyRow));
        if (toBare !== undefined) row.ratioToBare = toBare;
        if (toPortkey !== undefined) row.ratioToPortkey = toPortkey;
      }
      const baseC1 = find(records, mode, 'c1', s.baseline);
      if (c1 && baseC1) {
        row.c1 = {
          p50: c1.result.latency.p50,
          p99: c1.result.latency.p99,
          addedP50: c1.result.latency.p50 - baseC1.result.latency.p50,
          addedP99: c1.result.latency.p99 - baseC1.result.latency.p99,
        };
      }
      const baseOpen = find(records, mode, 'open', s.baseline);
      if (open && baseOpen) {
        const dropped = open.result.dropped;
        row.open = {
          rate: open.result.rate ?? args.rate,
          p50: open.result.latency.p50,
          p99: open.result.latency.p99,
          addedP50: open.result.latency.p50 - baseOpen.result.latency.p50,
          addedP99: open.result.latency.p99 - baseOpen.result.latency.p99,
          dropped,
          // Could not keep the schedule: sends dropped, fewer answers than the rate, or a queue
          // building up (a median of 100 ms on loopback is queueing, not work).
          saturated: dropped > 0 || open.result.throughput < 0.9 * (open.result.rate ?? args.rate) || open.result.latency.p50 > 100,
        };
        row.cpuUsPerRequestOpen = open.cpuUsPerRequest;
      }
      if (mode === 'stream' && c1 && baseC1) {
        row.firstToken = {
          c1P50: c1.result.firstToken.p50,
          c1Added: c1.result.firstToken.p50 - baseC1.result.firstToken.p50,
          c1FirstByteAdded: c1.result.firstByte.p50 - baseC1.result.firstByte.p50,
        };
        if (open && baseOpen) {
          row.firstToken.openP50 = open.result.firstToken.p50;
          row.firstToken.openAdded = open.result.firstToken.p50 - baseOpen.result.firstToken.p50;
        }
      }
      rows.push(row);
    }
  }

  const targets: TargetCheck[] = [];
  const sw = rows.filter((r) => r.server === 'switchyard');
  for (const r of sw) {
    const subject = `${r.scenario} ${r.mode}`;
    if (r.ratioToBare !== undefined) {
      targets.push({ target: 'throughput vs bare hop', subject, measured: pct(r.ratioToBare), limit: '>= 60 %', aim: '70 %', met: r.ratioToBare >= 0.6, aimMet: r.ratioToBare >= 0.7 });
    }
    if (r.ratioToPortkey !== undefined) {
      targets.push({ target: 'throughput vs Portkey', subject, measured: `${r.ratioToPortkey.toFixed(1)}x`, limit: '>= 5x', aim: '10x', met: r.ratioToPortkey >= 5, aimMet: r.ratioToPortkey >= 10 });
    }
    if (r.open) {
      targets.push({ target: `added p50 at ${r.open.rate} req/s`, subject, measured: us(r.open.addedP50), limit: '<= 300 µs', met: r.open.addedP50 <= 0.3 && !r.open.saturated });
      targets.push({ target: `added p99 at ${r.open.rate} req/s`, subject, measured: us(r.open.addedP99), limit: '<= 2 ms', met: r.open.addedP99 <= 2 && !r.open.saturated });
    }
    if (r.firstToken) {
      const worst = Math.max(r.firstToken.c1Added, r.firstToken.openAdded ?? -Infinity);
      targets.push({
        target: 'stream first token added (p50, c=1 and open loop)',
        subject,
        measured: `${us(r.firstToken.c1Added)} / ${r.firstToken.openAdded === undefined ? 'n/a' : us(r.firstToken.openAdded)}`,
        limit: '<= 1 ms',
        met: worst <= 1,
      });
    }
  }
  // With --baseline-root: this tree against the baseline tree, each a share of the same bare hop
  // in the same run (the control-plane issue's rule: within 5 % of the baseline's share).
  for (const base of rows.filter((r) => r.server === 'switchyard-base')) {
    const id = base.scenario.slice(0, -BASE_SUFFIX.length);
    const mine = rows.find((r) => r.scenario === id && r.mode === base.mode);
    // Both are shares of the same bare hop, so their ratio is this tree's throughput over the
    // baseline's (per round: the window next to it).
    const ratio = mine && throughputRatio(mine, base);
    if (ratio === undefined) continue;
    targets.push({ target: 'share of bare: this tree / baseline tree', subject: `${id} ${base.mode}`, measured: `${(ratio * 100).toFixed(1)} %`, limit: '>= 95 %', met: ratio >= 0.95 });
  }
  // Governance on vs off: the governed server against the plain one, same run, same mode.
  for (const g of rows.filter((r) => r.scenario === 'switchyard-governed')) {
    const off = rows.find((r) => r.scenario === 'switchyard' && r.mode === g.mode);
    if (!off) continue;
    const subject = `governed vs switchyard ${g.mode}`;
    const ratio = throughputRatio(g, off);
    if (ratio !== undefined) {
      targets.push({ target: "governance on: throughput (closed loop)", subject, measured: pct(ratio), limit: '>= 85 %', met: ratio >= 0.85 });
    }
    if (g.c1 && off.c1) {
      const added = g.c1.p50 - off.c1.p50;
      targets.push({ target: 'governance on: added p50 at c=1', subject, measured: us(added), limit: '<= 300 µs', met: added <= 0.3 });
    }
  }
  // The response cache, on the same server in the same run: every request a hit against the
  // proxied request, and every request a miss against the same unique prompts with the cache off.
  for (const [id, againstId, target, limit, min] of [
    ['switchyard-cache-hit', 'switchyard', 'cache hit: throughput vs the proxied request', '>= 1.5x', 1.5],
    ['switchyard-cache-miss', 'switchyard-unique', 'cache on, 0 % hits: throughput vs cache off', '>= 95 %', 0.95],
  ] as const) {
    for (const r of rows.filter((x) => x.scenario === id)) {
      const against = rows.find((x) => x.scenario === againstId && x.mode === r.mode);
      const ratio = against && throughputRatio(r, against);
      if (ratio === undefined) continue;
      const measured = min > 1 ? `${ratio.toFixed(2)}x` : `${(ratio * 100).toFixed(1)} %`;
      targets.push({ target, subject: `${id} vs ${againstId} ${r.mode}`, measured, limit, met: ratio >= min });
    }
  }
  const swMem = memory.find((m) => m.server === 'switchyard');
  if (swMem) {
    if (swMem.idle.rssBytes !== undefined) {
      targets.push({ target: 'RSS idle', subject: 'switchyard', measured: mb(swMem.idle.rssBytes), limit: '<= 60 MB', met: swMem.idle.rssBytes <= 60 * MB });
    }
    targets.push({ target: 'RSS under load (max)', subject: 'switchyard', measured: mb(swMem.loadMaxRssBytes), limit: '<= 150 MB', met: swMem.loadMaxRssBytes <= 150 * MB });
  }
  const direct = rows.filter((r) => r.scenario === 'direct');
  for (const d of direct) {
    const proxies = rows.filter((r) => r.mode === d.mode && r.server !== 'mock' && r.throughput !== undefined);
    const best = Math.max(0, ...proxies.map((r) => r.throughput!));
    if (d.throughput !== undefined && best > 0) {
      const factor = d.throughput / best;
      notes.push(`${d.mode}: direct to the mock ran ${factor.toFixed(1)}x the fastest proxy's throughput${factor < 2 ? ' — WARNING: the mock/load generator may be limiting the proxies' : ' (the mock is not the bottleneck)'}.`);
    }
  }
  const loops: LoopRow[] = [];
  for (const mode of modes) {
    for (const s of scenarios) {
      const phases: LoopRow['phases'] = {};
      for (const phase of ['throughput', 'open'] as const) {
        const l = find(records, mode, phase, s.id)?.loop;
        if (l) phases[phase] = { p99: l.p99, max: l.max, utilization: l.utilization };
      }
      if (Object.keys(phases).length) loops.push({ mode, scenario: s.id, phases });
    }
  }
  return { rows, loops, memory, targets, notes };
}

export function pct(x: number): string {
  return `${(x * 100).toFixed(0)} %`;
}
export function us(ms: number): string {
  return `${ms >= 0 ? '+' : ''}${Math.round(ms * 1000)} µs`;
}
export function msf(ms: number): string {
  return `${ms.toFixed(2)} ms`;
}
export function mb(bytes: number): string {
  return `${(bytes / MB).toFixed(1)} MB`;
}

function table(head: string[], body: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

function mdTable(head: string[], body: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...body.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function scenarioCells(r: ScenarioRow): string[] {
  return [
    `${r.scenario} (${r.mode})`,
    r.throughput === undefined ? '' : r.throughput.toFixed(0),
    r.ratioToBare === undefined ? '' : pct(r.ratioToBare),
    r.ratioToPortkey === undefined ? '' : `${r.ratioToPortkey.toFixed(1)}x`,
    r.c1 ? `${msf(r.c1.p50)} / ${msf(r.c1.p99)}` : '',
    r.c1 && r.scenario !== 'direct' ? `${us(r.c1.addedP50)} / ${us(r.c1.addedP99)}` : '',
    r.open ? `${msf(r.open.p50)} / ${msf(r.open.p99)}${r.open.saturated ? ' SAT' : ''}` : '',
    r.open && r.scenario !== 'direct' ? `${us(r.open.addedP50)} / ${us(r.open.addedP99)}` : '',
    r.firstToken && r.scenario !== 'direct' ? `${us(r.firstToken.c1Added)} / ${r.firstToken.openAdded === undefined ? '' : us(r.firstToken.openAdded)}` : '',
    r.cpuUsPerRequestThroughput === undefined ? '' : `${r.cpuUsPerRequestThroughput.toFixed(0)} / ${r.cpuUsPerRequestOpen?.toFixed(0) ?? ''}`,
    r.errors ? String(r.errors) : '0',
  ];
}

function scenarioHead(c: number, rate: number): string[] {
  return [
    'scenario',
    `req/s @c${c}`,
    'vs bare',
    'vs Portkey',
    'c=1 p50 / p99',
    'c=1 added p50 / p99',
    `${rate}/s p50 / p99`,
    `${rate}/s added p50 / p99`,
    'stream 1st token added c=1 / rate',
    `CPU µs/req @c${c} / @${rate}/s`,
    'errors',
  ];
}

function memoryCells(m: ServerMemory): string[] {
  return [
    m.server,
    m.idle.rssBytes === undefined ? '' : mb(m.idle.rssBytes),
    mb(m.loadMaxRssBytes),
    m.after.rssBytes === undefined ? '' : mb(m.after.rssBytes),
    m.idle.heapUsedBytes === undefined ? '' : mb(m.idle.heapUsedBytes),
    m.after.heapUsedBytes === undefined ? '' : mb(m.after.heapUsedBytes),
  ];
}
const MEM_HEAD = ['server', 'RSS idle', 'RSS load (max)', 'RSS after', 'heap idle', 'heap after'];

function loopCells(l: LoopRow): string[] {
  const f = (p?: { p99: number; max: number; utilization: number }) => (p ? `${p.p99.toFixed(1)} / ${p.max.toFixed(1)} ms, ${(p.utilization * 100).toFixed(0)} %` : '');
  return [`${l.scenario} (${l.mode})`, f(l.phases.throughput), f(l.phases.open)];
}
function loopHead(c: number, rate: number): string[] {
  return ['server event loop', `@c${c}: delay p99 / max, busy`, `@${rate}/s: delay p99 / max, busy`];
}

function targetCells(t: TargetCheck): string[] {
  return [t.target, t.subject, t.measured, t.limit, t.aim ?? '', t.met ? 'met' : 'NOT MET', t.aimMet === undefined ? '' : t.aimMet ? 'aim met' : 'aim not met'];
}
const TARGET_HEAD = ['target', 'subject', 'measured', 'limit', 'aim', 'status', ''];

export function formatText(s: Summary, o: { concurrency: number; rate: number }): string {
  return [
    'Scenarios (latency in ms; "added" = this row minus direct-to-mock in the same phase; SAT = could not keep the open-loop rate)',
    table(scenarioHead(o.concurrency, o.rate), s.rows.map(scenarioCells)),
    '',
    'Memory (VmRSS from /proc; heap via process.memoryUsage over IPC)',
    table(MEM_HEAD, s.memory.map(memoryCells)),
    '',
    'Event loop of the server under test (monitorEventLoopDelay in the server, over the measured window)',
    table(loopHead(o.concurrency, o.rate), s.loops.map(loopCells)),
    '',
    'Targets (ratios and differences measured in this run, on this machine)',
    table(TARGET_HEAD, s.targets.map(targetCells)),
    '',
    ...s.notes,
  ].join('\n');
}

export function formatMarkdown(s: Summary, o: { concurrency: number; rate: number }): string {
  return [
    mdTable(scenarioHead(o.concurrency, o.rate), s.rows.map(scenarioCells)),
    '',
    mdTable(MEM_HEAD, s.memory.map(memoryCells)),
    '',
    mdTable(loopHead(o.concurrency, o.rate), s.loops.map(loopCells)),
    '',
    mdTable(TARGET_HEAD, s.targets.map(targetCells)),
    '',
    ...s.notes.map((n) => `- ${n}`),
  ].join('\n');
}

export function percentilesMs(p: Percentiles): string {
  return `p50 ${msf(p.p50)} p99 ${msf(p.p99)} max ${msf(p.max)} (n=${p.count})`;
}
