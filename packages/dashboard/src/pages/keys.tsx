import type { KeyInfo } from '@signet/protocol';
import { useState } from 'preact/hooks';
import { ApiError, api } from '../api.ts';
import { ConfirmDialog } from '../components/confirm-dialog.tsx';
import { Empty, Load } from '../components/status.tsx';
import { count, dateTime } from '../format.ts';
import { useResource } from '../use-resource.ts';

const MAX_KEYS = 5;

// What to do about each refusal the server can give (its message says what was wrong).
const KEY_ADVICE: Record<string, string> = {
  private_key:
    'This is a private key. Paste only the PUBLIC key (-----BEGIN PUBLIC KEY-----); the private key stays on your backend.',
  symmetric_key: 'Shared secrets (HS256, "oct" keys) are never accepted: use an RSA, EC or Ed25519 key pair.',
  weak_key: 'RSA keys need at least 2048 bits.',
  unsupported_key: 'Use RSA (2048 bits or more), EC P-256/P-384/P-521 or Ed25519.',
  malformed: 'Paste a PEM public key (SPKI) or a JWK as JSON.',
};

/** The app's public keys: add (paste or file), list, remove; with the rotation guide. */
export function KeysPage({ appId }: { appId: string }) {
  const data = useResource(async () => {
    const [keys, app] = await Promise.all([api.keys(appId), api.app(appId)]);
    return { keys: keys.keys, mode: app.jwt.mode };
  }, [appId]);
  return (
    <div class="grid">
      <section class="card wide" aria-labelledby="keys-title">
        <h2 id="keys-title">Registered keys</h2>
        <Load resource={data} what="keys">
          {({ keys, mode }) => <KeyList appId={appId} keys={keys} mode={mode} reload={data.reload} />}
        </Load>
      </section>
      <AddKey appId={appId} onAdded={data.reload} />
      <section class="card" aria-labelledby="rotate-title">
        <h2 id="rotate-title">Rotate a key</h2>
        <ol class="steps">
          <li>
            Generate a new key pair on your backend (for example <code>signet keys generate --alg ES256</code>
            ).
          </li>
          <li>Add the new public key here with its own key id (kid). Both keys are now accepted.</li>
          <li>
            Make your backend sign new tokens with the new private key and put the new kid in their header.
          </li>
          <li>Wait until tokens signed with the old key have expired (their lifetime, usually minutes).</li>
          <li>Check "last used" of the old key has stopped moving, then remove it.</li>
        </ol>
      </section>
    </div>
  );
}

