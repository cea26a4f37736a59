import type { AppInfo } from '@signet/protocol';
import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { ConfirmDialog } from '../components/confirm-dialog.tsx';

/** "forever" or "90 days": how long the app keeps its events. */
export function retentionText(days: number | null): string {
  if (days === null) return 'forever';
  return `${days} ${days === 1 ? 'day' : 'days'}`;
}

/** Rename the app and set how long its events are kept; sends only what changed. */
export function EditAppDialog(props: { app: AppInfo; onDone: (saved: AppInfo | null) => void }) {
  const { app } = props;
  const [name, setName] = useState(app.name);
  const [forever, setForever] = useState(app.retentionDays === null);
  const [days, setDays] = useState(String(app.retentionDays ?? 90));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const daysValue = Number(days);
  const daysValid = /^\d+$/.test(days) && daysValue >= 1 && daysValue <= 3650;

  async function save() {
    const retentionDays = forever ? null : daysValue;
    const update = {
      ...(name.trim() !== app.name && { name: name.trim() }),
      ...(retentionDays !== app.retentionDays && { retentionDays }),
    };
    if (Object.keys(update).length === 0) return props.onDone(null);
    setBusy(true);
    setError(null);
    try {
      props.onDone(await api.updateApp(app.id, update));
    } catch (err) {
      setError((err as Error).message);
      setBusy(false);
    }
  }

  return (
    <ConfirmDialog
      title={`Edit ${app.name}`}
      confirmLabel="Save"
      busy={busy}
      confirmDisabled={name.trim() === '' || (!forever && !daysValid)}
      onConfirm={save}
      onCancel={() => props.onDone(null)}
    >
      <div class="field">
        <label for="edit-app-name">Name</label>
        <input
          id="edit-app-name"
          required
          maxLength={200}
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
        />
      </div>
      <fieldset>
        <legend>Keep events</legend>
        <label class="choice">
          <input type="radio" name="retention" checked={forever} onChange={() => setForever(true)} />
          <span>Forever</span>
        </label>
        <label class="choice">
          <input type="radio" name="retention" checked={!forever} onChange={() => setForever(false)} />
          <span>
            For a number of days; the server deletes older events itself
            <span class="field inline retention-days">
              <input
                id="edit-app-days"
                aria-label="Days to keep events"
                type="number"
                min={1}
                max={3650}
                value={days}
                disabled={forever}
                onInput={(e) => setDays(e.currentTarget.value)}
              />
              <span>days (1–3650)</span>
            </span>
          </span>
        </label>
      </fieldset>
      {error && (
        <p class="field-error" role="alert">
          {error}
        </p>
      )}
    </ConfirmDialog>
  );
}

/** Deletes the app and all its data, once its id has been typed. */
export function DeleteAppDialog(props: { app: AppInfo; onDone: (deleted: boolean) => void }) {
  const { app } = props;
  const [typed, setTyped] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function remove() {
    setBusy(true);
    setError(null);
    try {
      await api.deleteApp(app.id);
      props.onDone(true);
    } catch (err) {
      setError((err as Error).message);
      setBusy(false);
    }
  }

  return (
    <ConfirmDialog
      title={`Delete ${app.name}?`}
      confirmLabel="Delete app and data"
      danger
      busy={busy}
      confirmDisabled={typed.trim() !== app.id}
      onConfirm={remove}
      onCancel={() => props.onDone(false)}
    >
      <p>
        This deletes the app and everything of it: its keys, settings, events, user profiles and counters. Its
        ingestion URL will answer 404. This cannot be undone.
      </p>
      <div class="field">
        <label for="delete-app-confirm">
          Type the app id <code class="break">{app.id}</code> to confirm
        </label>
        <input
          id="delete-app-confirm"
          autocomplete="off"
          spellcheck={false}
          value={typed}
          onInput={(e) => setTyped(e.currentTarget.value)}
        />
      </div>
      {error && (
        <p class="field-error" role="alert">
          {error}
        </p>
      )}
    </ConfirmDialog>
  );
}
