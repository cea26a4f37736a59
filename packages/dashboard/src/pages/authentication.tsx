import type { AppInfo, JwtMode, JwtSettings, JwtSettingsUpdate } from '@signet/protocol';
import { useState } from 'preact/hooks';
import { type AuthStats, api } from '../api.ts';
import { ConfirmDialog } from '../components/confirm-dialog.tsx';
import { RadioChoice } from '../components/radio-choice.tsx';
import { Load } from '../components/status.tsx';
import { count, plural } from '../format.ts';
import { failureReasons } from '../outcomes.ts';
import { href } from '../router.ts';
import { useResource } from '../use-resource.ts';
import { ProviderKeys } from './provider-keys.tsx';

const MODES: { mode: JwtMode; title: string; text: string }[] = [
  {
    mode: 'disabled',
    title: 'Disabled',
    text: 'Tokens are ignored. Every batch is stored; nothing says who really sent it.',
  },
  {
    mode: 'optional',
    title: 'Optional',
    text: 'Tokens are checked. Failures are counted and shown here, but the data is still stored, marked unverified. Use it to roll out safely.',
  },
  {
    mode: 'required',
    title: 'Required',
    text: 'A batch of an identified user needs a valid token; otherwise it is rejected with 401 and nothing is stored. Anonymous data needs no token.',
  },
];

/** The app's enforcement mode and token checks. */
export function AuthenticationPage({ appId, onSaved }: { appId: string; onSaved: () => void }) {
  const data = useResource(async () => {
    const [app, stats] = await Promise.all([api.app(appId), api.authStats(appId, 24)]);
    return { app, stats };
  }, [appId]);
  return (
    <Load resource={data} what="the authentication settings">
      {({ app, stats }) => (
        <>
          <SettingsForm
            key={app.id}
            app={app}
            stats={stats}
            reload={() => {
              data.reload();
              onSaved();
            }}
          />
          {(app.jwt.jwksUrl || app.jwt.discovery) && (
            // Remounted when the provider changes, so it shows the new provider's state.
            <ProviderKeys key={`${app.jwt.jwksUrl}|${app.jwt.discovery}|${app.jwt.issuer}`} appId={app.id} />
          )}
        </>
      )}
    </Load>
  );
}

/** Where the app's identity provider publishes its keys: nowhere, a JWKS URL, or discovery. */
type ProviderSource = 'none' | 'url' | 'discovery';

interface Draft {
  mode: JwtMode;
  audience: string;
  issuer: string;
  clockTolerance: string;
  maxLifetime: string;
  provider: ProviderSource;
  jwksUrl: string;
  userIdClaim: string;
}

const toDraft = (jwt: JwtSettings): Draft => ({
  mode: jwt.mode,
  audience: jwt.audience ?? '',
  issuer: jwt.issuer ?? '',
  clockTolerance: String(jwt.clockToleranceSeconds),
  maxLifetime: String(jwt.maxTokenLifetimeSeconds),
  provider: jwt.jwksUrl ? 'url' : jwt.discovery ? 'discovery' : 'none',
  jwksUrl: jwt.jwksUrl ?? '',
  userIdClaim: jwt.userIdClaim ?? 'sub',
});

/** The provider settings that changed (only those are sent: the rest keep their stored values). */
function providerUpdate(jwt: JwtSettings, draft: Draft): JwtSettingsUpdate {
  const jwksUrl = draft.provider === 'url' ? draft.jwksUrl.trim() : null;
  const discovery = draft.provider === 'discovery';
  const userIdClaim = draft.userIdClaim.trim() || 'sub';
  return {
    mode: draft.mode,
    ...(jwksUrl !== (jwt.jwksUrl ?? null) && { jwksUrl }),
    ...(discovery !== (jwt.discovery ?? false) && { discovery }),
    ...(userIdClaim !== (jwt.userIdClaim ?? 'sub') && { userIdClaim }),
  };
}

const SOURCES: { source: ProviderSource; title: string; text: string }[] = [
  { source: 'none', title: 'None', text: 'Only the public keys registered on the Keys tab verify tokens.' },
  {
    source: 'discovery',
    title: 'OpenID discovery',
    text: "Signet reads the issuer's /.well-known/openid-configuration and fetches the JWKS it names (Auth0, Keycloak, Cognito, Okta…).",
  },
  {
    source: 'url',
    title: 'JWKS URL',
    text: 'Signet fetches the key set at this address (Firebase, or any provider without discovery).',
  },
];

