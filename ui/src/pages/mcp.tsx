/**
 * MCP: the tool servers the gateway connects to (GET /api/mcp/servers, refreshing every 10 s), each
 * with its state, tools, reconnects and last error, and a Reconnect button
 * (POST /api/mcp/servers/{name}/reconnect).
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Fragment, useId, useState } from 'react';
import { api, seg } from '../api';
import { Badge, ColumnHeads, Empty, ErrorBox, FormError, Loading, PageHeader, READ_ONLY_TITLE } from '../components';
import { fmtClock, fmtTime } from '../format';
import { useSession } from '../session';

/** One server as src/mcp/mcp-connections.ts's view() gives it. */
interface McpServerView {
  name: string;
  transport?: string;
  status: 'connecting' | 'connected' | 'down' | 'closed';
  tools: Array<{ name: string; tool: string; description?: string }>;
  last_error: string | null;
  connected_at: string | null;
  reconnects: number;
  pid: number | null;
}

const TONE = { connected: 'ok', connecting: 'warn', down: 'bad', closed: 'muted' } as const;

export function McpPage() {
  const q = useQuery({ queryKey: ['mcp'], refetchInterval: 10_000, queryFn: () => api<{ data?: McpServerView[] }>('mcp/servers') });
  return (
    <>
      <PageHeader title="MCP servers">{q.data ? <span className="muted small">Updated {fmtClock(q.dataUpdatedAt)} · refreshes every 10 s</span> : null}</PageHeader>
      {q.isPending ? (
        <Loading what="MCP servers" />
      ) : q.isError ? (
        <ErrorBox error={q.error} retry={() => void q.refetch()} />
      ) : !q.data.data?.length ? (
        <Empty title="No MCP servers configured">Add one under mcp.servers in the config, or through /api/mcp_servers; docs/mcp.md has the details.</Empty>
      ) : (
        <table className="table">
          <ColumnHeads names={['Server', 'Status', 'Transport', 'Tools', 'Reconnects', 'Connected since', 'Last error', { key: 'actions', node: <span className="sr-only">Actions</span> }]} />
          <tbody>
            {q.data.data.map((s) => (
              <ServerRows key={s.name} s={s} />
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

/** A server's row, and under it, when opened, the row listing its tools. */
function ServerRows({ s }: { s: McpServerView }) {
  const { canWrite } = useSession();
  const qc = useQueryClient();
  const [open, setOpen] = useState(false);
  const reconnect = useMutation({
    mutationFn: () => api<McpServerView>(`mcp/servers/${seg(s.name)}/reconnect`, { method: 'POST' }),
    // The answer is the server's state once connected (or after connect_timeout_ms): refresh the list either way.
    onSettled: () => void qc.invalidateQueries({ queryKey: ['mcp'] }),
  });
  const toolsId = useId();
  return (
    <Fragment>
      <tr data-testid={`mcp-${s.name}`}>
        <th scope="row" className="mono cell-name">
          {s.name}
        </th>
        <td data-testid="mcp-status">
          <Badge tone={TONE[s.status] ?? 'muted'}>{s.status}</Badge>
        </td>
        <td className="nowrap">
          {s.transport ? <span className="mono">{s.transport}</span> : <span className="muted">—</span>}
          {s.pid !== null ? (
            <span className="muted small" data-testid="mcp-pid">
              {' '}
              · pid {s.pid}
            </span>
          ) : null}
        </td>
        <td className="nowrap">
          {s.tools.length === 0 ? (
            <span className="muted">0</span>
          ) : (
            <button type="button" className="link" aria-expanded={open} aria-controls={open ? toolsId : undefined} onClick={() => setOpen(!open)}>
              <span aria-hidden="true">{open ? '▾' : '▸'} </span>
              {s.tools.length === 1 ? '1 tool' : `${s.tools.length} tools`}
              <span className="sr-only"> of {s.name}</span>
            </button>
          )}
        </td>
        <td data-testid="mcp-reconnects">{s.reconnects}</td>
        <td>{s.connected_at ? <time dateTime={s.connected_at}>{fmtTime(s.connected_at)}</time> : <span className="muted">—</span>}</td>
        <td>{s.last_error ? <span className="clip" title={s.last_error}>{s.last_error}</span> : <span className="muted">—</span>}</td>
        <td>
          <button
            type="button"
            disabled={!canWrite || reconnect.isPending}
            title={canWrite ? 'Drop the connection and connect again now' : READ_ONLY_TITLE}
            onClick={() => reconnect.mutate()}
          >
            {reconnect.isPending ? 'Reconnecting…' : 'Reconnect'}
            <span className="sr-only"> {s.name}</span>
          </button>
          <FormError error={reconnect.error} />
        </td>
      </tr>
      {open && s.tools.length > 0 ? (
        <tr id={toolsId} className="subrow" data-testid={`mcp-tools-${s.name}`}>
          <td colSpan={8}>
            <table className="table compact">
              <caption className="sr-only">Tools of {s.name}</caption>
              <ColumnHeads names={['Tool (as clients see it)', 'Name on the server', 'Description']} />
              <tbody>
                {s.tools.map((t) => (
                  <tr key={t.name}>
                    <td className="mono">{t.name}</td>
                    <td className="mono">{t.tool}</td>
                    <td>{t.description ?? <span className="muted">—</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </td>
        </tr>
      ) : null}
    </Fragment>
  );
}
