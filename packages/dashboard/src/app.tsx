import { useEffect, useState } from 'preact/hooks';
import { api, setUnauthorizedListener } from './api.ts';
import { ErrorNotice, Loading } from './components/status.tsx';
import { AppsPage } from './pages/apps.tsx';
import { AuditPage } from './pages/audit.tsx';
import { AuthenticationPage } from './pages/authentication.tsx';
import { EventsPage } from './pages/events.tsx';
import { KeysPage } from './pages/keys.tsx';
import { LoginPage } from './pages/login.tsx';
import { MonitorPage } from './pages/monitor.tsx';
import { OverviewPage } from './pages/overview.tsx';
import { type AppTab, href, type Route, useRoute } from './router.ts';
import { useResource } from './use-resource.ts';

type Auth = 'checking' | 'in' | 'out';

const TAB_LABEL: Record<AppTab, string> = {
  overview: 'Overview',
  authentication: 'Authentication',
  keys: 'Keys',
  monitor: 'Auth monitor',
  events: 'Events',
};

/** The dashboard: the login page, or the header and the page the hash names. */
export function App() {
  const [auth, setAuth] = useState<Auth>('checking');
  const [checkError, setCheckError] = useState<Error | null>(null);
  const route = useRoute();

  const check = () => {
    setCheckError(null);
    api.session().then(
      () => setAuth('in'),
      (err: { status?: number } & Error) => {
        if (err.status === 401) setAuth('out');
        else setCheckError(err);
      },
    );
  };
  useEffect(() => {
    setUnauthorizedListener(() => setAuth('out'));
    check();
  }, []);

  if (checkError) return <ErrorNotice error={checkError} retry={check} />;
  if (auth === 'checking') return <Loading what="the dashboard" />;
  if (auth === 'out') return <LoginPage onLoggedIn={() => setAuth('in')} />;

  async function logout() {
    try {
      await api.logout();
    } finally {
      setAuth('out');
    }
  }

  return (
    <>
      <a class="skip" href="#content">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href={href({ page: 'apps' })}>
          Signet
        </a>
        <nav aria-label="Main">
          <a href={href({ page: 'apps' })} aria-current={route.page === 'apps' ? 'page' : undefined}>
            Apps
          </a>
          <a href={href({ page: 'audit' })} aria-current={route.page === 'audit' ? 'page' : undefined}>
            Audit
          </a>
          <a href="/docs">API docs</a>
        </nav>
        <button type="button" class="secondary" onClick={logout}>
          Log out
        </button>
      </header>
      <div id="content" class="content">
        {route.page === 'apps' ? (
          <AppsPage />
        ) : route.page === 'audit' ? (
          <AuditPage />
        ) : (
          <AppShell route={route} />
        )}
      </div>
    </>
  );
}

function AppShell({ route }: { route: Extract<Route, { page: 'app' }> }) {
  const app = useResource(() => api.app(route.appId), [route.appId]);
  const name = app.state === 'ready' ? app.data.name : route.appId;
  useEffect(() => {
    document.title = `${TAB_LABEL[route.tab]} · ${name} · Signet`;
    // On a narrow screen the tabs scroll sideways: keep the current one in view.
    document
      .querySelector('.tabs [aria-current="page"]')
      ?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }, [route.tab, name]);
  return (
    <main>
      <p class="crumbs">
        <a href={href({ page: 'apps' })}>Apps</a> /
      </p>
      <h1 class="break">{name}</h1>
      {app.state === 'error' ? (
        <ErrorNotice error={app.error} retry={app.reload} />
      ) : (
        <>
          <p class="muted mono small break">
            App id: {route.appId}
            {app.state === 'ready' && (
              <>
                {' '}
                · mode <span class={`badge mode-${app.data.jwt.mode}`}>{app.data.jwt.mode}</span>
              </>
            )}
          </p>
          <nav class="tabs" aria-label="App sections">
            {(Object.keys(TAB_LABEL) as AppTab[]).map((tab) => (
              <a
                key={tab}
                href={href({ page: 'app', appId: route.appId, tab })}
                aria-current={route.tab === tab ? 'page' : undefined}
              >
                {TAB_LABEL[tab]}
              </a>
            ))}
          </nav>
          <Tab route={route} onChange={app.reload} />
        </>
      )}
    </main>
  );
}

function Tab({ route, onChange }: { route: Extract<Route, { page: 'app' }>; onChange: () => void }) {
  switch (route.tab) {
    case 'overview':
      return <OverviewPage appId={route.appId} />;
    case 'authentication':
      return <AuthenticationPage appId={route.appId} onSaved={onChange} />;
    case 'keys':
      return <KeysPage appId={route.appId} />;
    case 'monitor':
      return <MonitorPage appId={route.appId} />;
    case 'events':
      return <EventsPage appId={route.appId} />;
  }
}
