/**
 * Keys & teams: virtual keys with their budgets, rate limits and live usage; create (the secret is
 * shown once, with a copy button), disable, revoke; teams likewise. Usage refreshes every 5 s.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { FormEvent } from 'react';
import { api, seg } from '../api';
import type { ListAnswer, TeamView, Usage, VirtualKeyView } from '../api';
import { Badge, Dialog, Empty, ErrorBox, Field, FormError, Loading, PageHeader, READ_ONLY_TITLE, UsageBar } from '../components';
import { fmtTime, fmtUsd } from '../format';
import { useSession } from '../session';

const BUDGET_PERIODS = ['1m', '1h', '1d', '1w', '1M', 'total'];
const RATE_PERIODS = ['1m', '1h', '1d', '1w', '1M'];

export function KeysPage() {
  const { canWrite } = useSession();
  const keys = useQuery({ queryKey: ['virtual-keys'], refetchInterval: 5_000, queryFn: () => api<ListAnswer<VirtualKeyView>>('virtual-keys') });
  const teams = useQuery({ queryKey: ['teams'], refetchInterval: 5_000, queryFn: () => api<ListAnswer<TeamView>>('teams') });
  const [creating, setCreating] = useState<'key' | 'team' | null>(null);
  const [secret, setSecret] = useState<{ name: string; key: string } | null>(null);
  return (
    <>
      <PageHeader title="Keys & teams">
        <button type="button" className="primary" disabled={!canWrite} title={canWrite ? undefined : READ_ONLY_TITLE} onClick={() => setCreating('key')}>
          Create key
        </button>
        <button type="button" disabled={!canWrite} title={canWrite ? undefined : READ_ONLY_TITLE} onClick={() => setCreating('team')}>
          Create team
        </button>
      </PageHeader>
      {secret ? <SecretOnce name={secret.name} secret={secret.key} onDismiss={() => setSecret(null)} /> : null}
      <section aria-labelledby="keys-h">
        <h2 id="keys-h">Virtual keys</h2>
        {keys.isPending ? (
          <Loading what="keys" />
        ) : keys.isError ? (
          <ErrorBox error={keys.error} retry={() => void keys.refetch()} />
        ) : keys.data.data.length === 0 ? (
          <Empty title="No keys yet">Create a key for each tool or person: it gets its own budget, rate limits and line in the logs. Keys take effect when governance.enabled is true.</Empty>
        ) : (
          <div className="grid">
            {keys.data.data.map((k) => (
              <KeyCard key={k.name} k={k} />
            ))}
          </div>
        )}
      </section>
      <section aria-labelledby="teams-h">
        <h2 id="teams-h">Teams</h2>
        {teams.isPending ? (
          <Loading what="teams" />
        ) : teams.isError ? (
          <ErrorBox error={teams.error} retry={() => void teams.refetch()} />
        ) : teams.data.data.length === 0 ? (
          <Empty title="No teams yet">A team's budgets and limits are shared by all its keys.</Empty>
        ) : (
          <div className="grid">
            {teams.data.data.map((t) => (
              <TeamCard key={t.name} t={t} />
            ))}
          </div>
        )}
      </section>
      <Dialog title={creating === 'team' ? 'Create a team' : 'Create a virtual key'} open={creating !== null} onClose={() => setCreating(null)}>
        {creating === 'key' ? (
          <LimitsForm
            kind="virtual-keys"
            teams={teams.data?.data.map((t) => t.name) ?? []}
            onDone={(created) => {
              setCreating(null);
              if (created?.key) setSecret({ name: created.name, key: created.key });
            }}
          />
        ) : creating === 'team' ? (
          <LimitsForm kind="teams" teams={[]} onDone={() => setCreating(null)} />
        ) : null}
      </Dialog>
    </>
  );
}

function SecretOnce({ name, secret, onDismiss }: { name: string; secret: string; onDismiss: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <section className="secret-once" role="alert" aria-labelledby="secret-h">
      <h2 id="secret-h">Key “{name}” created</h2>
      <p>
        <strong>Copy the secret now: it will not be shown again.</strong> The gateway keeps only its SHA-256; if it is lost, create a new key and revoke this one.
      </p>
      <div className="row">
        <code className="secret" data-testid="new-key-secret">
          {secret}
        </code>
        <button
          type="button"
          onClick={() => {
            void navigator.clipboard?.writeText(secret).then(
              () => setCopied(true),
              () => setCopied(false),
            );
          }}
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
        <button type="button" onClick={onDismiss}>
          I have stored it
        </button>
      </div>
    </section>
  );
}

function UsageBars({ usage }: { usage: Usage | null | undefined }) {
  if (!usage) return <p className="muted small">No live usage (governance off, or not applied yet).</p>;
  return (
    <div className="usage-list">
      {usage.budgets.map((b) => (
        <UsageBar key={`b${b.period}`} label={`Budget per ${b.period}`} used={b.spent_usd} max={b.max_usd} format={fmtUsd} />
      ))}
      {usage.rate_limits.map((r) => (
        <UsageBar key={`r${r.per}${r.requests ? 'q' : 't'}`} label={`${r.requests !== undefined ? 'Requests' : 'Tokens'} per ${r.per}`} used={r.used} max={(r.requests ?? r.tokens)!} format={(n) => String(Math.round(n))} />
      ))}
      <p className="small muted">In flight now: {usage.in_flight}</p>
    </div>
  );
}

function KeyCard({ k }: { k: VirtualKeyView }) {
  const { canWrite } = useSession();
  const qc = useQueryClient();
  const editable = canWrite && k.managed_by === 'api';
  const why = !canWrite ? READ_ONLY_TITLE : k.managed_by === 'file' ? 'Defined in the config file' : undefined;
  const revoke = useMutation({ mutationFn: () => api(`virtual-keys/${seg(k.name)}`, { method: 'DELETE' }), onSuccess: () => void qc.invalidateQueries({ queryKey: ['virtual-keys'] }) });
  const toggle = useMutation({
    mutationFn: () => {
      const { name: _n, usage: _u, managed_by: _m, source: _s, key: _k, ...rest } = k;
      return api(`virtual-keys/${seg(k.name)}`, { method: 'PUT', body: { ...rest, disabled: !k.disabled } });
    },
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['virtual-keys'] }),
  });
  return (
    <article className="panel" aria-labelledby={`key-${k.name}`} data-testid={`key-${k.name}`}>
      <header className="panel-header">
        <h3 id={`key-${k.name}`}>
          <span className="mono">{k.name}</span> {k.disabled ? <Badge tone="bad">disabled</Badge> : <Badge tone="ok">active</Badge>} {k.source ? <Badge tone="muted">{k.source}</Badge> : null}
        </h3>
      </header>
      <dl className="facts">
        <dt>Team</dt>
        <dd>{k.team ?? '—'}</dd>
        <dt>Models</dt>
        <dd className="mono small">{(k.models ?? ['*']).join(', ')}</dd>
        {k.expires_at ? (
          <>
            <dt>Expires</dt>
            <dd>{fmtTime(k.expires_at)}</dd>
          </>
        ) : null}
      </dl>
      <UsageBars usage={k.usage} />
      <FormError error={revoke.error ?? toggle.error} />
      <div className="form-actions">
        <button type="button" disabled={!editable || toggle.isPending} title={why} onClick={() => toggle.mutate()}>
          {k.disabled ? 'Enable' : 'Disable'}
        </button>
        <button
          type="button"
          className="danger"
          disabled={!editable || revoke.isPending}
          title={why}
          onClick={() => {
            if (confirm(`Revoke key ${k.name}? Clients using it are refused at once, on every replica.`)) revoke.mutate();
          }}
        >
          Revoke
        </button>
      </div>
    </article>
  );
}

function TeamCard({ t }: { t: TeamView }) {
  const { canWrite } = useSession();
  const qc = useQueryClient();
  const editable = canWrite && t.managed_by === 'api';
  const remove = useMutation({ mutationFn: () => api(`teams/${seg(t.name)}`, { method: 'DELETE' }), onSuccess: () => void qc.invalidateQueries({ queryKey: ['teams'] }) });
  return (
    <article className="panel" aria-labelledby={`team-${t.name}`}>
      <header className="panel-header">
        <h3 id={`team-${t.name}`}>
          <span className="mono">{t.name}</span> {t.managed_by === 'file' ? <Badge tone="info">config file</Badge> : null}
        </h3>
      </header>
      {t.description ? <p className="small">{t.description}</p> : null}
      <UsageBars usage={t.usage} />
      <FormError error={remove.error} />
      <div className="form-actions">
        <button
          type="button"
          className="danger"
          disabled={!editable || remove.isPending}
          title={!canWrite ? READ_ONLY_TITLE : undefined}
          onClick={() => {
            if (confirm(`Delete team ${t.name}? Keys must leave it first.`)) remove.mutate();
          }}
        >
          Delete
        </button>
      </div>
    </article>
  );
}

/** Create a key or a team: name, (team, models for keys), one budget, one rate limit. */
function LimitsForm({ kind, teams, onDone }: { kind: 'virtual-keys' | 'teams'; teams: string[]; onDone: (created?: VirtualKeyView) => void }) {
  const qc = useQueryClient();
  const [name, setName] = useState('');
  const [team, setTeam] = useState('');
  const [models, setModels] = useState('*');
  const [budget, setBudget] = useState('');
  const [budgetPeriod, setBudgetPeriod] = useState('1M');
  const [rate, setRate] = useState('');
  const [ratePer, setRatePer] = useState('1m');
  const create = useMutation({
    mutationFn: () => {
      const body: Record<string, unknown> = { name };
      if (kind === 'virtual-keys') {
        if (team) body['team'] = team;
        body['models'] = models.split(/[\s,]+/).filter(Boolean);
      }
      if (budget) body['budgets'] = [{ max_usd: Number(budget), period: budgetPeriod }];
      if (rate) body['rate_limits'] = [{ requests: Number(rate), per: ratePer }];
      return api<VirtualKeyView>(kind, { method: 'POST', body });
    },
    onSuccess: (created) => {
      void qc.invalidateQueries({ queryKey: [kind] });
      onDone(created);
    },
  });
  return (
    <form
      className="form"
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        create.mutate();
      }}
    >
      <Field label="Name" hint={kind === 'virtual-keys' ? 'The id in logs and metrics (e.g. ci-review-bot).' : undefined}>
        {(id, d) => <input id={id} aria-describedby={d} value={name} onChange={(e) => setName(e.target.value)} required />}
      </Field>
      {kind === 'virtual-keys' ? (
        <>
          <Field label="Team">
            {(id) => (
              <select id={id} value={team} onChange={(e) => setTeam(e.target.value)}>
                <option value="">No team</option>
                {teams.map((t) => (
                  <option key={t}>{t}</option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Models" hint="Aliases or provider/model; * matches any run of characters.">
            {(id, d) => <input id={id} aria-describedby={d} value={models} onChange={(e) => setModels(e.target.value)} />}
          </Field>
        </>
      ) : null}
      <div className="row">
        <Field label="Budget (USD)" hint="Optional.">
          {(id, d) => <input id={id} aria-describedby={d} inputMode="decimal" value={budget} onChange={(e) => setBudget(e.target.value)} />}
        </Field>
        <Field label="Budget period">
          {(id) => (
            <select id={id} value={budgetPeriod} onChange={(e) => setBudgetPeriod(e.target.value)}>
              {BUDGET_PERIODS.map((p) => (
                <option key={p}>{p}</option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <div className="row">
        <Field label="Rate limit (requests)" hint="Optional.">
          {(id, d) => <input id={id} aria-describedby={d} inputMode="numeric" value={rate} onChange={(e) => setRate(e.target.value)} />}
        </Field>
        <Field label="Per">
          {(id) => (
            <select id={id} value={ratePer} onChange={(e) => setRatePer(e.target.value)}>
              {RATE_PERIODS.map((p) => (
                <option key={p}>{p}</option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <FormError error={create.error} />
      <div className="form-actions">
        <button type="button" onClick={() => onDone()}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={create.isPending}>
          {create.isPending ? 'Creating…' : 'Create'}
        </button>
      </div>
    </form>
  );
}
