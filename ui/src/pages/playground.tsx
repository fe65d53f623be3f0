/**
 * Playground: one request through the gateway's own client endpoints (/v1/chat/completions or
 * /anthropic/v1/messages), streamed or not, with a client key the user pastes (a virtual key or a
 * server.api_keys entry; kept in this page's memory only, never stored, and the admin token is
 * never sent there). Shows the answer as it streams, the target that served it, latency, the
 * response headers, and the attempts from the request log.
 */
import { useQuery } from '@tanstack/react-query';
import { createParser } from 'eventsource-parser';
import { useRef, useState } from 'react';
import type { FormEvent } from 'react';
import { api } from '../api';
import type { AliasView, ListAnswer, LogPage } from '../api';
import { Badge, ErrorBox, Field, PageHeader } from '../components';
import { fmtMs } from '../format';
import { AttemptsTimeline } from './logs';

type Dialect = 'openai' | 'anthropic';

interface Run {
  status: number;
  headers: Array<[string, string]>;
  text: string;
  firstByteMs?: number;
  totalMs?: number;
  error?: string;
  requestId?: string;
  done: boolean;
}

export function PlaygroundPage() {
  const models = useQuery({ queryKey: ['models'], queryFn: () => api<ListAnswer<AliasView>>('models') });
  const [dialect, setDialect] = useState<Dialect>('openai');
  const [model, setModel] = useState('');
  const [key, setKey] = useState('');
  const [prompt, setPrompt] = useState('Say hello in five words.');
  const [stream, setStream] = useState(true);
  const [run, setRun] = useState<Run>();
  const abort = useRef<AbortController | null>(null);
  const choices = [...new Set((models.data?.data ?? []).flatMap((a) => [a.name, ...a.targets.map((t) => (typeof t === 'string' ? t : (t as { target: string }).target))]))];

  const send = async (e: FormEvent) => {
    e.preventDefault();
    abort.current?.abort();
    const ctrl = new AbortController();
    abort.current = ctrl;
    const started = performance.now();
    const url = dialect === 'openai' ? '/v1/chat/completions' : '/anthropic/v1/messages';
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (key) {
      if (dialect === 'openai') headers['authorization'] = `Bearer ${key}`;
      else headers['x-api-key'] = key;
    }
    if (dialect === 'anthropic') headers['anthropic-version'] = '2023-06-01';
    const body = dialect === 'openai' ? { model, stream, messages: [{ role: 'user', content: prompt }], ...(stream ? { stream_options: { include_usage: true } } : {}) } : { model, stream, max_tokens: 512, messages: [{ role: 'user', content: prompt }] };
    let state: Run = { status: 0, headers: [], text: '', done: false };
    const update = (patch: Partial<Run>) => {
      state = { ...state, ...patch };
      setRun(state);
    };
    update({});
    try {
      const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body), signal: ctrl.signal, credentials: 'omit' });
      const hs = [...res.headers.entries()].filter(([k]) => k.startsWith('x-switchyard') || k === 'x-request-id' || k.startsWith('x-ratelimit') || k === 'content-type' || k === 'retry-after');
      update({ status: res.status, headers: hs, requestId: res.headers.get('x-request-id') ?? undefined, firstByteMs: performance.now() - started });
      const isStream = (res.headers.get('content-type') ?? '').includes('text/event-stream');
      if (!res.ok || !isStream) {
        const json = (await res.json().catch(() => undefined)) as Record<string, unknown> | undefined;
        if (!res.ok) update({ error: String((json?.['error'] as { message?: string } | undefined)?.message ?? res.statusText) });
        else update({ text: textOf(dialect, json) });
      } else {
        const parser = createParser({
          onEvent: (ev) => {
            if (ev.data === '[DONE]') return;
            try {
              const d = JSON.parse(ev.data) as Record<string, unknown>;
              const delta = dialect === 'openai' ? ((d['choices'] as Array<{ delta?: { content?: string } }> | undefined)?.[0]?.delta?.content ?? '') : d['type'] === 'content_block_delta' ? ((d['delta'] as { text?: string }).text ?? '') : '';
              if (delta) update({ text: state.text + delta });
              if (d['error'] || d['type'] === 'error') update({ error: JSON.stringify(d['error'] ?? d) });
            } catch {
              /* a comment or keep-alive */
            }
          },
        });
        const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          parser.feed(value);
        }
      }
    } catch (err) {
      if ((err as Error).name !== 'AbortError') update({ error: (err as Error).message });
    } finally {
      update({ done: true, totalMs: performance.now() - started });
    }
  };

  return (
    <>
      <PageHeader title="Playground" />
      <form className="form playground" onSubmit={send}>
        <div className="row">
          <Field label="Dialect">
            {(id) => (
              <select id={id} value={dialect} onChange={(e) => setDialect(e.target.value as Dialect)}>
                <option value="openai">OpenAI Chat Completions (/v1/chat/completions)</option>
                <option value="anthropic">Anthropic Messages (/anthropic/v1/messages)</option>
              </select>
            )}
          </Field>
          <Field label="Model" hint="An alias or provider/model.">
            {(id, d) => (
              <>
                <input id={id} aria-describedby={d} list="pg-models" value={model} onChange={(e) => setModel(e.target.value)} required />
                <datalist id="pg-models">
                  {choices.map((c) => (
                    <option key={c} value={c} />
                  ))}
                </datalist>
              </>
            )}
          </Field>
        </div>
        <Field label="Client key" hint="A virtual key or a server.api_keys entry; empty when the gateway needs none. Kept in this page only.">
          {(id, d) => <input id={id} aria-describedby={d} type="password" autoComplete="off" value={key} onChange={(e) => setKey(e.target.value)} />}
        </Field>
        <Field label="Prompt">
          {(id) => <textarea id={id} rows={4} value={prompt} onChange={(e) => setPrompt(e.target.value)} />}
        </Field>
        <div className="row">
          <label className="check">
            <input type="checkbox" checked={stream} onChange={(e) => setStream(e.target.checked)} /> Stream
          </label>
          <button type="submit" className="primary" disabled={!model || (run !== undefined && !run.done)}>
            {run && !run.done ? 'Sending…' : 'Send'}
          </button>
          {run && !run.done ? (
            <button type="button" onClick={() => abort.current?.abort()}>
              Stop
            </button>
          ) : null}
        </div>
      </form>
      {run ? <RunView run={run} /> : <p className="muted">The answer, the target that served it, its attempts and the response headers show here.</p>}
    </>
  );
}

