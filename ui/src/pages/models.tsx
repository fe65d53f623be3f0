/**
 * Models: aliases and their ordered targets. Reorder by drag (mouse, touch) or by keyboard (focus
 * a handle, Space to lift, arrows to move, Space to drop; or the Up/Down buttons), add and remove
 * fallbacks, set deadline and hedging; Save sends one PUT with the revision it was based on, and
 * the API's validation errors show next to the field their path names.
 */
import { closestCenter, DndContext, KeyboardSensor, PointerSensor, useSensor, useSensors } from '@dnd-kit/core';
import type { DragEndEvent } from '@dnd-kit/core';
import { arrayMove, SortableContext, sortableKeyboardCoordinates, useSortable, verticalListSortingStrategy } from '@dnd-kit/sortable';
import { CSS } from '@dnd-kit/utilities';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useState } from 'react';
import type { FormEvent } from 'react';
import { api, ApiError, seg } from '../api';
import type { AliasView, ListAnswer, ProviderView } from '../api';
import { Badge, Dialog, Empty, ErrorBox, Field, FormError, Loading, PageHeader, READ_ONLY_TITLE } from '../components';
import { useSession } from '../session';

const targetName = (t: unknown) => (typeof t === 'string' ? t : String((t as { target: string }).target));

export function ModelsPage() {
  const { canWrite } = useSession();
  const models = useQuery({ queryKey: ['models'], queryFn: () => api<ListAnswer<AliasView>>('models') });
  const providers = useQuery({ queryKey: ['providers'], queryFn: () => api<ListAnswer<ProviderView>>('providers') });
  const [adding, setAdding] = useState(false);
  const known = [...new Set((models.data?.data ?? []).flatMap((a) => a.targets.map(targetName)))];
  const datalistId = useId();
  return (
    <>
      <PageHeader title="Models">
        <button type="button" className="primary" disabled={!canWrite} title={canWrite ? undefined : READ_ONLY_TITLE} onClick={() => setAdding(true)}>
          Add alias
        </button>
      </PageHeader>
      <datalist id={datalistId}>
        {known.map((t) => (
          <option key={t} value={t} />
        ))}
        {(providers.data?.data ?? []).map((p) => (
          <option key={p.name} value={`${p.name}/`} />
        ))}
      </datalist>
      {models.isPending ? (
        <Loading what="model aliases" />
      ) : models.isError ? (
        <ErrorBox error={models.error} retry={() => void models.refetch()} />
      ) : models.data.data.length === 0 ? (
        <Empty title="No model aliases yet">An alias is a stable name clients send as “model”, routed to an ordered list of provider/model targets.</Empty>
      ) : (
        <div className="stack">
          {models.data.data.map((a) => (
            <AliasEditor key={`${a.name}@${a.revision ?? 'file'}`} alias={a} datalistId={datalistId} />
          ))}
        </div>
      )}
      <Dialog title="Add a model alias" open={adding} onClose={() => setAdding(false)}>
        <NewAlias datalistId={datalistId} onDone={() => setAdding(false)} />
      </Dialog>
    </>
  );
}

interface Item {
  id: string;
  target: string;
}

let nextId = 0;
const items = (targets: unknown[]): Item[] => targets.map((t) => ({ id: `t${nextId++}`, target: targetName(t) }));

