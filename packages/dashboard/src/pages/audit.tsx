import type { AuditEntry } from '@signet/protocol';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { Empty, ErrorNotice, Loading } from '../components/status.tsx';
import { dateTime } from '../format.ts';
import { useResource } from '../use-resource.ts';

const PAGE = 50;

const ACTION_LABEL: Record<AuditEntry['action'], string> = {
  'app.created': 'App created',
  'app.renamed': 'App renamed',
  'app.retention_changed': 'Retention changed',
  'app.deleted': 'App deleted',
  'key.added': 'Key added',
  'key.removed': 'Key removed',
  'jwt.changed': 'JWT settings changed',
  'user.erased': 'User erased',
  'admin.login': 'Logged in',
  'admin.login_failed': 'Login failed',
  'admin.logout': 'Logged out',
};

/** What an entry changed, in one line: `field: before → after`, or its details. */
export function changeText(entry: AuditEntry): string {
  if (entry.before || entry.after) {
    const keys = new Set([...Object.keys(entry.before ?? {}), ...Object.keys(entry.after ?? {})]);
    const show = (value: unknown) => JSON.stringify(value ?? null);
    return [...keys]
      .filter((k) => show(entry.before?.[k]) !== show(entry.after?.[k]))
      .map((k) => `${k}: ${show(entry.before?.[k])} → ${show(entry.after?.[k])}`)
      .join(', ');
  }
  return Object.entries(entry.details ?? {})
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(', ');
}

/** The audit log: every admin change and login, newest first, 50 at a time, per app or all. */
export function AuditPage() {
  const apps = useResource(() => api.apps(), []);
  const [appId, setAppId] = useState('');
  const [entries, setEntries] = useState<AuditEntry[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<Error | null>(null);
  const names = new Map(apps.state === 'ready' ? apps.data.apps.map((a) => [a.id, a.name]) : []);

  async function load(from: string | null, replace: boolean) {
    setLoading(true);
    setError(null);
    try {
      const page = await api.audit({ appId: appId || undefined, cursor: from ?? undefined, limit: PAGE });
      setEntries((shown) => (replace ? page.entries : [...shown, ...page.entries]));
      setCursor(page.nextCursor);
    } catch (err) {
      setError(err as Error);
    } finally {
      setLoading(false);
    }
  }
  useEffect(() => {
    document.title = 'Audit log · Signet';
    void load(null, true);
  }, [appId]);

  return (
    <main>
      <h1>Audit log</h1>
      <p class="muted">
        Every change to apps, keys and settings, every erasure, and every admin login (failed ones too),
        newest first. Actors are named by a hash of their credential, never the credential.
      </p>
      <div class="field inline audit-filter">
        <label for="audit-app">App</label>
        <select id="audit-app" value={appId} onChange={(e) => setAppId(e.currentTarget.value)}>
          <option value="">All apps and logins</option>
          {apps.state === 'ready' &&
            apps.data.apps.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
        </select>
      </div>
      {error && <ErrorNotice error={error} retry={() => load(null, true)} />}
      {entries.length === 0 && !loading && !error ? (
        <Empty>
          <p>No entries yet.</p>
        </Empty>
      ) : (
        <div class="table-wrap card">
          <table class="audit-table">
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Action</th>
                <th scope="col">App</th>
                <th scope="col">Actor</th>
                <th scope="col" class="col-ip">
                  Client IP
                </th>
                <th scope="col">Change</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr key={e.id} class={e.action === 'admin.login_failed' ? 'failed' : undefined}>
                  <td class="nowrap when">{dateTime(e.at)}</td>
                  <td class="what">{ACTION_LABEL[e.action] ?? e.action}</td>
                  <td data-label="App">
                    {e.appId === null
                      ? '—'
                      : (names.get(e.appId) ?? <span class="mono small id">{e.appId}</span>)}
                  </td>
                  <td class="mono small" data-label="Actor">
                    {e.actor}
                  </td>
                  <td class="mono small col-ip">{e.clientIp ?? '—'}</td>
                  <td class="small change">{changeText(e) || '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <div class="audit-more">
        <span class="muted small" role="status">
          {loading ? '' : `${entries.length} ${entries.length === 1 ? 'entry' : 'entries'} shown`}
        </span>
        {loading && <Loading what="the audit log" />}
        {cursor && !loading && (
          <button type="button" class="secondary" onClick={() => load(cursor, false)}>
            Load more
          </button>
        )}
      </div>
    </main>
  );
}
