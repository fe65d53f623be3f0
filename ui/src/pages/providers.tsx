/**
 * Providers: each with its keys (id and last four characters only, as the API redacts them),
 * breaker state of its targets, a test request, and taking a target or the whole provider out of
 * rotation (a breaker override: a config revision every replica follows).
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { FormEvent } from 'react';
import { api, seg } from '../api';
import type { ListAnswer, Overview, ProviderKeyView, ProviderView, TargetState } from '../api';
import { Badge, BreakerBadge, ColumnHeads, Dialog, Empty, ErrorBox, Field, FormError, Loading, PageHeader, READ_ONLY_TITLE } from '../components';
import { fmtMs, localDayAndMonthStart } from '../format';
import { useSession } from '../session';

const TYPES = ['openai', 'anthropic', 'bedrock', 'gemini', 'azure', 'openai-compatible'];

interface TestResult {
  ok: boolean;
  target: string;
  latency_ms: number;
  answer?: string;
  error?: { code: string; status: number; message: string };
  attempts: Array<{ target: string; outcome: string; duration_ms: number; code?: string; message?: string }>;
}

function useOverview() {
  return useQuery({
    queryKey: ['overview'],
    refetchInterval: 5_000,
    queryFn: () => {
      const { day, month } = localDayAndMonthStart();
      return api<Overview>(`overview?day_start=${encodeURIComponent(day)}&month_start=${encodeURIComponent(month)}`);
    },
  });
}

export function ProvidersPage() {
  const { canWrite } = useSession();
  const providers = useQuery({ queryKey: ['providers'], queryFn: () => api<ListAnswer<ProviderView>>('providers') });
  const overview = useOverview();
  const [editing, setEditing] = useState<ProviderView | 'new' | null>(null);
  return (
    <>
      <PageHeader title="Providers">
        <button type="button" className="primary" disabled={!canWrite} title={canWrite ? undefined : READ_ONLY_TITLE} onClick={() => setEditing('new')}>
          Add provider
        </button>
      </PageHeader>
      {providers.isPending ? (
        <Loading what="providers" />
      ) : providers.isError ? (
        <ErrorBox error={providers.error} retry={() => void providers.refetch()} />
      ) : providers.data.data.length === 0 ? (
        <Empty title="No providers yet">Add one here, or under providers in the config file.</Empty>
      ) : (
        <div className="stack">
          {providers.data.data.map((p) => (
            <ProviderCard key={p.name} provider={p} targets={overview.data?.targets.filter((t) => t.provider === p.name) ?? []} overrides={overview.data?.targets ?? []} onEdit={() => setEditing(p)} />
          ))}
        </div>
      )}
      <Dialog title={editing === 'new' ? 'Add a provider' : `Edit ${editing?.name ?? ''}`} open={editing !== null} onClose={() => setEditing(null)}>
        {editing !== null ? <ProviderForm existing={editing === 'new' ? undefined : editing} onDone={() => setEditing(null)} /> : null}
      </Dialog>
    </>
  );
}

function ProviderCard({ provider: p, targets, overrides, onEdit }: { provider: ProviderView; targets: TargetState[]; overrides: TargetState[]; onEdit: () => void }) {
  const { canWrite } = useSession();
  const qc = useQueryClient();
  const [result, setResult] = useState<TestResult>();
  const test = useMutation({ mutationFn: () => api<TestResult>(`providers/${seg(p.name)}/test`, { method: 'POST', body: {} }), onSuccess: setResult });
  const remove = useMutation({
    mutationFn: () => api(`providers/${seg(p.name)}`, { method: 'DELETE' }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['providers'] }),
  });
  const providerOut = overrides.some((t) => t.override?.name === p.name);
  const fileManaged = p.managed_by === 'file';
  const keys: ProviderKeyView[] = p.keys ?? [];
  return (
    <article className="panel" aria-labelledby={`prov-${p.name}`}>
      <header className="panel-header">
        <h2 id={`prov-${p.name}`}>
          {p.name} <Badge tone="muted">{p.type ?? p.name}</Badge> {fileManaged ? <Badge tone="info">config file</Badge> : <Badge tone="info">API</Badge>}{' '}
          {providerOut ? <Badge tone="bad">out of rotation</Badge> : null}
        </h2>
        <div className="page-actions">
          <button type="button" onClick={() => test.mutate()} disabled={!canWrite || test.isPending} title={canWrite ? 'Send one tiny request through this provider' : READ_ONLY_TITLE}>
            {test.isPending ? 'Testing…' : 'Test'}
          </button>
          <RotationButton name={p.name} out={providerOut} label={`provider ${p.name}`} />
          <button type="button" onClick={onEdit} disabled={!canWrite || fileManaged} title={!canWrite ? READ_ONLY_TITLE : fileManaged ? 'Defined in the config file: edit the file and reload' : undefined}>
            Edit
          </button>
          <button
            type="button"
            className="danger"
            disabled={!canWrite || fileManaged || remove.isPending}
            title={!canWrite ? READ_ONLY_TITLE : fileManaged ? 'Defined in the config file: edit the file and reload' : undefined}
            onClick={() => {
              if (confirm(`Remove provider ${p.name}? Aliases that use it must be changed first.`)) remove.mutate();
            }}
          >
            Remove
          </button>
        </div>
      </header>
      <FormError error={remove.error ?? test.error} />
      {p.base_url ? (
        <p className="small">
          Base URL <span className="mono">{String(p.base_url)}</span>
        </p>
      ) : null}
      <div className="two-col">
        <div>
          <h3>Keys</h3>
          {keys.length === 0 ? (
            <p className="muted small">No keys (a provider that signs requests another way, or a mock).</p>
          ) : (
            <ul className="plain">
              {keys.map((k, i) => (
                <li key={k.id ?? i} className="mono small">
                  {k.id ?? `${p.name}#${i}`} · {k.value ?? '****'}
                  {k.weight !== undefined && k.weight !== 1 ? ` · weight ${k.weight}` : ''}
                </li>
              ))}
            </ul>
          )}
        </div>
        <div>
          <h3>Targets</h3>
          {targets.length === 0 ? (
            <p className="muted small">No alias uses this provider yet.</p>
          ) : (
            <table className="table compact">
              <ColumnHeads names={['Target', 'Breaker', 'Rotation']} />
              <tbody>
                {targets.map((t) => (
                  <tr key={t.target}>
                    <td className="mono">{t.target}</td>
                    <td>
                      <BreakerBadge state={t.state} override={t.override !== null} />
                    </td>
                    <td>
                      <RotationButton name={t.target} out={t.override?.name === t.target} label={t.target} disabledBecause={t.override && t.override.name !== t.target ? 'The whole provider is out of rotation' : undefined} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      </div>
      {result ? (
        <div className={`test-result ${result.ok ? 'ok' : 'bad'}`} role="status" data-testid={`test-result-${p.name}`}>
          <strong>{result.ok ? 'Test passed' : 'Test failed'}</strong> · {result.target} · {fmtMs(result.latency_ms)}
          {result.ok ? <span> · answered “{result.answer}”</span> : <span> · {result.error?.code}: {result.error?.message}</span>}
        </div>
      ) : null}
    </article>
  );
}

/** Takes a target (or a provider) out of rotation, or puts it back: POST / DELETE /api/breaker-overrides. */
function RotationButton({ name, out, label, disabledBecause }: { name: string; out: boolean; label: string; disabledBecause?: string | undefined }) {
  const { canWrite } = useSession();
  const qc = useQueryClient();
  const m = useMutation({
    mutationFn: () =>
      out
        ? api(`breaker-overrides/${seg(name)}`, { method: 'DELETE' })
        : api('breaker-overrides', { method: 'POST', body: { name, state: 'open', reason: 'taken out of rotation from the console' } }),
    onSettled: () => void qc.invalidateQueries({ queryKey: ['overview'] }),
  });
  return (
    <>
      <button type="button" className={out ? undefined : 'warn'} disabled={!canWrite || m.isPending || disabledBecause !== undefined} title={!canWrite ? READ_ONLY_TITLE : disabledBecause} onClick={() => m.mutate()} aria-label={out ? `Put back in rotation: ${label}` : `Take out of rotation: ${label}`}>
        {out ? 'Put back' : 'Take out'}
      </button>
      {m.error ? <FormError error={m.error} /> : null}
    </>
  );
}

