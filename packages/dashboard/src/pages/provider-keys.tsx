import type { JwksStatus } from '@signet/protocol';
import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { Empty, Load } from '../components/status.tsx';
import { count, dateTime } from '../format.ts';
import { useResource } from '../use-resource.ts';

/**
 * The keys this server instance fetched from the app's identity provider (SPEC §4.1): each kid
 * and algorithm, when they were fetched and go stale, the last fetch error, and "Fetch now".
 */
export function ProviderKeys({ appId }: { appId: string }) {
  const data = useResource(() => api.jwks(appId), [appId]);
  return (
    <section class="card provider-keys" aria-labelledby="provider-keys-title">
      <h2 id="provider-keys-title">Identity provider keys</h2>
      <Load resource={data} what="the provider's keys">
        {(status) => <ProviderStatus key={appId} appId={appId} initial={status} />}
      </Load>
    </section>
  );
}

function ProviderStatus({ appId, initial }: { appId: string; initial: JwksStatus }) {
  const [status, setStatus] = useState(initial);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [fetched, setFetched] = useState(false);

  async function fetchNow() {
    setBusy(true);
    setError(null);
    setFetched(false);
    try {
      setStatus(await api.refreshJwks(appId));
      setFetched(true);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  if (!status.configured)
    return (
      <Empty>
        <p>No identity provider is set. Name its JWKS URL, or its issuer with discovery, above.</p>
      </Empty>
    );
  return (
    <>
      <dl class="facts">
        <dt>Source</dt>
        <dd>{status.source === 'discovery' ? 'OpenID discovery on the issuer' : 'JWKS URL'}</dd>
        <dt>JWKS fetched from</dt>
        <dd class="mono break">{status.jwksUrl ?? 'not found yet'}</dd>
        <dt>Last fetched</dt>
        <dd>{dateTime(status.fetchedAt)}</dd>
        <dt>Next refresh</dt>
        <dd>{status.nextRefreshAt === null ? '—' : dateTime(status.nextRefreshAt)}</dd>
      </dl>
      {status.lastError && (
        <div class="notice error" role="alert">
          <p>
            Last fetch failed {dateTime(status.lastError.at)}:{' '}
            <span class="code">{status.lastError.kind}</span>
          </p>
          <p>{status.lastError.message}</p>
          {status.keys.length > 0 && <p>Tokens are still checked with the keys fetched before.</p>}
        </div>
      )}
      {error && (
        <p class="notice error" role="alert">
          {error}
        </p>
      )}
      {fetched && !status.lastError && (
        <p class="notice ok" role="status">
          Fetched {count(status.keys.length)} {status.keys.length === 1 ? 'key' : 'keys'}.
        </p>
      )}
      {status.keys.length === 0 ? (
        <Empty>
          <p>
            No keys fetched yet on this server instance. It fetches them when the first token arrives, or now
            with Fetch now.
          </p>
        </Empty>
      ) : (
        <div class="table-wrap">
          <table class="keys">
            <thead>
              <tr>
                <th scope="col">Key id (kid)</th>
                <th scope="col">Algorithm</th>
                <th scope="col">Type</th>
                <th scope="col">Fetched</th>
              </tr>
            </thead>
            <tbody>
              {status.keys.map((k) => (
                <tr key={k.kid}>
                  <td class="mono break">{k.kid}</td>
                  <td>{k.alg ?? k.algorithms.join(', ')}</td>
                  <td>{k.type}</td>
                  <td>{dateTime(k.fetchedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {status.ignoredKeys > 0 && (
        <p class="muted small">
          {count(status.ignoredKeys)} other {status.ignoredKeys === 1 ? 'key' : 'keys'} in the document
          skipped (encryption keys, or a type or size Signet does not accept).
        </p>
      )}
      <p class="muted small">Each server instance keeps its own copy; this is the one answering you.</p>
      <button type="button" onClick={() => void fetchNow()} disabled={busy}>
        {busy ? 'Fetching…' : 'Fetch now'}
      </button>
    </>
  );
}
