/** MCP: the tool servers the gateway connects to (GET /api/mcp/servers), when that feature is built in. */
import { useQuery } from '@tanstack/react-query';
import { api } from '../api';
import { Empty, ErrorBox, Loading, PageHeader } from '../components';

export function McpPage() {
  const q = useQuery({ queryKey: ['mcp'], refetchInterval: 10_000, queryFn: () => api<{ data?: unknown[] }>('mcp/servers') });
  return (
    <>
      <PageHeader title="MCP servers" />
      {q.isPending ? (
        <Loading what="MCP servers" />
      ) : q.isError ? (
        <ErrorBox error={q.error} retry={() => void q.refetch()} />
      ) : !q.data.data?.length ? (
        <Empty title="No MCP servers configured" />
      ) : (
        <pre className="code">{JSON.stringify(q.data.data, null, 2)}</pre>
      )}
    </>
  );
}