function SettingsForm({ app, stats, reload }: { app: AppInfo; stats: AuthStats; reload: () => void }) {
  const [draft, setDraft] = useState(() => toDraft(app.jwt));
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ message: string; code: string } | null>(null);
  const [saved, setSaved] = useState(false);
  const set = (patch: Partial<Draft>) => {
    setDraft((d) => ({ ...d, ...patch }));
    setSaved(false);
  };

  async function save() {
    setBusy(true);
    setError(null);
    try {
      await api.setJwt(app.id, {
        ...providerUpdate(app.jwt, draft),
        audience: draft.audience.trim() || null,
        issuer: draft.issuer.trim() || null,
        clockToleranceSeconds: Number(draft.clockTolerance),
        maxTokenLifetimeSeconds: draft.maxLifetime.trim() === '' ? null : Number(draft.maxLifetime),
      });
      setConfirming(false);
      setSaved(true);
      reload();
    } catch (err) {
      setConfirming(false);
      setError({ message: (err as Error).message, code: (err as { code?: string }).code ?? '' });
    } finally {
      setBusy(false);
    }
  }

  function submit(e: Event) {
    e.preventDefault();
    if (draft.mode === 'required' && app.jwt.mode !== 'required') setConfirming(true);
    else void save();
  }

  return (
    <form class="card settings" onSubmit={submit}>
      <fieldset>
        <legend>Mode</legend>
        {MODES.map((m) => (
          <RadioChoice
            key={m.mode}
            name="mode"
            value={m.mode}
            checked={draft.mode === m.mode}
            onSelect={() => set({ mode: m.mode })}
            title={m.title}
            text={m.text}
            badge={app.jwt.mode === m.mode && <span class="badge">current</span>}
          />
        ))}
      </fieldset>

      <fieldset>
        <legend>Identity provider</legend>
        <p class="help">
          Verify the ID tokens your sign-in provider already issues, with the keys it publishes: the SDK's{' '}
          <code>tokenProvider</code> returns that token. Registered keys keep working beside it.
        </p>
        {SOURCES.map((s) => (
          <RadioChoice
            key={s.source}
            name="provider"
            value={s.source}
            checked={draft.provider === s.source}
            onSelect={() => set({ provider: s.source })}
            title={s.title}
            text={s.text}
          />
        ))}
        {draft.provider === 'url' && (
          <div class="field">
            <label for="jwt-jwks-url">JWKS URL</label>
            <input
              id="jwt-jwks-url"
              type="url"
              required
              value={draft.jwksUrl}
              maxLength={2048}
              placeholder="https://www.googleapis.com/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com"
              onInput={(e) => set({ jwksUrl: e.currentTarget.value })}
              aria-describedby="jwt-jwks-url-help"
            />
            <p id="jwt-jwks-url-help" class="help">
              https only. Set the provider's issuer below too: it is required with a provider.
            </p>
          </div>
        )}
        {draft.provider === 'discovery' && (
          <p class="help">
            Set the provider's issuer below (e.g. <code>https://my-tenant.eu.auth0.com/</code>): Signet reads{' '}
            <code>{`${draft.issuer.trim().replace(/\/$/, '') || '<issuer>'}/.well-known/openid-configuration`}</code>
            .
          </p>
        )}
      </fieldset>

      <fieldset>
        <legend>Token checks</legend>
        <div class="fields">
          <div class="field">
            <label for="jwt-audience">Audience (aud)</label>
            <input
              id="jwt-audience"
              value={draft.audience}
              maxLength={1024}
              onInput={(e) => set({ audience: e.currentTarget.value })}
              aria-describedby="jwt-audience-help"
            />
            <p id="jwt-audience-help" class="help">
              Optional. When set, a token's <code>aud</code> must match exactly. For a provider's ID tokens:
              your client id.
            </p>
          </div>
          <div class="field">
            <label for="jwt-issuer">Issuer (iss)</label>
            <input
              id="jwt-issuer"
              value={draft.issuer}
              maxLength={1024}
              onInput={(e) => set({ issuer: e.currentTarget.value })}
              aria-describedby="jwt-issuer-help"
            />
            <p id="jwt-issuer-help" class="help">
              When set, a token's <code>iss</code> must match exactly. Required with an identity provider.
            </p>
          </div>
          <div class="field">
            <label for="jwt-user-id-claim">User id claim</label>
            <input
              id="jwt-user-id-claim"
              value={draft.userIdClaim}
              maxLength={128}
              onInput={(e) => set({ userIdClaim: e.currentTarget.value })}
              aria-describedby="jwt-user-id-claim-help"
            />
            <p id="jwt-user-id-claim-help" class="help">
              The claim that must equal the batch's user id. Default <code>sub</code>; another claim when your
              provider keeps your user id there (e.g. an Auth0 custom claim).
            </p>
          </div>
          <div class="field">
            <label for="jwt-tolerance">Clock tolerance (seconds)</label>
            <input
              id="jwt-tolerance"
              type="number"
              min={0}
              max={300}
              step={1}
              required
              value={draft.clockTolerance}
              onInput={(e) => set({ clockTolerance: e.currentTarget.value })}
              aria-describedby="jwt-tolerance-help"
            />
            <p id="jwt-tolerance-help" class="help">
              0–300. Allowed clock difference for <code>exp</code>, <code>nbf</code> and <code>iat</code>.
            </p>
          </div>
          <div class="field">
            <label for="jwt-lifetime">Maximum token lifetime (seconds)</label>
            <input
              id="jwt-lifetime"
              type="number"
              min={1}
              max={31_536_000}
              step={1}
              value={draft.maxLifetime}
              onInput={(e) => set({ maxLifetime: e.currentTarget.value })}
              aria-describedby="jwt-lifetime-help"
            />
            <p id="jwt-lifetime-help" class="help">
              Refuses tokens whose <code>exp − iat</code> (or, without <code>iat</code>, whose time left) is
              longer. At most 31536000 (1 year); empty puts back the default, 2592000 (30 days).
            </p>
          </div>
        </div>
      </fieldset>

      {error && (
        <div class="notice error" role="alert">
          <p>{error.message}</p>
          {error.code === 'NO_KEYS' && (
            <p>
              <a href={href({ page: 'app', appId: app.id, tab: 'keys' })}>Add a public key</a> first.
            </p>
          )}
        </div>
      )}
      {saved && (
        <p class="notice ok" role="status">
          Saved. Every server instance applies it within 5 seconds.
        </p>
      )}
      <button type="submit" disabled={busy}>
        Save
      </button>

      {confirming && (
        <ConfirmDialog
          title="Switch to required?"
          confirmLabel="Switch to required"
          danger
          busy={busy}
          onConfirm={() => void save()}
          onCancel={() => setConfirming(false)}
        >
          <WouldBeRejected stats={stats} currentMode={app.jwt.mode} />
        </ConfirmDialog>
      )}
    </form>
  );
}

