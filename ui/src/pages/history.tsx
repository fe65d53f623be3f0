/**
 * Config history: every revision the admin API committed, who and when, what changed as a line
 * diff of each entity (secrets arrive redacted from the API), and restore to a revision.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { diffJson } from 'diff';
import { useState } from 'react';
import { api } from '../api';
import type { EntityChange, RevisionView } from '../api';
import { Badge, Empty, ErrorBox, FormError, Loading, PageHeader, READ_ONLY_TITLE } from '../components';
import { fmtTime } from '../format';
import { useSession } from '../session';

export function HistoryPage() {
  const q = useQuery({ queryKey: ['revisions'], queryFn: () => api<{ data: RevisionView[]; next_before: number | null }>('config/revisions?limit=100') });
  const [open, setOpen] = useState<number | null>(null);
  return (
    <>
      <PageHeader title="Config history" />
      <p className="muted small">Changes made through the admin API or this console. Entities defined in the config file are not versioned here (the file is).</p>
      {q.isPending ? (
        <Loading what="revisions" />
      ) : q.isError ? (
        <ErrorBox error={q.error} retry={() => void q.refetch()} />
      ) : q.data.data.length === 0 ? (
        <Empty title="No revisions yet">The first change made through the API or the console becomes revision 1.</Empty>
      ) : (
        <ol className="revisions">
          {q.data.data.map((r, i) => (
            <Revision key={r.revision} r={r} latest={i === 0} open={open === r.revision} onToggle={() => setOpen(open === r.revision ? null : r.revision)} />
          ))}
        </ol>
      )}
    </>
  );
}

function Revision({ r, latest, open, onToggle }: { r: RevisionView; latest: boolean; open: boolean; onToggle: () => void }) {
  const { canWrite } = useSession();
  const qc = useQueryClient();
  const restore = useMutation({
    mutationFn: () => api(`config/revisions/${r.revision}/restore`, { method: 'POST' }),
    onSuccess: () => void qc.invalidateQueries(),
  });
  return (
    <li className="panel revision" data-testid={`revision-${r.revision}`}>
      <div className="revision-head">
        <button type="button" className="link" aria-expanded={open} onClick={onToggle}>
          <strong>Revision {r.revision}</strong> · {r.summary}
        </button>
        <span className="small muted">
          {fmtTime(r.time)} · by {r.actor.name ? `${r.actor.name} (${r.actor.token} token)` : `${r.actor.token} token`}
          {r.restored_from !== undefined ? ` · restored from ${r.restored_from}` : ''}
        </span>
        {latest ? (
          <Badge tone="ok">current</Badge>
        ) : (
          <button
            type="button"
            disabled={!canWrite || restore.isPending}
            title={canWrite ? 'Make the store as it was after this revision (a new revision)' : READ_ONLY_TITLE}
            onClick={() => {
              if (confirm(`Restore the API-managed config to revision ${r.revision}? This commits a new revision.`)) restore.mutate();
            }}
          >
            Restore
          </button>
        )}
      </div>
      <FormError error={restore.error} />
      {open ? (
        <div className="changes">
          {r.changes.length === 0 ? <p className="muted small">No entity changed.</p> : r.changes.map((c) => <ChangeDiff key={`${c.kind}/${c.name}`} c={c} />)}
        </div>
      ) : null}
    </li>
  );
}

function ChangeDiff({ c }: { c: EntityChange }) {
  const parts = diffJson(c.before ?? {}, c.after ?? {});
  return (
    <div className="change">
      <h4>
        <Badge tone={c.action === 'create' ? 'ok' : c.action === 'delete' ? 'bad' : 'info'}>{c.action}</Badge> <span className="mono">
          {c.kind}/{c.name}
        </span>
      </h4>
      <pre className="diff" aria-label={`Changes to ${c.kind} ${c.name}`}>
        {parts.map((p, i) => (
          <span key={i} className={p.added ? 'add' : p.removed ? 'del' : 'same'}>
            {p.value
              .replace(/\n$/, '')
              .split('\n')
              .map((line) => `${p.added ? '+ ' : p.removed ? '- ' : '  '}${line}`)
              .join('\n') + '\n'}
          </span>
        ))}
      </pre>
    </div>
  );
}
