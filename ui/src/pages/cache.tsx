/**
 * Cache: the response cache's state from GET /api/cache/stats (refreshing every 5 s): what the
 * store and the semantic index hold, this replica's counters since it started, the backends and
 * the settings; and clearing it, all of it or one namespace (DELETE /api/cache[?namespace=]).
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { FormEvent } from 'react';
import { api } from '../api';
import type { AliasView, ListAnswer } from '../api';
import { Badge, ColumnHeads, Empty, ErrorBox, Field, FormError, Loading, PageHeader, READ_ONLY_TITLE, Stat } from '../components';
import { fmtClock, fmtPct, fmtUsd } from '../format';
import { useSession } from '../session';

/** A count's tooltip: what it counts, and when a store that counts seldom took it. */
function countTitle(what: string, b: { entries: number | null; counted_at?: string }): string {
  if (b.counted_at !== undefined) return `${what}; counted at ${fmtClock(b.counted_at)}`;
  return what;
}

/** Redis and Postgres are counted at most every 10 s (a full SCAN, a count over the table). */
function countedNote(s: CacheStats) {
  const at = [s.store.counted_at, s.semantic.counted_at].filter((t): t is string => t !== undefined);
  if (at.length === 0) return null;
  const oldest = at.reduce((a, b) => (a < b ? a : b));
  return (
    <p className="muted small" data-testid="cache-counted-at">
      Shared stores are counted at most every 10 s (less often when a count is slow); counted at {fmtClock(oldest)}.
    </p>
  );
}

interface CacheStats {
  enabled: boolean;
  namespace: 'key' | 'team' | 'global';
  ttl_s: number;
  /** cache.admission; `storing_on`: second-sight once `window` lookups in a row missed, until a hit. */
  admission: { mode: 'adaptive' | 'always'; window: number; storing_on: 'first-sight' | 'second-sight' };
  /** `counted_at`: Redis counts its entries at most every 10 s; `entries` is null until the first count. */
  store: { type: string; up: boolean; entries: number | null; bytes?: number; counted_at?: string };
  /** `up` and `entries` are null while no semantic index is in use; Postgres counts like Redis. */
  semantic: { enabled: boolean; index: string; up: boolean | null; entries: number | null; threshold: number; counted_at?: string };
  since_start: {
    hits: number;
    semantic_hits: number;
    misses: number;
    bypasses: number;
    stored: number;
    not_admitted: number;
    hit_ratio: number;
    saved_usd: number;
    errors: Record<string, number>;
  };
}

interface Cleared {
  deleted: number;
  exact: number;
  semantic: number;
  namespace?: string;
}

/** The server's rule (src/server/admin/cache-resource.ts), so a typo is caught before the request. */
const NAMESPACE = /^(global|key:[^\s]{1,200}|team:[^\s]{1,200})$/;

const NAMESPACE_MODES: Record<CacheStats['namespace'], string> = {
  key: 'each key its own entries (key:<id>)',
  team: "a key's team shares them (team:<name>)",
  global: 'everyone shares them (global)',
};

/** What each error counter counts; every one of them was served as a miss. */
const ERROR_STAGES: Array<[string, string]> = [
  ['store', 'Store'],
  ['index', 'Semantic index'],
  ['embedding', 'Embedding'],
];

function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

