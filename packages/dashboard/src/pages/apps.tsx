import type { AppInfo } from '@signet/protocol';
import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { Empty, Load } from '../components/status.tsx';
import { count, percent } from '../format.ts';
import { href } from '../router.ts';
import { useResource } from '../use-resource.ts';
import { DeleteAppDialog, EditAppDialog, retentionText } from './app-dialogs.tsx';

/** Every app with its last 24 h of traffic, and a form to create one. */
export function AppsPage() {
  const data = useResource(async () => {
    const [apps, activity] = await Promise.all([api.apps(), api.activity(24)]);
    return { apps: apps.apps, activity: new Map(activity.apps.map((a) => [a.appId, a])) };
  }, []);
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [editing, setEditing] = useState<AppInfo | null>(null);
  const [deleting, setDeleting] = useState<AppInfo | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  async function create(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const app = await api.createApp(name.trim());
      setName('');
      location.hash = href({ page: 'app', appId: app.id, tab: 'overview' });
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main>
      <h1>Apps</h1>
      <form class="card inline-form" onSubmit={create}>
        <div class="field">
          <label for="new-app-name">New app name</label>
          <input
            id="new-app-name"
            required
            maxLength={200}
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
            placeholder="Web shop"
          />
        </div>
        <button type="submit" disabled={busy || name.trim() === ''}>
          Create app
        </button>
        {error && (
          <p class="field-error" role="alert">
            {error}
          </p>
        )}
      </form>
      {notice && (
        <div class="notice ok" role="status">
          <p>{notice}</p>
        </div>
      )}
      {editing && (
        <EditAppDialog
          app={editing}
          onDone={(saved) => {
            setEditing(null);
            if (saved) {
              setNotice(`Saved ${saved.name}`);
              data.reload();
            }
          }}
        />
      )}
      {deleting && (
        <DeleteAppDialog
          app={deleting}
          onDone={(deleted) => {
            setDeleting(null);
            if (deleted) {
              setNotice(`Deleted ${deleting.name} and all its data`);
              data.reload();
            }
          }}
        />
      )}
      <Load resource={data} what="apps">
        {({ apps, activity }) =>
          apps.length === 0 ? (
            <Empty>
              <p>No apps yet. Create one above, then register your backend's public key.</p>
            </Empty>
          ) : (
            <div class="table-wrap card">
              <table>
                <caption>Last 24 hours</caption>
                <thead>
                  <tr>
                    <th scope="col">App</th>
                    <th scope="col">Mode</th>
                    <th scope="col" class="num">
                      Events
                    </th>
                    <th scope="col" class="num">
                      Verified
                    </th>
                    <th scope="col" class="col-retention">
                      Keeps events
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {apps.map((app) => {
                    const a = activity.get(app.id);
                    return (
                      <tr key={app.id}>
                        <td>
                          <a href={href({ page: 'app', appId: app.id, tab: 'overview' })}>{app.name}</a>
                          <div class="muted mono">{app.id}</div>
                          <div class="muted small narrow-only">
                            Keeps events {retentionText(app.retentionDays)}
                          </div>
                          <div class="row-actions">
                            <button
                              type="button"
                              class="small secondary"
                              aria-label={`Edit ${app.name}`}
                              onClick={() => {
                                setNotice(null);
                                setEditing(app);
                              }}
                            >
                              Edit
                            </button>
                            <button
                              type="button"
                              class="small danger"
                              aria-label={`Delete ${app.name}`}
                              onClick={() => {
                                setNotice(null);
                                setDeleting(app);
                              }}
                            >
                              Delete
                            </button>
                          </div>
                        </td>
                        <td>
                          <span class={`badge mode-${app.jwt.mode}`}>{app.jwt.mode}</span>
                        </td>
                        <td class="num">{count(a?.events ?? 0)}</td>
                        <td class="num" title="Verified events ÷ events of identified users">
                          {percent(a?.verifiedShare ?? null)}
                        </td>
                        <td class="col-retention">{retentionText(app.retentionDays)}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          )
        }
      </Load>
    </main>
  );
}