function AliasEditor({ alias, datalistId }: { alias: AliasView; datalistId: string }) {
  const { canWrite } = useSession();
  const qc = useQueryClient();
  const fileManaged = alias.managed_by === 'file';
  const editable = canWrite && !fileManaged;
  const [list, setList] = useState<Item[]>(() => items(alias.targets));
  const [deadline, setDeadline] = useState(alias.deadline_ms !== undefined ? String(alias.deadline_ms) : '');
  const [hedge, setHedge] = useState(alias.hedge_after_ms !== undefined ? String(alias.hedge_after_ms) : '');
  const [adding, setAdding] = useState('');
  const [announce, setAnnounce] = useState('');
  useEffect(() => setList(items(alias.targets)), [alias.targets]);
  const dirty = JSON.stringify(list.map((i) => i.target)) !== JSON.stringify(alias.targets.map(targetName)) || deadline !== (alias.deadline_ms !== undefined ? String(alias.deadline_ms) : '') || hedge !== (alias.hedge_after_ms !== undefined ? String(alias.hedge_after_ms) : '');
  const save = useMutation({
    mutationFn: () => {
      const { name: _n, revision, managed_by: _m, targets: _t, deadline_ms: _d, hedge_after_ms: _h, ...rest } = alias;
      const body: Record<string, unknown> = { ...rest, targets: list.map((i) => i.target), revision };
      if (deadline !== '') body['deadline_ms'] = Number(deadline);
      if (hedge !== '') body['hedge_after_ms'] = Number(hedge);
      return api(`models/${seg(alias.name)}`, { method: 'PUT', body });
    },
    // Pending until the list is read again: Save stays disabled until the saved revision shows.
    onSuccess: () => qc.invalidateQueries({ queryKey: ['models'] }),
  });
  const remove = useMutation({ mutationFn: () => api(`models/${seg(alias.name)}`, { method: 'DELETE' }), onSuccess: () => void qc.invalidateQueries({ queryKey: ['models'] }) });
  const sensors = useSensors(useSensor(PointerSensor, { activationConstraint: { distance: 4 } }), useSensor(KeyboardSensor, { coordinateGetter: sortableKeyboardCoordinates }));
  const move = (from: number, to: number) => {
    if (to < 0 || to >= list.length) return;
    setList(arrayMove(list, from, to));
    setAnnounce(`${list[from]!.target} moved to position ${to + 1} of ${list.length}`);
  };
  const onDragEnd = (e: DragEndEvent) => {
    if (!e.over || e.active.id === e.over.id) return;
    const from = list.findIndex((i) => i.id === e.active.id);
    const to = list.findIndex((i) => i.id === e.over!.id);
    move(from, to);
  };
  const err = save.error instanceof ApiError ? save.error : undefined;
  const fieldError = (path: string) => (err?.param === path ? err.message : undefined);
  return (
    <article className="panel" aria-labelledby={`alias-${alias.name}`} data-testid={`alias-${alias.name}`}>
      <header className="panel-header">
        <h2 id={`alias-${alias.name}`}>
          {alias.name} {fileManaged ? <Badge tone="info">config file</Badge> : <Badge tone="info">API · revision {alias.revision}</Badge>}
        </h2>
        <div className="page-actions">
          <button
            type="button"
            className="danger"
            disabled={!editable || remove.isPending}
            title={!canWrite ? READ_ONLY_TITLE : fileManaged ? 'Defined in the config file: edit the file and reload' : undefined}
            onClick={() => {
              if (confirm(`Delete alias ${alias.name}? Clients sending it will get an unknown-model error.`)) remove.mutate();
            }}
          >
            Delete
          </button>
        </div>
      </header>
      {fileManaged ? <p className="muted small">Defined in the config file: change it there and reload (SIGHUP or --watch).</p> : null}
      <h3 id={`alias-${alias.name}-targets`}>Targets, in order</h3>
      <p className="sr-only" aria-live="assertive">
        {announce}
      </p>
      <DndContext sensors={sensors} collisionDetection={closestCenter} onDragEnd={onDragEnd} accessibility={{ screenReaderInstructions: { draggable: 'To reorder, press Space to lift the target, the arrow keys to move it, Space again to drop it, or Escape to cancel.' } }}>
        <SortableContext items={list.map((i) => i.id)} strategy={verticalListSortingStrategy}>
          <ol className="targets" aria-labelledby={`alias-${alias.name}-targets`}>
            {list.map((item, index) => (
              <SortableTarget key={item.id} item={item} index={index} count={list.length} editable={editable} onMove={move} onRemove={() => setList(list.filter((x) => x.id !== item.id))} error={fieldError(`targets[${index}]`)} />
            ))}
          </ol>
        </SortableContext>
      </DndContext>
      {editable ? (
        <div className="row">
          <input aria-label={`Add a fallback target to ${alias.name}`} list={datalistId} placeholder="provider/model" value={adding} onChange={(e) => setAdding(e.target.value)} />
          <button
            type="button"
            disabled={!adding.includes('/')}
            onClick={() => {
              setList([...list, ...items([adding])]);
              setAdding('');
            }}
          >
            Add fallback
          </button>
        </div>
      ) : null}
      <div className="row">
        <Field label="Deadline (ms)" hint="Over all attempts; empty: routing.deadline_ms." error={fieldError('deadline_ms')}>
          {(id, d) => <input id={id} aria-describedby={d} inputMode="numeric" value={deadline} disabled={!editable} onChange={(e) => setDeadline(e.target.value)} />}
        </Field>
        <Field label="Hedge after (ms)" hint="Start the next target too when no first byte by then." error={fieldError('hedge_after_ms')}>
          {(id, d) => <input id={id} aria-describedby={d} inputMode="numeric" value={hedge} disabled={!editable} onChange={(e) => setHedge(e.target.value)} />}
        </Field>
      </div>
      <FormError error={save.error ?? remove.error} />
      {editable ? (
        <div className="form-actions">
          <button type="button" disabled={!dirty} onClick={() => { setList(items(alias.targets)); setDeadline(alias.deadline_ms !== undefined ? String(alias.deadline_ms) : ''); setHedge(alias.hedge_after_ms !== undefined ? String(alias.hedge_after_ms) : ''); save.reset(); }}>
            Reset
          </button>
          <button type="button" className="primary" disabled={!dirty || save.isPending} onClick={() => save.mutate()}>
            {save.isPending ? 'Saving…' : `Save ${alias.name}`}
          </button>
        </div>
      ) : null}
    </article>
  );
}