function KeyList(props: { appId: string; keys: KeyInfo[]; mode: string; reload: () => void }) {
  const [removing, setRemoving] = useState<KeyInfo | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function remove() {
    if (!removing) return;
    setBusy(true);
    setError(null);
    try {
      await api.removeKey(props.appId, removing.kid);
      props.reload();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
      setRemoving(null);
    }
  }
  const last = props.keys.length === 1 && props.mode === 'required';
  return (
    <>
      <p class="muted">
        {count(props.keys.length)} of {MAX_KEYS} keys. A token is checked with the key whose kid is in its
        header, or, without a kid, with each key that fits its algorithm. The app is in{' '}
        <strong>{props.mode}</strong> mode.
      </p>
      {props.mode === 'required' && (
        <p class="notice info">
          Last-key guard: while the mode is required, the last key cannot be removed — every identified batch
          would be rejected. Add another key or change the mode first.
        </p>
      )}
      {error && (
        <p class="notice error" role="alert">
          {error}
        </p>
      )}
      {props.keys.length === 0 ? (
        <Empty>
          <p>No keys yet. Add your backend's public key below before switching to optional or required.</p>
        </Empty>
      ) : (
        <div class="table-wrap">
          <table class="keys">
            <thead>
              <tr>
                <th scope="col">Key id (kid)</th>
                <th scope="col">Type</th>
                <th scope="col">Fingerprint (SHA-256)</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col" class="num">
                  Uses
                </th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {props.keys.map((k) => (
                <tr key={k.kid}>
                  <td>
                    <span class="mono break">{k.kid}</span>
                    {k.label && <div class="muted">{k.label}</div>}
                  </td>
                  <td>
                    {k.type}
                    <div class="muted small">{k.algorithms.join(', ')}</div>
                  </td>
                  <td class="mono break small">{k.fingerprint}</td>
                  <td>{dateTime(k.createdAt)}</td>
                  <td>{dateTime(k.lastUsedAt)}</td>
                  <td class="num">{count(k.useCount)}</td>
                  <td>
                    <button
                      type="button"
                      class="danger small"
                      onClick={() => setRemoving(k)}
                      aria-label={`Remove key ${k.kid}`}
                      title={last ? 'The last key cannot be removed while the mode is required' : undefined}
                    >
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {removing && (
        <ConfirmDialog
          title="Remove this key?"
          confirmLabel="Remove key"
          danger
          busy={busy}
          onConfirm={() => void remove()}
          onCancel={() => setRemoving(null)}
        >
          <p>
            Tokens signed with <code class="break">{removing.kid}</code> will fail the check from now on
            {props.mode === 'required' ? ' and their batches will be rejected' : ''}.
          </p>
          {last && (
            <p class="notice warn">This is the last key and the mode is required: the server will refuse.</p>
          )}
        </ConfirmDialog>
      )}
    </>
  );
}

function AddKey({ appId, onAdded }: { appId: string; onAdded: () => void }) {
  const [text, setText] = useState('');
  const [kid, setKid] = useState('');
  const [label, setLabel] = useState('');
  const [fileName, setFileName] = useState<string | null>(null);
  const [refusal, setRefusal] = useState<{
    message: string;
    advice?: string | undefined;
    code: string;
  } | null>(null);
  const [added, setAdded] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function choose(e: Event) {
    const file = (e.currentTarget as HTMLInputElement).files?.[0];
    if (!file) return;
    if (file.size > 64 * 1024) {
      setRefusal({ message: 'That file is too large to be a public key.', code: 'client' });
      return;
    }
    setText(await file.text());
    setFileName(file.name);
    setRefusal(null);
  }

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setRefusal(null);
    setAdded(null);
    const trimmed = text.trim();
    try {
      let body: { pem?: string; jwk?: unknown };
      if (trimmed.startsWith('{')) {
        try {
          body = { jwk: JSON.parse(trimmed) };
        } catch {
          setRefusal({
            message: 'This looks like JSON but does not parse.',
            advice: KEY_ADVICE.malformed,
            code: '',
          });
          return;
        }
      } else {
        body = { pem: trimmed };
      }
      const key = await api.addKey(appId, {
        ...body,
        ...(kid.trim() && { kid: kid.trim() }),
        ...(label.trim() && { label: label.trim() }),
      });
      setText('');
      setKid('');
      setLabel('');
      setFileName(null);
      setAdded(key.kid);
      onAdded();
    } catch (err) {
      const reason = err instanceof ApiError ? err.reason : '';
      setRefusal({
        message: (err as Error).message,
        advice: err instanceof ApiError && err.code === 'KEY_INVALID' ? KEY_ADVICE[reason] : undefined,
        code: err instanceof ApiError ? `${err.code}${reason ? ` / ${reason}` : ''}` : '',
      });
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="card" aria-labelledby="add-key-title">
      <h2 id="add-key-title">Add a public key</h2>
      <form onSubmit={submit}>
        <div class="field">
          <label for="key-text">Public key (PEM or JWK)</label>
          <textarea
            id="key-text"
            rows={7}
            spellcheck={false}
            required
            value={text}
            onInput={(e) => setText(e.currentTarget.value)}
            placeholder={'-----BEGIN PUBLIC KEY-----\n…\n-----END PUBLIC KEY-----'}
            aria-invalid={refusal !== null}
            aria-describedby={refusal ? 'key-refusal' : undefined}
          />
        </div>
        <div class="field">
          <label for="key-file">…or choose a file</label>
          <input id="key-file" type="file" accept=".pem,.pub,.json,.jwk,.key,.txt" onChange={choose} />
          {fileName && <p class="help">Read {fileName}.</p>}
        </div>
        <div class="fields">
          <div class="field">
            <label for="key-kid">Key id (kid), optional</label>
            <input
              id="key-kid"
              value={kid}
              maxLength={128}
              onInput={(e) => setKid(e.currentTarget.value)}
              aria-describedby="key-kid-help"
            />
            <p id="key-kid-help" class="help">
              Defaults to the key's RFC 7638 thumbprint.
            </p>
          </div>
          <div class="field">
            <label for="key-label">Label, optional</label>
            <input
              id="key-label"
              value={label}
              maxLength={200}
              onInput={(e) => setLabel(e.currentTarget.value)}
            />
          </div>
        </div>
        {refusal && (
          <div id="key-refusal" class="notice error" role="alert">
            <p>
              <strong>Refused:</strong> {refusal.message}
              {refusal.code && <span class="code"> ({refusal.code})</span>}
            </p>
            {refusal.advice && <p>{refusal.advice}</p>}
          </div>
        )}
        {added && (
          <p class="notice ok" role="status">
            Added key <code class="break">{added}</code>.
          </p>
        )}
        <button type="submit" disabled={busy || text.trim() === ''}>
          Add key
        </button>
      </form>
    </section>
  );
}
