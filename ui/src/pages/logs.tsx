/**
 * Logs: the request log, filtered on the server (time, alias, provider, model, key, team, status,
 * fell back), paged by cursor; a request's detail shows its attempts as a timeline, tokens, cost,
 * and its content only when the gateway logs content.
 */
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { createColumnHelper, flexRender, tableFeatures, useTable } from '@tanstack/react-table';
import { useMemo, useState } from 'react';
import type { FormEvent } from 'react';
import { api } from '../api';
import type { Attempt, LogPage, LogRow } from '../api';
import { Badge, Empty, ErrorBox, Loading, PageHeader } from '../components';
import { fmtMs, fmtTime, fmtUsd, zoneName } from '../format';
import { go } from '../route';

const FILTERS = ['alias', 'provider', 'model', 'key', 'team', 'status'] as const;
type Filters = Partial<Record<(typeof FILTERS)[number] | 'from' | 'to' | 'fell_back', string>>;

// The server filters and pages the log, so the table only lays rows out and registers no feature
// (v9 gives an API only with its feature: rows have getAllCells, not the visibility feature's getVisibleCells).
const features = tableFeatures({});
const col = createColumnHelper<typeof features, LogRow>();
const columns = col.columns([
  col.accessor('ts', { header: 'Time', cell: (c) => fmtTime(c.getValue()) }),
  col.accessor((r) => r.alias ?? r.requested_model ?? '—', { id: 'model', header: 'Model' }),
  col.accessor((r) => (r.provider ? `${r.provider}/${r.model ?? ''}` : '—'), { id: 'target', header: 'Served by', cell: (c) => <span className="mono">{c.getValue()}</span> }),
  col.accessor('status', { header: 'Status', cell: (c) => <Badge tone={c.getValue() < 400 ? 'ok' : c.getValue() < 500 ? 'warn' : 'bad'}>{c.getValue()}</Badge> }),
  col.accessor('fallback_index', { header: 'Fell back', cell: (c) => ((c.getValue() ?? 0) > 0 ? <Badge tone="warn">yes ({c.getValue()})</Badge> : <span className="muted">no</span>) }),
  col.accessor('latency_ms', { header: 'Latency', cell: (c) => fmtMs(c.getValue()) }),
  col.accessor((r) => r.input_tokens + r.output_tokens, { id: 'tokens', header: 'Tokens' }),
  col.accessor('cost_usd', { header: 'Cost', cell: (c) => fmtUsd(c.getValue()) }),
  col.accessor('client_key_id', { header: 'Key', cell: (c) => <span className="mono">{c.getValue() ?? '—'}</span> }),
]);

function toQuery(f: Filters, cursor?: string): string {
  const p = new URLSearchParams({ limit: '50' });
  for (const [k, v] of Object.entries(f)) if (v) p.set(k, k === 'from' || k === 'to' ? new Date(v).toISOString() : v);
  if (cursor) p.set('cursor', cursor);
  return p.toString();
}