function SortableTarget({ item, index, count, editable, onMove, onRemove, error }: { item: Item; index: number; count: number; editable: boolean; onMove: (from: number, to: number) => void; onRemove: () => void; error: string | undefined }) {
  const { attributes, listeners, setNodeRef, transform, transition, isDragging } = useSortable({ id: item.id, disabled: !editable });
  return (
    <li ref={setNodeRef} style={{ transform: CSS.Transform.toString(transform), transition }} className={`target${isDragging ? ' dragging' : ''}${error ? ' field-invalid' : ''}`} data-testid="target-row">
      <button type="button" className="handle" {...attributes} {...listeners} disabled={!editable} aria-label={`Drag ${item.target} (position ${index + 1} of ${count})`} aria-roledescription="sortable target">
        ⠿
      </button>
      <span className="mono target-name">{item.target}</span>
      {index === 0 ? <Badge tone="ok">primary</Badge> : <Badge tone="muted">fallback {index}</Badge>}
      {editable ? (
        <span className="target-actions">
          <button type="button" onClick={() => onMove(index, index - 1)} disabled={index === 0} aria-label={`Move ${item.target} up`}>
            ↑
          </button>
          <button type="button" onClick={() => onMove(index, index + 1)} disabled={index === count - 1} aria-label={`Move ${item.target} down`}>
            ↓
          </button>
          <button type="button" onClick={onRemove} disabled={count === 1} aria-label={`Remove ${item.target}`}>
            Remove
          </button>
        </span>
      ) : null}
      {error ? <span className="field-error">{error}</span> : null}
    </li>
  );
}

function NewAlias({ datalistId, onDone }: { datalistId: string; onDone: () => void }) {
  const qc = useQueryClient();
  const [name, setName] = useState('');
  const [targets, setTargets] = useState('');
  const create = useMutation({
    mutationFn: () => api('models', { method: 'POST', body: { name, targets: targets.split(/[\s,]+/).filter(Boolean) } }),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['models'] });
      onDone();
    },
  });
  const err = create.error instanceof ApiError ? create.error : undefined;
  return (
    <form
      className="form"
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        create.mutate();
      }}
    >
      <Field label="Alias name" hint="What clients send as model." error={err?.param === 'name' ? err.message : undefined}>
        {(id, d) => <input id={id} aria-describedby={d} value={name} onChange={(e) => setName(e.target.value)} required />}
      </Field>
      <Field label="Targets" hint="provider/model, in order, separated by commas.">
        {(id, d) => <input id={id} aria-describedby={d} list={datalistId} value={targets} onChange={(e) => setTargets(e.target.value)} required />}
      </Field>
      <FormError error={create.error} />
      <div className="form-actions">
        <button type="button" onClick={onDone}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={create.isPending}>
          Create
        </button>
      </div>
    </form>
  );
}