function textOf(dialect: Dialect, json: Record<string, unknown> | undefined): string {
  if (!json) return '';
  if (dialect === 'openai') return String((json['choices'] as Array<{ message?: { content?: string } }> | undefined)?.[0]?.message?.content ?? '');
  return ((json['content'] as Array<{ type: string; text?: string }> | undefined) ?? []).map((p) => p.text ?? '').join('');
}

function RunView({ run }: { run: Run }) {
  const header = (name: string) => run.headers.find(([k]) => k === name)?.[1];
  const provider = header('x-switchyard-provider');
  const served = provider ? `${provider}/${header('x-switchyard-model') ?? ''}` : undefined;
  const log = useQuery({
    queryKey: ['log', run.requestId],
    enabled: run.done && run.requestId !== undefined,
    // The request log is written about a second after the request: ask again until it is there.
    refetchInterval: (q) => ((q.state.data as LogPage | undefined)?.data.length || q.state.dataUpdateCount > 10 ? false : 500),
    queryFn: () => api<LogPage>(`logs?request_id=${encodeURIComponent(run.requestId!)}&limit=1`),
  });
  const row = log.data?.data[0];
  return (
    <section className="panel" aria-labelledby="run-h" aria-live="polite">
      <h2 id="run-h">
        Answer {run.status ? <Badge tone={run.status < 400 ? 'ok' : 'bad'}>{run.status}</Badge> : null} {served ? <span className="mono small">served by {served}</span> : null}
      </h2>
      {run.error ? <ErrorBox error={new Error(run.error)} /> : null}
      <pre className="answer" data-testid="playground-answer">
        {run.text || (run.done ? '' : '…')}
      </pre>
      <p className="small">
        First byte {fmtMs(run.firstByteMs)} · total {run.done ? fmtMs(run.totalMs) : 'streaming…'} · fallback index {header('x-switchyard-fallback-index') ?? '—'} · attempts {header('x-switchyard-attempts') ?? '—'}
      </p>
      <div className="two-col">
        <div>
          <h3>Response headers</h3>
          <table className="table compact">
            <tbody>
              {run.headers.map(([k, v]) => (
                <tr key={k}>
                  <th scope="row" className="mono small">
                    {k}
                  </th>
                  <td className="mono small">{v}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <div>
          <h3>Attempts</h3>
          {row ? <AttemptsTimeline attempts={row.attempts} /> : <p className="muted small">{run.done ? 'Waiting for the request log…' : 'After the answer.'}</p>}
        </div>
      </div>
    </section>
  );
}
