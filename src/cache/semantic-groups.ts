/**
 * The embedded semantic index's entries in memory: one group per namespace + context key (a search
 * looks only inside its own group), each entry an answer with the unit vector of its question.
 *
 * Why a group starts as a plain list and gets an HNSW graph only past FLAT_MAX entries: hnswlib
 * gives every graph a fixed cost of about 2.6 MB (its per-graph label locks), whatever it holds.
 * Every conversation with earlier turns is a group of its own, so a graph per group ran to
 * gigabytes within a few thousand conversations (5,000 one-entry groups: 13 GB; as lists: 31 MB).
 * A group of up to FLAT_MAX entries is searched by comparing with each (exact; about 0.45 µs a
 * 384-dimension entry, so at most about 0.25 ms, what a graph search costs too). A larger one, the
 * shape of a single-prompt FAQ bot, gets its graph, built a slice at a time between turns of the
 * event loop (an HNSW insert costs about 0.3 ms) while the list still answers. A graph reuses the
 * slots of deleted entries; a group that shrinks to a quarter of FLAT_MAX goes back to a list (its
 * vectors read back from the graph), and a group goes as soon as it is empty, so expiry gives the
 * memory back.
 *
 * `maxEntries` bounds the whole index: past it, the oldest entries go first.
 */
import type * as Hnswlib from 'hnswlib-node';
import type { HierarchicalNSW as Hnsw } from 'hnswlib-node';
import { loadOnUse } from '../storage/load-on-use.js';
import { flat } from './cache-store.js';
import type { SemanticEntry, SemanticMatch, SemanticQuery } from './semantic-index.js';

const hnswlib = loadOnUse<typeof Hnswlib>('hnswlib-node');

/** Entries a group holds as a plain list; one more and its graph is built. */
export const FLAT_MAX = 512;
/** Neighbours a graph search looks at: the nearest may have expired. */
const K = 4;
/** Time spent building a graph before yielding to the event loop. */
const BUILD_SLICE_MS = 5;

interface Item {
  value: string;
  expiresAt: number;
  group: Group;
  label: number;
  /** The unit vector, while the group is searched as a list (also while its graph is being built). */
  vector: Float32Array | undefined;
  inGraph: boolean;
}

interface Group {
  id: string;
  dims: number;
  items: Map<number, Item>;
  nextLabel: number;
  graph: Hnsw | undefined;
  /** The graph being built (searches use the list until it is done). */
  building: Hnsw | undefined;
  /** Slots of the graph (or the one being built) marked deleted: the next adds reuse them. */
  deleted: number;
}

export interface SemanticGroupsOptions {
  /** Most entries kept (default: no bound); past it, the oldest go. */
  maxEntries?: number;
  /** Entries a group holds as a list (default FLAT_MAX; tests make it small). */
  flatMax?: number;
  /** Time spent building a graph before yielding (default BUILD_SLICE_MS; tests make it 0). */
  buildSliceMs?: number;
}

/** A group with a graph that shrinks to this many entries goes back to a list (`flatMax / 4`: no back and forth). */
function listAgainAt(flatMax: number): number {
  return Math.floor(flatMax / 4);
}