export function LogsPage({ params }: { params: URLSearchParams }) {
  const selected = params.get('request_id');
  const [draft, setDraft] = useState<Filters>({});
  const [filters, setFilters] = useState<Filters>({});
  const q = useInfiniteQuery({
    queryKey: ['logs', filters],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) => api<LogPage>(`logs?${toQuery(filters, pageParam)}`),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    refetchInterval: 10_000,
  });
  const rows = useMemo(() => q.data?.pages.flatMap((p) => p.data) ?? [], [q.data]);
  const table = useTable({ features, columns, data: rows });
  const apply = (e: FormEvent) => {
    e.preventDefault();
    setFilters(draft);
  };
  return (
    <>
      <PageHeader title="Logs">
        <button type="button" onClick={() => void q.refetch()}>
          Refresh
        </button>
      </PageHeader>
      <form className="filters" onSubmit={apply} aria-label="Filter the request log">
        <label>
          From <span className="muted small">({zoneName})</span>
          <input type="datetime-local" value={draft.from ?? ''} onChange={(e) => setDraft({ ...draft, from: e.target.value })} />
        </label>
        <label>
          To
          <input type="datetime-local" value={draft.to ?? ''} onChange={(e) => setDraft({ ...draft, to: e.target.value })} />
        </label>
        {FILTERS.map((f) => (
          <label key={f}>
            {f === 'key' ? 'Key' : f[0]!.toUpperCase() + f.slice(1)}
            <input value={draft[f] ?? ''} placeholder={f === 'status' ? '429 or 5xx' : ''} onChange={(e) => setDraft({ ...draft, [f]: e.target.value })} />
          </label>
        ))}
        <label>
          Fell back
          <select value={draft.fell_back ?? ''} onChange={(e) => setDraft({ ...draft, fell_back: e.target.value })}>
            <option value="">Any</option>
            <option value="true">Yes</option>
            <option value="false">No</option>
          </select>
        </label>
        <div className="filter-actions">
          <button type="submit" className="primary">
            Apply
          </button>
          <button
            type="button"
            onClick={() => {
              setDraft({});
              setFilters({});
            }}
          >
            Clear
          </button>
        </div>
      </form>
      <div className={selected ? 'logs-split' : undefined}>
        <div>
          {q.isPending ? (
            <Loading what="the request log" />
          ) : q.isError ? (
            <ErrorBox error={q.error} retry={() => void q.refetch()} />
          ) : rows.length === 0 ? (
            <Empty title={Object.values(filters).some(Boolean) ? 'No request matches these filters' : 'No requests logged yet'}>
              {Object.values(filters).some(Boolean) ? 'Widen the time range or clear a filter.' : 'Requests appear here about a second after they finish.'}
            </Empty>
          ) : (
            <>
              <table className="table clickable">
                <caption className="sr-only">Requests, newest first. Choose a row for its detail.</caption>
                <thead>
                  {table.getHeaderGroups().map((hg) => (
                    <tr key={hg.id}>
                      {hg.headers.map((h) => (
                        <th key={h.id} scope="col">
                          {flexRender(h.column.columnDef.header, h.getContext())}
                        </th>
                      ))}
                    </tr>
                  ))}
                </thead>
                <tbody>
                  {table.getRowModel().rows.map((r) => (
                    <tr
                      key={r.original.id}
                      aria-selected={r.original.request_id === selected}
                      tabIndex={0}
                      data-request-id={r.original.request_id}
                      onClick={() => go('logs', { request_id: r.original.request_id })}
                      onKeyDown={(e) => {
                        if (e.key === 'Enter' || e.key === ' ') {
                          e.preventDefault();
                          go('logs', { request_id: r.original.request_id });
                        }
                      }}
                    >
                      {r.getAllCells().map((c) => (
                        <td key={c.id}>{flexRender(c.column.columnDef.cell, c.getContext())}</td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
              {q.hasNextPage ? (
                <button type="button" onClick={() => void q.fetchNextPage()} disabled={q.isFetchingNextPage}>
                  {q.isFetchingNextPage ? 'Loading…' : 'Load older requests'}
                </button>
              ) : null}
            </>
          )}
        </div>
        {selected ? <LogDetail requestId={selected} /> : null}
      </div>
    </>
  );
}

function LogDetail({ requestId }: { requestId: string }) {
  const q = useQuery({ queryKey: ['log', requestId], queryFn: () => api<LogPage>(`logs?request_id=${encodeURIComponent(requestId)}&limit=1`) });
  return (
    <aside className="panel detail" aria-labelledby="detail-h" data-testid="log-detail">
      <header className="panel-header">
        <h2 id="detail-h">Request</h2>
        <button type="button" onClick={() => go('logs')} aria-label="Close the request detail">
          Close
        </button>
      </header>
      {q.isPending ? <Loading what="the request" /> : q.isError ? <ErrorBox error={q.error} /> : q.data.data[0] ? <Detail row={q.data.data[0]} /> : <Empty title="Not in the log">It may not be written yet (about a second), or it is older than the retention.</Empty>}
    </aside>
  );
}

function Detail({ row }: { row: LogRow }) {
  return (
    <>
      <dl className="facts">
        <dt>Request id</dt>
        <dd className="mono small">{row.request_id}</dd>
        <dt>Time</dt>
        <dd>{fmtTime(row.ts)}</dd>
        <dt>Model</dt>
        <dd className="mono">{row.requested_model ?? '—'}</dd>
        <dt>Served by</dt>
        <dd className="mono">{row.provider ? `${row.provider}/${row.model}` : '—'}</dd>
        <dt>Status</dt>
        <dd>
          {row.status} {row.error_code ? <span className="mono">{row.error_code}</span> : null}
        </dd>
        <dt>Key</dt>
        <dd className="mono" data-testid="detail-key">
          {row.client_key_id ?? '—'}
        </dd>
        <dt>Team</dt>
        <dd>{row.team ?? '—'}</dd>
        <dt>Latency</dt>
        <dd>
          {fmtMs(row.latency_ms)} (first byte {fmtMs(row.ttft_ms)}, upstream {fmtMs(row.upstream_ms)})
        </dd>
        <dt>Tokens</dt>
        <dd>
          {row.input_tokens} in · {row.output_tokens} out{row.cached_input_tokens ? ` · ${row.cached_input_tokens} cached` : ''}
        </dd>
        <dt>Cost</dt>
        <dd data-testid="detail-cost">{row.priced ? fmtUsd(row.cost_usd) : 'unpriced'}</dd>
        {row.cache ? (
          <>
            <dt>Cache</dt>
            <dd>{row.cache}</dd>
          </>
        ) : null}
      </dl>
      {row.error_message ? <p className="form-error">{row.error_message}</p> : null}
      <h3>Attempts</h3>
      <AttemptsTimeline attempts={row.attempts} />
      <h3>Content</h3>
      {row.content === 'full' ? (
        <>
          <pre className="code">{JSON.stringify(row.request_body, null, 2)}</pre>
          <pre className="code">{typeof row.response_body === 'string' ? row.response_body : JSON.stringify(row.response_body, null, 2)}</pre>
        </>
      ) : (
        <p className="muted small">Content is not logged (logging.content is {row.content}); set it to full to keep request and response bodies.</p>
      )}
    </>
  );
}

/** Each attempt as a bar on one time axis (attempts run one after another, hedges alongside). */
export function AttemptsTimeline({ attempts }: { attempts: Attempt[] }) {
  if (attempts.length === 0) return <p className="muted small">No upstream attempt (refused before routing, or answered from the cache).</p>;
  const total = Math.max(1, attempts.reduce((s, a) => s + a.duration_ms, 0));
  let offset = 0;
  return (
    <ol className="timeline" aria-label="Attempts, in order" data-testid="attempts-timeline">
      {attempts.map((a, i) => {
        const left = (offset / total) * 100;
        if (!a.hedge) offset += a.duration_ms;
        const width = Math.max(1.5, (a.duration_ms / total) * 100);
        return (
          <li key={i} className={`attempt attempt-${a.outcome}`}>
            <div className="attempt-head">
              <span className="mono">{a.target}</span> <Badge tone={a.outcome === 'ok' ? 'ok' : a.outcome === 'skipped' || a.outcome === 'cancelled' ? 'muted' : 'bad'}>{a.outcome}</Badge>
              {a.hedge ? <Badge tone="info">hedge</Badge> : null} <span className="small">{fmtMs(a.duration_ms)}</span>
              {a.key_id ? <span className="small muted"> · key {a.key_id}</span> : null}
            </div>
            <div className="attempt-track" aria-hidden="true">
              <div className="attempt-bar" style={{ marginLeft: `${Math.min(left, 98)}%`, width: `${Math.min(width, 100 - Math.min(left, 98))}%` }} />
            </div>
            {a.code || a.message ? (
              <div className="small">
                {a.code ? <span className="mono">{a.code}</span> : null}
                {a.status ? ` (${a.status})` : ''} {a.message ?? ''}
              </div>
            ) : null}
          </li>
        );
      })}
    </ol>
  );
}