function fmtTtl(s: number): string {
  const friendly = s % 86_400 === 0 ? `${s / 86_400} d` : s % 3600 === 0 ? `${s / 3600} h` : s % 60 === 0 ? `${s / 60} min` : undefined;
  return friendly && s >= 60 ? `${s} s (${friendly})` : `${s} s`;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** Whether an alias's `cache` turns the cache on for it (as the gateway reads models.<alias>.cache). */
function aliasCached(a: AliasView): boolean {
  const c = a['cache'];
  return c === true || (typeof c === 'object' && c !== null && (c as { enabled?: boolean }).enabled !== false);
}

function aliasUncached(a: AliasView): boolean {
  const c = a['cache'];
  return c === false || (typeof c === 'object' && c !== null && (c as { enabled?: boolean }).enabled === false);
}

export function CachePage() {
  const { canWrite } = useSession();
  const qc = useQueryClient();
  const q = useQuery({ queryKey: ['cache'], refetchInterval: 5_000, queryFn: () => api<CacheStats>('cache/stats') });
  // The stats say whether cache.enabled is on, not which aliases turn it on for themselves.
  const models = useQuery({ queryKey: ['models'], queryFn: () => api<ListAnswer<AliasView>>('models') });
  const [cleared, setCleared] = useState<Cleared>();
  const clear = useMutation({
    mutationFn: () => api<Cleared>('cache', { method: 'DELETE' }),
    onMutate: () => setCleared(undefined),
    onSuccess: (r) => {
      setCleared(r);
      void qc.invalidateQueries({ queryKey: ['cache'] });
    },
  });
  // Off and empty: there is nothing to clear.
  const state = q.data ? cacheState(q.data, models.data?.data) : undefined;
  const clearable = !state || !state.off || state.anything;
  return (
    <>
      <PageHeader title="Cache">
        {q.data ? <span className="muted small">Updated {fmtClock(q.dataUpdatedAt)} · refreshes every 5 s</span> : null}
        {clearable ? (
          <button
            type="button"
            className="danger"
            disabled={!canWrite || clear.isPending}
            title={canWrite ? 'Delete every entry of the exact store and the semantic index' : READ_ONLY_TITLE}
            onClick={() => {
              if (confirm('Delete every cached response, of every namespace?')) clear.mutate();
            }}
          >
            {clear.isPending ? 'Clearing…' : 'Clear the cache'}
          </button>
        ) : null}
      </PageHeader>
      <FormError error={clear.error} />
      {cleared && cleared.namespace === undefined ? <ClearedNote r={cleared} /> : null}
      {q.isPending ? (
        <Loading what="cache statistics" />
      ) : q.isError ? (
        <ErrorBox error={q.error} retry={() => void q.refetch()} />
      ) : (
        <CacheBody s={q.data} aliases={models.data?.data} cleared={cleared} onCleared={setCleared} />
      )}
    </>
  );
}

function ClearedNote({ r }: { r: Cleared }) {
  return (
    <div className="test-result ok" role="status" data-testid="cache-cleared">
      Deleted {plural(r.deleted, 'entry', 'entries')} ({r.exact} exact, {r.semantic} semantic){r.namespace ? ` from ${r.namespace}` : ''}.
    </div>
  );
}

/** Whether the cache is off for every alias, and whether it holds or has served anything anyway. */
function cacheState(s: CacheStats, aliases: AliasView[] | undefined) {
  const c = s.since_start;
  const cachedAliases = aliases?.filter(aliasCached).map((a) => a.name) ?? [];
  // Without the alias list (still loading, or refused), an exact store in use says the cache is on.
  const off = !s.enabled && (aliases ? cachedAliases.length === 0 : s.store.entries === null);
  const anything = (s.store.entries ?? 0) > 0 || (s.semantic.entries ?? 0) > 0 || c.hits + c.semantic_hits + c.misses + c.bypasses + c.stored > 0;
  return { off, anything, cachedAliases };
}

function CacheBody({ s, aliases, cleared, onCleared }: { s: CacheStats; aliases: AliasView[] | undefined; cleared: Cleared | undefined; onCleared: (r: Cleared | undefined) => void }) {
  const c = s.since_start;
  const { off, anything, cachedAliases } = cacheState(s, aliases);
  const uncachedAliases = aliases?.filter(aliasUncached).map((a) => a.name) ?? [];
  const semanticInUse = s.semantic.enabled || s.semantic.up !== null;
  const offNotice = (
    <Empty title="The response cache is off">
      It is off by default. Set <code>cache.enabled: true</code> in the config, or <code>cache: true</code> on one alias (<code>models.&lt;alias&gt;.cache</code>); docs/cache.md says when it pays off.
    </Empty>
  );
  // Turned off by a reload after it held answers: say so, and still show what it holds.
  if (off && !anything) return offNotice;
  return (
    <>
      {off ? offNotice : null}
      {!s.enabled && cachedAliases.length > 0 ? (
        <p className="note" role="note">
          <code>cache.enabled</code> is false: only {cachedAliases.length === 1 ? 'alias' : 'aliases'} <span className="mono">{cachedAliases.join(', ')}</span> {cachedAliases.length === 1 ? 'is' : 'are'} cached
          (<code>models.&lt;alias&gt;.cache</code>).
        </p>
      ) : null}
      <section aria-labelledby="cache-held-h">
        <h2 id="cache-held-h">Held now</h2>
        <div className="cards">
          <Stat label="Entries held" value={s.store.entries === null ? '—' : String(s.store.entries)} testId="cache-entries" title={countTitle('Entries in the exact store (expired ones count until they are removed)', s.store)} />
          {s.store.bytes !== undefined ? <Stat label="Size held" value={fmtBytes(s.store.bytes)} testId="cache-bytes" /> : null}
          {semanticInUse ? <Stat label="Semantic index entries" value={s.semantic.entries === null ? '—' : String(s.semantic.entries)} testId="cache-semantic-entries" title={countTitle('Entries in the semantic index', s.semantic)} /> : null}
        </div>
        {countedNote(s)}
      </section>
      <section aria-labelledby="cache-since-h">
        <h2 id="cache-since-h">
          Since this replica started <span className="muted small heading-note">(each replica counts its own; a restart starts again at 0)</span>
        </h2>
        <div className="cards">
          <Stat label="Hit ratio" value={fmtPct(c.hit_ratio)} testId="cache-hit-ratio" title="Hits and semantic hits over all lookups (bypasses are not lookups)" />
          <Stat label="Hits" value={String(c.hits)} testId="cache-hits" />
          <Stat label="Semantic hits" value={String(c.semantic_hits)} testId="cache-semantic-hits" />
          <Stat label="Misses" value={String(c.misses)} testId="cache-misses" />
          <Stat label="Bypasses" value={String(c.bypasses)} testId="cache-bypasses" title="Requests with x-switchyard-cache: no-cache or refresh" />
          <Stat label="Stored answers" value={String(c.stored)} testId="cache-stored" />
          <Stat label="Cost saved" value={fmtUsd(c.saved_usd)} testId="cache-saved" title="What the answers served from the cache cost when they were first produced" />
        </div>
      </section>
      <div className="two-col">
        <section aria-labelledby="cache-backends-h">
          <h2 id="cache-backends-h">Backends</h2>
          <table className="table">
            <ColumnHeads names={['Backend', 'Type', 'State', 'Entries']} />
            <tbody>
              <tr>
                <th scope="row">Exact store</th>
                <td className="mono">{s.store.type}</td>
                <td>
                  <UpBadge up={s.store.up} />
                </td>
                <td>{s.store.entries ?? '—'}</td>
              </tr>
              {semanticInUse ? (
                <tr>
                  <th scope="row">Semantic index</th>
                  <td className="mono">{s.semantic.index}</td>
                  <td>
                    <UpBadge up={s.semantic.up === true} />
                  </td>
                  <td>{s.semantic.entries ?? '—'}</td>
                </tr>
              ) : null}
            </tbody>
          </table>
          {!semanticInUse ? <p className="muted small">The semantic cache is off (cache.semantic.enabled).</p> : null}
        </section>
        <section aria-labelledby="cache-settings-h">
          <h2 id="cache-settings-h">Settings</h2>
          <dl className="facts">
            <dt>Namespace</dt>
            <dd>
              <span className="mono">{s.namespace}</span> <span className="muted">— {NAMESPACE_MODES[s.namespace] ?? ''}</span>
            </dd>
            <dt>TTL</dt>
            <dd>{fmtTtl(s.ttl_s)}</dd>
            <dt>Storing</dt>
            <dd data-testid="cache-admission">
              {s.admission.storing_on === 'second-sight' ? (
                <>
                  on second sight <span className="muted">— no hit in the last {s.admission.window} lookups; {plural(c.not_admitted, 'answer', 'answers')} not stored on first sight</span>
                </>
              ) : (
                <>
                  every miss <span className="muted">— {s.admission.mode === 'adaptive' ? `on second sight after ${s.admission.window} lookups in a row without a hit` : 'always'}</span>
                </>
              )}
            </dd>
            <dt>Semantic threshold</dt>
            <dd>
              {s.semantic.threshold} {semanticInUse ? <span className="muted">(cosine similarity)</span> : <span className="muted">(semantic cache off)</span>}
            </dd>
            {s.enabled && uncachedAliases.length > 0 ? (
              <>
                <dt>Not cached</dt>
                <dd className="mono">{uncachedAliases.join(', ')}</dd>
              </>
            ) : null}
          </dl>
          <p className="muted small">Per-alias overrides (models.&lt;alias&gt;.cache) can change the TTL and threshold of one alias.</p>
        </section>
      </div>
      <div className="two-col">
        <section aria-labelledby="cache-errors-h">
          <h2 id="cache-errors-h">Errors since start</h2>
          <table className="table compact">
            <ColumnHeads names={['Stage', 'Errors']} />
            <tbody>
              {ERROR_STAGES.map(([stage, label]) => {
                const n = c.errors[stage] ?? 0;
                return (
                  <tr key={stage}>
                    <th scope="row">{label}</th>
                    <td data-testid={`cache-errors-${stage}`}>{n > 0 ? <Badge tone="bad">{n}</Badge> : n}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <p className="muted small">Each failure was served as a miss: the request went upstream.</p>
        </section>
        <ClearNamespace cleared={cleared} onCleared={onCleared} />
      </div>
    </>
  );
}

function UpBadge({ up }: { up: boolean }) {
  return up ? <Badge tone="ok">up</Badge> : <Badge tone="bad">down</Badge>;
}

/** DELETE /api/cache?namespace=: one tenant's entries, e.g. after a key's prompts changed meaning. */
function ClearNamespace({ cleared, onCleared }: { cleared: Cleared | undefined; onCleared: (r: Cleared | undefined) => void }) {
  const { canWrite } = useSession();
  const qc = useQueryClient();
  const [ns, setNs] = useState('');
  const [invalid, setInvalid] = useState<string>();
  const clear = useMutation({
    mutationFn: (namespace: string) => api<Cleared>(`cache?namespace=${encodeURIComponent(namespace)}`, { method: 'DELETE' }),
    onMutate: () => onCleared(undefined),
    onSuccess: (r) => {
      onCleared(r);
      void qc.invalidateQueries({ queryKey: ['cache'] });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const value = ns.trim();
    if (!NAMESPACE.test(value)) {
      setInvalid('Expected global, key:<key id> or team:<team name>');
      return;
    }
    setInvalid(undefined);
    if (confirm(`Delete every cached response of ${value}?`)) clear.mutate(value);
  };
  return (
    <section aria-labelledby="cache-ns-h">
      <h2 id="cache-ns-h">Clear one namespace</h2>
      <form className="panel" onSubmit={submit} noValidate>
        <Field label="Namespace" hint="global, key:<key id> or team:<team name>" error={invalid}>
          {(id, d) => (
            <input
              id={id}
              aria-describedby={d}
              aria-invalid={invalid !== undefined}
              value={ns}
              onChange={(e) => setNs(e.target.value)}
              placeholder="key:…"
              spellCheck={false}
              autoComplete="off"
              disabled={!canWrite}
              title={canWrite ? undefined : READ_ONLY_TITLE}
            />
          )}
        </Field>
        <FormError error={clear.error} />
        {cleared?.namespace !== undefined ? <ClearedNote r={cleared} /> : null}
        <div className="form-actions">
          <button type="submit" className="danger" disabled={!canWrite || clear.isPending} title={canWrite ? undefined : READ_ONLY_TITLE}>
            {clear.isPending ? 'Clearing…' : 'Clear namespace'}
          </button>
        </div>
      </form>
    </section>
  );
}
