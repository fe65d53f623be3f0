/**
 * The semantic cache's vector index: entries (a cached answer with the embedding of the last user
 * message) grouped by namespace and context key; a search looks only inside its own group and
 * returns the nearest entry at or above the threshold. Any method may reject: a miss.
 */
export interface SemanticEntry {
  namespace: string;
  contextKey: string;
  vector: number[];
  /** The cached answer (JSON). */
  value: string;
  /** Epoch ms (the gateway clock's scale). */
  expiresAt: number;
}

export interface SemanticQuery {
  namespace: string;
  contextKey: string;
  vector: number[];
  /** Least cosine similarity. */
  threshold: number;
  now: number;
}

export interface SemanticMatch {
  value: string;
  similarity: number;
}

export interface SemanticIndex {
  readonly kind: 'embedded' | 'postgres';
  search(q: SemanticQuery): Promise<SemanticMatch | undefined>;
  add(e: SemanticEntry): Promise<void>;
  /** Deletes every entry, or a namespace's; returns how many went. */
  clear(namespace?: string): Promise<number>;
  /** Entries not expired; the shared index counts seldom (paced-count.ts), with `countedAt`. */
  stats(): Promise<{ entries: number | undefined; countedAt?: number }>;
  close(): Promise<void>;
}

/** Cosine similarity of two vectors (0 when either is zero). */
export function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}