/** What `required` would have refused in the last 24 h, from optional mode's recorded failures. */
function WouldBeRejected({ stats, currentMode }: { stats: AuthStats; currentMode: JwtMode }) {
  const reasons = failureReasons(stats.rows, ['unverified']);
  const batches = reasons.reduce((s, r) => s + r.batches, 0);
  const events = reasons.reduce((s, r) => s + r.events, 0);
  const verified = stats.totals.verified?.batches ?? 0;
  const unchecked = stats.totals.skipped?.batches ?? 0;
  return (
    <div class="would-be-rejected">
      {batches === 0 ? (
        <p>
          In the last 24 hours no batch failed the token check in optional mode
          {verified > 0 ? ` (${plural(verified, 'batch', 'batches')} verified)` : ''}: nothing would have been
          rejected.
        </p>
      ) : (
        <>
          <p>
            In the last 24 hours, <strong>{plural(batches, 'batch', 'batches')}</strong> (
            {plural(events, 'event')}) failed the token check in optional mode. With <strong>required</strong>{' '}
            they would have been rejected and not stored:
          </p>
          <table>
            <thead>
              <tr>
                <th scope="col">Code</th>
                <th scope="col">Reason</th>
                <th scope="col" class="num">
                  Batches
                </th>
              </tr>
            </thead>
            <tbody>
              {reasons.map((r) => (
                <tr key={`${r.code}/${r.reason}`}>
                  <td class="mono">{r.code}</td>
                  <td class="mono">{r.reason}</td>
                  <td class="num">{count(r.batches)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {(currentMode === 'disabled' || unchecked > 0) && (
        <p class="notice warn">
          {plural(unchecked, 'batch', 'batches')} of identified users were not checked because the mode was
          disabled, so Signet cannot tell whether they would pass. Run in optional mode first to find out.
        </p>
      )}
      <p>Users whose app sends no valid token will see their data refused until their backend signs one.</p>
    </div>
  );
}
