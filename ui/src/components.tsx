/** Small shared pieces: designed loading, empty and error states, fields, stat tiles, usage bars, dialogs. */
import { useEffect, useId, useRef } from 'react';
import type { ReactNode } from 'react';
import { ApiError } from './api';

export function Loading({ what }: { what: string }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> Loading {what}…
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state-empty">
      <p className="state-title">{title}</p>
      {children ? <div className="state-help">{children}</div> : null}
    </div>
  );
}

export function ErrorBox({ error, retry }: { error: unknown; retry?: () => void }) {
  const e = error as Error;
  const status = error instanceof ApiError ? error.status : undefined;
  return (
    <div className="state state-error" role="alert">
      <p className="state-title">{status === 0 ? 'The gateway cannot be reached' : status === 403 ? 'Not allowed' : 'Something went wrong'}</p>
      <p className="state-help">{e?.message ?? String(error)}</p>
      {error instanceof ApiError && error.code ? <p className="mono muted">{error.code}</p> : null}
      {retry ? (
        <button type="button" onClick={retry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

/** An API refusal shown inline next to a form, naming the field's path when the API gave one. */
export function FormError({ error }: { error: unknown }) {
  if (!error) return null;
  const e = error as Error;
  const param = error instanceof ApiError ? error.param : undefined;
  return (
    <div className="form-error" role="alert">
      {param ? <span className="mono">{param}: </span> : null}
      {e.message}
    </div>
  );
}

export function Field({ label, hint, children, error }: { label: string; hint?: string; error?: string | undefined; children: (id: string, describedBy: string | undefined) => ReactNode }) {
  const id = useId();
  const hintId = hint || error ? `${id}-hint` : undefined;
  return (
    <div className={`field${error ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children(id, hintId)}
      {error ? (
        <span id={hintId} className="field-error">
          {error}
        </span>
      ) : hint ? (
        <span id={hintId} className="hint">
          {hint}
        </span>
      ) : null}
    </div>
  );
}

export function UsageBar({ label, used, max, format }: { label: string; used: number; max: number; format: (n: number) => string }) {
  const ratio = max > 0 ? Math.min(1, used / max) : 0;
  const level = ratio >= 0.9 ? 'high' : ratio >= 0.7 ? 'mid' : 'low';
  return (
    <div className="usage">
      <div className="usage-label">
        <span>{label}</span>
        <span className="mono">
          {format(used)} / {format(max)}
        </span>
      </div>
      <div className={`usage-bar usage-${level}`} role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={max} aria-valuenow={Math.min(used, max)} aria-valuetext={`${format(used)} of ${format(max)}`}>
        <div style={{ width: `${ratio * 100}%` }} />
      </div>
    </div>
  );
}

/** A stat tile of a `.cards` grid (Overview, Cache). */
export function Stat({ label, value, tone, testId, title }: { label: string; value: string; tone?: 'bad' | 'warn' | undefined; testId?: string; title?: string }) {
  return (
    <div className={`card${tone ? ` card-${tone}` : ''}`} data-testid={testId} title={title}>
      <div className="card-label">{label}</div>
      <div className="card-value">{value}</div>
    </div>
  );
}

/** A table's column headings; a ReactNode for one that is not plain text (e.g. a screen-reader-only label). */
export function ColumnHeads({ names }: { names: ReadonlyArray<string | { key: string; node: ReactNode }> }) {
  return (
    <thead>
      <tr>
        {names.map((n) =>
          typeof n === 'string' ? (
            <th scope="col" key={n}>
              {n}
            </th>
          ) : (
            <th scope="col" key={n.key}>
              {n.node}
            </th>
          ),
        )}
      </tr>
    </thead>
  );
}

export function Badge({ tone, children }: { tone: 'ok' | 'warn' | 'bad' | 'info' | 'muted'; children: ReactNode }) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}

export function BreakerBadge({ state, override }: { state: string; override?: boolean }) {
  if (override) return <Badge tone="bad">out of rotation</Badge>;
  return <Badge tone={state === 'closed' ? 'ok' : state === 'open' ? 'bad' : 'warn'}>{state}</Badge>;
}

/** A modal dialog on the native <dialog>: focus is trapped and Escape closes it. */
export function Dialog({ title, open, onClose, children }: { title: string; open: boolean; onClose: () => void; children: ReactNode }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog ref={ref} aria-labelledby={titleId} onClose={onClose} className="dialog">
      <h2 id={titleId}>{title}</h2>
      {open ? children : null}
    </dialog>
  );
}

export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <header className="page-header">
      <h1>{title}</h1>
      <div className="page-actions">{children}</div>
    </header>
  );
}

/** Why a control is disabled, for the read-only session. */
export const READ_ONLY_TITLE = 'Signed in with the read-only token: changes are disabled';
