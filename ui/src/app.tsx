/** The shell: sign-in, navigation, the signed-in session and the page for the current hash route. */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useCallback, useEffect, useMemo, useState } from 'react';
import { api, setUnauthorizedHandler, storedToken, storeToken } from './api';
import type { Session } from './api';
import { ErrorBox, Loading } from './components';
import { zoneName } from './format';
import { useRoute } from './route';
import { SessionContext } from './session';
import { SignIn } from './sign-in';
import { OverviewPage } from './pages/overview';

const ProvidersPage = lazy(() => import('./pages/providers').then((m) => ({ default: m.ProvidersPage })));
const ModelsPage = lazy(() => import('./pages/models').then((m) => ({ default: m.ModelsPage })));
const KeysPage = lazy(() => import('./pages/keys').then((m) => ({ default: m.KeysPage })));
const LogsPage = lazy(() => import('./pages/logs').then((m) => ({ default: m.LogsPage })));
const PlaygroundPage = lazy(() => import('./pages/playground').then((m) => ({ default: m.PlaygroundPage })));
const HistoryPage = lazy(() => import('./pages/history').then((m) => ({ default: m.HistoryPage })));
const CachePage = lazy(() => import('./pages/cache').then((m) => ({ default: m.CachePage })));
const McpPage = lazy(() => import('./pages/mcp').then((m) => ({ default: m.McpPage })));

interface NavItem {
  page: string;
  label: string;
  /** Shown only when the gateway has this admin API (later features). */
  probe?: string;
}

const NAV: NavItem[] = [
  { page: 'overview', label: 'Overview' },
  { page: 'providers', label: 'Providers' },
  { page: 'models', label: 'Models' },
  { page: 'keys', label: 'Keys & teams' },
  { page: 'logs', label: 'Logs' },
  { page: 'playground', label: 'Playground' },
  { page: 'history', label: 'Config history' },
  { page: 'cache', label: 'Cache', probe: 'cache/stats' },
  { page: 'mcp', label: 'MCP', probe: 'mcp/servers' },
];

/** Whether an optional admin API exists on this gateway (404: not built in). */
function useHasApi(path: string | undefined, enabled: boolean) {
  return useQuery({
    queryKey: ['probe', path],
    enabled: enabled && path !== undefined,
    staleTime: Infinity,
    queryFn: () =>
      api(path!).then(
        () => true,
        (e: { status?: number }) => e.status !== 404,
      ),
  });
}

export function App() {
  const [token, setToken] = useState<string | null>(storedToken);
  const [notice, setNotice] = useState<string>();
  const qc = useQueryClient();
  const signOut = useCallback(
    (message?: string) => {
      storeToken(null);
      setToken(null);
      qc.clear();
      setNotice(message);
    },
    [qc],
  );
  useEffect(() => {
    setUnauthorizedHandler(() => signOut('The gateway no longer accepts this token (it may have been changed). Sign in again.'));
    return () => setUnauthorizedHandler(undefined);
  }, [signOut]);
  const session = useQuery({ queryKey: ['session', token], enabled: token !== null, queryFn: () => api<Session>('session'), staleTime: Infinity });

  if (token === null)
    return (
      <SignIn
        notice={notice}
        onSignedIn={(t, s) => {
          storeToken(t);
          qc.setQueryData(['session', t], s);
          setNotice(undefined);
          setToken(t);
        }}
      />
    );
  if (session.isPending) return <Loading what="your session" />;
  if (session.isError) return <ErrorBox error={session.error} retry={() => void session.refetch()} />;
  return <Shell session={session.data} signOut={signOut} />;
}

function Shell({ session, signOut }: { session: Session; signOut: (m?: string) => void }) {
  const route = useRoute();
  const value = useMemo(() => ({ role: session.token, canWrite: session.token === 'admin', signOut }), [session.token, signOut]);
  const cache = useHasApi('cache/stats', true);
  const mcp = useHasApi('mcp/servers', true);
  const shown = NAV.filter((n) => n.probe === undefined || (n.probe === 'cache/stats' ? cache.data : mcp.data));
  const current = NAV.find((n) => n.page === route.page) ?? NAV[0]!;
  useEffect(() => {
    document.title = `${current.label} · Switchyard console`;
  }, [current.label]);
  return (
    <SessionContext.Provider value={value}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <div className="layout">
        <nav className="sidebar" aria-label="Console">
          <div className="brand">
            <span className="logo" aria-hidden="true">
              ⇄
            </span>{' '}
            Switchyard
          </div>
          <ul>
            {shown.map((n) => (
              <li key={n.page}>
                <a href={`#/${n.page}`} aria-current={n.page === current.page ? 'page' : undefined}>
                  {n.label}
                </a>
              </li>
            ))}
          </ul>
          <div className="sidebar-foot">
            <p>
              Signed in: <strong>{session.token === 'admin' ? 'admin' : 'read-only'}</strong>
            </p>
            <p className="muted small">Times in {zoneName}</p>
            <button type="button" onClick={() => signOut()}>
              Sign out
            </button>
          </div>
        </nav>
        <main id="main" className="content" tabIndex={-1}>
          {session.token !== 'admin' ? (
            <p className="readonly-banner" role="note">
              Read-only session: everything is visible, every control is disabled.
            </p>
          ) : null}
          <Suspense fallback={<Loading what="the page" />}>
            <Page page={current.page} params={route.params} />
          </Suspense>
        </main>
      </div>
    </SessionContext.Provider>
  );
}

function Page({ page, params }: { page: string; params: URLSearchParams }) {
  switch (page) {
    case 'providers':
      return <ProvidersPage />;
    case 'models':
      return <ModelsPage />;
    case 'keys':
      return <KeysPage />;
    case 'logs':
      return <LogsPage params={params} />;
    case 'playground':
      return <PlaygroundPage />;
    case 'history':
      return <HistoryPage />;
    case 'cache':
      return <CachePage />;
    case 'mcp':
      return <McpPage />;
    default:
      return <OverviewPage />;
  }
}