function unit(v: readonly number[]): Float32Array {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += v[i]! * v[i]!;
  const out = Float32Array.from(v);
  if (n > 0) {
    const s = 1 / Math.sqrt(n);
    for (let i = 0; i < out.length; i++) out[i]! *= s;
  }
  return out;
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

export class SemanticGroups {
  private readonly groups = new Map<string, Group>();
  /** Every entry, oldest first (a Set keeps insertion order): the eviction order and the count. */
  private readonly order = new Set<Item>();
  private maxEntries: number;
  /** Entries evicted for the bound so far (the index trims its SQLite copy when this moves). */
  evicted = 0;
  private closed = false;
  /** Graphs being built (idle() waits for them). */
  private readonly builds = new Set<Promise<void>>();

  constructor(private readonly o: SemanticGroupsOptions = {}) {
    this.maxEntries = o.maxEntries ?? Infinity;
  }

  get size(): number {
    return this.order.size;
  }

  /** Groups that have (or are building) an HNSW graph. */
  get graphs(): number {
    let n = 0;
    for (const g of this.groups.values()) if (g.graph || g.building) n++;
    return n;
  }

  get groupCount(): number {
    return this.groups.size;
  }

  /** Slots in use in the graphs, deleted ones included (what a graph's memory follows). */
  get graphSlots(): number {
    let n = 0;
    for (const g of this.groups.values()) n += (g.graph ?? g.building)?.getCurrentCount() ?? 0;
    return n;
  }

  /** Resolves once no graph is being built (the benchmark measures searches after that). */
  async idle(): Promise<void> {
    while (this.builds.size > 0) await Promise.all(this.builds);
  }

  setMaxEntries(n: number): void {
    this.maxEntries = n;
    this.evictOverMax();
  }

  add(e: SemanticEntry): void {
    const id = `${e.namespace}\u0000${e.contextKey}`;
    let g = this.groups.get(id);
    // The embedding model changed size: the old vectors cannot be compared.
    if (g && g.dims !== e.vector.length) g = this.drop(g);
    if (!g) {
      g = { id, dims: e.vector.length, items: new Map(), nextLabel: 0, graph: undefined, building: undefined, deleted: 0 };
      this.groups.set(id, g);
    }
    const label = g.nextLabel++;
    const item: Item = { value: flat(e.value), expiresAt: e.expiresAt, group: g, label, vector: undefined, inGraph: false };
    // Into the graph at once when there is one, even one being built (which then only has the
    // entries it started with to catch up on); the list keeps the vector until the graph is done.
    const graph = g.graph ?? g.building;
    if (graph) {
      this.addToGraph(g, graph, e.vector, label);
      item.inGraph = true;
    }
    if (!g.graph) item.vector = unit(e.vector);
    g.items.set(label, item);
    this.order.add(item);
    if (!g.graph && !g.building && g.items.size > (this.o.flatMax ?? FLAT_MAX)) this.startGraph(g);
    this.evictOverMax();
  }

  search(q: SemanticQuery): SemanticMatch | undefined {
    const g = this.groups.get(`${q.namespace}\u0000${q.contextKey}`);
    if (!g || g.dims !== q.vector.length) return undefined;
    return g.graph ? this.searchGraph(g, g.graph, q) : this.searchList(g, q);
  }

  private searchList(g: Group, q: SemanticQuery): SemanticMatch | undefined {
    const v = unit(q.vector);
    let best: Item | undefined;
    let bestSimilarity = -Infinity;
    for (const item of g.items.values()) {
      if (item.expiresAt <= q.now) {
        this.forget(item);
        continue;
      }
      const similarity = dot(v, item.vector!);
      if (similarity > bestSimilarity) {
        bestSimilarity = similarity;
        best = item;
      }
    }
    return best && bestSimilarity >= q.threshold ? { value: best.value, similarity: bestSimilarity } : undefined;
  }

  private searchGraph(g: Group, graph: Hnsw, q: SemanticQuery): SemanticMatch | undefined {
    if (g.items.size === 0) return undefined;
    const { neighbors, distances } = graph.searchKnn(q.vector, Math.min(K, g.items.size));
    for (let i = 0; i < neighbors.length; i++) {
      const item = g.items.get(neighbors[i]!);
      if (!item) continue;
      if (item.expiresAt <= q.now) {
        this.forget(item);
        continue;
      }
      const similarity = 1 - distances[i]!;
      return similarity >= q.threshold ? { value: item.value, similarity } : undefined;
    }
    return undefined;
  }

  /** Removes the expired entries everywhere. */
  sweep(now: number): void {
    for (const item of this.order) if (item.expiresAt <= now) this.forget(item);
  }

  /** Removes every entry, or a namespace's; returns how many went. */
  clear(namespace?: string): number {
    if (namespace === undefined) {
      const n = this.order.size;
      for (const g of [...this.groups.values()]) this.drop(g);
      return n;
    }
    let n = 0;
    for (const g of [...this.groups.values()]) {
      if (!g.id.startsWith(`${namespace}\u0000`)) continue;
      n += g.items.size;
      this.drop(g);
    }
    return n;
  }

  close(): void {
    this.closed = true;
    this.clear();
  }

  private evictOverMax(): void {
    while (this.order.size > this.maxEntries) {
      const oldest = this.order.values().next().value!;
      this.forget(oldest);
      this.evicted++;
    }
  }

  private forget(item: Item): void {
    const g = item.group;
    if (g.items.get(item.label) !== item) return;
    g.items.delete(item.label);
    this.order.delete(item);
    if (item.inGraph) {
      try {
        (g.graph ?? g.building)!.markDelete(item.label);
        g.deleted++;
      } catch {
        // already deleted
      }
    }
    // An empty group goes at once, with its graph (hnswlib frees it when the object is collected).
    if (g.items.size === 0) {
      if (this.groups.get(g.id) === g) this.drop(g);
    } else if ((g.graph || g.building) && g.items.size <= listAgainAt(this.o.flatMax ?? FLAT_MAX)) this.backToList(g);
  }

  /**
   * A graph whose group shrank (entries expired, evicted): about 2.6 MB for a handful of entries.
   * The entries' vectors come back from the graph (unit vectors: the cosine space normalises what it
   * holds), or are still in the list while the graph was being built, and the graph goes.
   */
  private backToList(g: Group): void {
    const graph = g.graph;
    for (const item of g.items.values()) {
      if (graph) item.vector = Float32Array.from(graph.getPoint(item.label));
      item.inGraph = false;
    }
    g.graph = undefined;
    g.building = undefined;
    g.deleted = 0;
  }

  private drop(g: Group): undefined {
    for (const item of g.items.values()) this.order.delete(item);
    g.items.clear();
    g.building = undefined;
    g.graph = undefined;
    if (this.groups.get(g.id) === g) this.groups.delete(g.id);
    return undefined;
  }

  private addToGraph(g: Group, graph: Hnsw, vector: readonly number[], label: number): void {
    const reuse = g.deleted > 0;
    if (!reuse && graph.getCurrentCount() >= graph.getMaxElements()) graph.resizeIndex(graph.getMaxElements() * 2);
    graph.addPoint(vector as number[], label, reuse);
    if (reuse) g.deleted--;
  }

  private startGraph(g: Group): void {
    const graph = new (hnswlib().HierarchicalNSW)('cosine', g.dims);
    graph.initIndex({ maxElements: 2 * g.items.size, m: 16, efConstruction: 100, allowReplaceDeleted: true });
    graph.setEf(64);
    g.building = graph;
    const done = this.build(g, graph).finally(() => this.builds.delete(done));
    this.builds.add(done);
  }

  /**
   * Puts a group's entries into its new graph a slice at a time (those added meanwhile went into
   * it as they came, and are skipped here).
   */
  private async build(g: Group, graph: Hnsw): Promise<void> {
    const slice = this.o.buildSliceMs ?? BUILD_SLICE_MS;
    let until = performance.now() + slice;
    for (const item of g.items.values()) {
      if (item.inGraph) continue;
      this.addToGraph(g, graph, Array.from(item.vector!), item.label);
      item.inGraph = true;
      if (performance.now() >= until) {
        await new Promise((resolve) => setImmediate(resolve));
        // Dropped, cleared or closed meanwhile: the graph is not needed any more.
        if (this.closed || g.building !== graph) return;
        until = performance.now() + slice;
      }
    }
    g.graph = graph;
    g.building = undefined;
    for (const item of g.items.values()) item.vector = undefined;
  }
}
