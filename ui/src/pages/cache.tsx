/** Cache: the response cache's state (GET /api/cache/stats) and clearing it (DELETE /api/cache). */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../api';
import { ErrorBox, FormError, Loading, PageHeader, READ_ONLY_TITLE } from '../components';
import { useSession } from '../session';

export function CachePage() {
  const { canWrite } = useSession();
  const qc = useQueryClient();
  const q = useQuery({ queryKey: ['cache'], refetchInterval: 5_000, queryFn: () => api<Record<string, unknown>>('cache/stats') });
  const clear = useMutation({ mutationFn: () => api('cache', { method: 'DELETE' }), onSuccess: () => void qc.invalidateQueries({ queryKey: ['cache'] }) });
  return (
    <>
      <PageHeader title="Cache">
        <button
          type="button"
          className="danger"
          disabled={!canWrite || clear.isPending}
          title={canWrite ? undefined : READ_ONLY_TITLE}
          onClick={() => {
            if (confirm('Delete every cached response?')) clear.mutate();
          }}
        >
          Clear the cache
        </button>
      </PageHeader>
      <FormError error={clear.error} />
      {q.isPending ? <Loading what="cache statistics" /> : q.isError ? <ErrorBox error={q.error} retry={() => void q.refetch()} /> : <pre className="code">{JSON.stringify(q.data, null, 2)}</pre>}
    </>
  );
}
