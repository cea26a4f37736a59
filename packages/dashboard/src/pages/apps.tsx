import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { Empty, Load } from '../components/status.tsx';
import { count, percent } from '../format.ts';
import { href } from '../router.ts';
import { useResource } from '../use-resource.ts';

/** Every app with its last 24 h of traffic, and a form to create one. */
export function AppsPage() {
  const data = useResource(async () => {
    const [apps, activity] = await Promise.all([api.apps(), api.activity(24)]);
    return { apps: apps.apps, activity: new Map(activity.apps.map((a) => [a.appId, a])) };
  }, []);
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

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
                        </td>
                        <td>
                          <span class={`badge mode-${app.jwt.mode}`}>{app.jwt.mode}</span>
                        </td>
                        <td class="num">{count(a?.events ?? 0)}</td>
                        <td class="num" title="Verified events ÷ events of identified users">
                          {percent(a?.verifiedShare ?? null)}
                        </td>
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