interface KeyRow {
  id: string;
  value: string;
  weight: string;
}

function ProviderForm({ existing, onDone }: { existing: ProviderView | undefined; onDone: () => void }) {
  const qc = useQueryClient();
  const [name, setName] = useState(existing?.name ?? '');
  const [type, setType] = useState(existing?.type ?? 'openai');
  const [baseUrl, setBaseUrl] = useState(existing?.base_url ?? '');
  const [keys, setKeys] = useState<KeyRow[]>((existing?.keys ?? []).map((k) => ({ id: k.id ?? '', value: k.value ?? '', weight: String(k.weight ?? 1) })));
  const save = useMutation({
    mutationFn: () => {
      const { name: _n, revision, managed_by: _m, ...rest } = existing ?? ({ revision: null } as Partial<ProviderView>);
      const body: Record<string, unknown> = { ...rest, type };
      if (baseUrl) body['base_url'] = baseUrl;
      else delete body['base_url'];
      body['keys'] = keys.filter((k) => k.value).map((k) => ({ ...(k.id ? { id: k.id } : {}), value: k.value, weight: Number(k.weight) || 1 }));
      if ((body['keys'] as unknown[]).length === 0) delete body['keys'];
      return existing ? api(`providers/${seg(existing.name)}`, { method: 'PUT', body: { ...body, revision } }) : api('providers', { method: 'POST', body: { name, ...body } });
    },
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['providers'] });
      onDone();
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  return (
    <form onSubmit={submit} className="form">
      <Field label="Name" hint="Clients address its models as name/model.">
        {(id, d) => <input id={id} aria-describedby={d} value={name} onChange={(e) => setName(e.target.value)} disabled={existing !== undefined} required />}
      </Field>
      <Field label="Type">
        {(id) => (
          <select id={id} value={type} onChange={(e) => setType(e.target.value)}>
            {TYPES.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Base URL" hint="Optional: the provider's API endpoint when it is not the default.">
        {(id, d) => <input id={id} aria-describedby={d} value={baseUrl} onChange={(e) => setBaseUrl(e.target.value)} placeholder="https://…" />}
      </Field>
      <fieldset>
        <legend>Keys</legend>
        <p className="hint">Write env.NAME to read the key from the gateway's environment. A stored key shows only its last four characters; leave it as is to keep it.</p>
        {keys.map((k, i) => (
          <div className="row" key={i}>
            <input aria-label={`Key ${i + 1} id`} placeholder="id (e.g. primary)" value={k.id} onChange={(e) => setKeys(keys.map((x, j) => (j === i ? { ...x, id: e.target.value } : x)))} />
            <input aria-label={`Key ${i + 1} value`} placeholder="env.OPENAI_API_KEY" type="password" autoComplete="off" value={k.value} onChange={(e) => setKeys(keys.map((x, j) => (j === i ? { ...x, value: e.target.value } : x)))} />
            <input aria-label={`Key ${i + 1} weight`} className="narrow" inputMode="decimal" value={k.weight} onChange={(e) => setKeys(keys.map((x, j) => (j === i ? { ...x, weight: e.target.value } : x)))} />
            <button type="button" onClick={() => setKeys(keys.filter((_, j) => j !== i))} aria-label={`Remove key ${i + 1}`}>
              Remove
            </button>
          </div>
        ))}
        <button type="button" onClick={() => setKeys([...keys, { id: '', value: '', weight: '1' }])}>
          Add key
        </button>
      </fieldset>
      <FormError error={save.error} />
      <div className="form-actions">
        <button type="button" onClick={onDone}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={save.isPending}>
          {save.isPending ? 'Saving…' : 'Save'}
        </button>
      </div>
    </form>
  );
}
