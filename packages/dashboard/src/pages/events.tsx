import type { StoredEvent } from '@signet/protocol';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, type EventFilters } from '../api.ts';
import { Empty, ErrorNotice, Load, Loading } from '../components/status.tsx';
import { dateTime } from '../format.ts';
import { useResource } from '../use-resource.ts';

const NO_FILTERS: EventFilters = { userId: '', name: '', verified: '', from: '', to: '' };
const PAGE_SIZE = 100;

/** What the filter form holds: `from`/`to` as the datetime-local inputs give them (local time). */
type Draft = EventFilters;

/**
 * The events explorer: a compact table of an app's events, newest first, filtered by user, name,
 * verified and a receivedAt window, paged with "Load more" through the API's cursor; a row opens
 * to the event's JSON; "Export NDJSON" downloads every matching event.
 */
export function EventsPage({ appId }: { appId: string }) {
  const [draft, setDraft] = useState<Draft>(NO_FILTERS);
  const [filters, setFilters] = useState<EventFilters>(NO_FILTERS);
  const [formError, setFormError] = useState<string | null>(null);

  const apply = (next: Draft) => {
    const from = toIso(next.from);
    const to = toIso(next.to);
    if (from === null || to === null) return setFormError('Enter dates as the date pickers give them.');
    setFormError(null);
    setFilters({ ...next, userId: next.userId.trim(), name: next.name.trim(), from, to });
  };
  const showUser = (userId: string) => {
    const next = { ...draft, userId };
    setDraft(next);
    apply(next);
  };
  const field = (name: keyof Draft) => ({
    id: `filter-${name}`,
    value: draft[name],
    onInput: (e: { currentTarget: HTMLInputElement | HTMLSelectElement }) =>
      setDraft({ ...draft, [name]: e.currentTarget.value }),
  });
  const filtered = Object.values(filters).some((value) => value !== '');

  return (
    <div class="grid">
      <section class="card wide" aria-labelledby="events-title">
        <div class="section-head">
          <h2 id="events-title">Events</h2>
          <a class="button secondary" href={api.exportUrl(appId, filters)} download>
            Export NDJSON
          </a>
        </div>
        <form
          class="event-filters"
          aria-label="Filter events"
          onSubmit={(e) => {
            e.preventDefault();
            apply(draft);
          }}
        >
          <div class="field">
            <label for="filter-userId">User id</label>
            <input {...field('userId')} maxLength={128} autoComplete="off" />
          </div>
          <div class="field">
            <label for="filter-name">Event name</label>
            <input {...field('name')} maxLength={256} autoComplete="off" />
          </div>
          <div class="field">
            <label for="filter-verified">Verified</label>
            <select {...field('verified')}>
              <option value="">Any</option>
              <option value="true">Verified</option>
              <option value="false">Unverified</option>
            </select>
          </div>
          <div class="field">
            <label for="filter-from">Received from</label>
            <input {...field('from')} type="datetime-local" step={1} />
          </div>
          <div class="field">
            <label for="filter-to">Received before</label>
            <input {...field('to')} type="datetime-local" step={1} />
          </div>
          <div class="filter-actions">
            <button type="submit">Apply</button>
            {filtered && (
              <button
                type="button"
                class="secondary"
                onClick={() => {
                  setDraft(NO_FILTERS);
                  apply(NO_FILTERS);
                }}
              >
                Clear
              </button>
            )}
          </div>
        </form>
        {formError && (
          <p class="field-error" role="alert">
            {formError}
          </p>
        )}
        {filters.userId && <Profile appId={appId} userId={filters.userId} />}
        <EventTable appId={appId} filters={filters} onUser={showUser} />
      </section>
    </div>
  );
}

/** A datetime-local value (local time) as ISO-8601, '' for none, null when it is not a date. */
function toIso(local: string): string | null {
  if (local === '') return '';
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

interface Pages {
  events: StoredEvent[];
  nextCursor: string | null;
}

/** The pages read so far; a change of filters starts again from the newest event. */
function EventTable({
  appId,
  filters,
  onUser,
}: {
  appId: string;
  filters: EventFilters;
  onUser: (userId: string) => void;
}) {
  const [pages, setPages] = useState<Pages | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [loading, setLoading] = useState(false);
  const [open, setOpen] = useState<number | null>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let current = true;
    setPages(null);
    setError(null);
    setOpen(null);
    api.events(appId, filters, null, PAGE_SIZE).then(
      (page) => current && setPages(page),
      (err: Error) => current && setError(err),
    );
    return () => {
      current = false;
    };
  }, [appId, filters, attempt]);

  const loadMore = async () => {
    if (!pages?.nextCursor) return;
    setLoading(true);
    try {
      const next = await api.events(appId, filters, pages.nextCursor, PAGE_SIZE);
      setPages({ events: [...pages.events, ...next.events], nextCursor: next.nextCursor });
      setError(null);
    } catch (err) {
      setError(err as Error);
    } finally {
      setLoading(false);
    }
  };

  if (error && !pages) return <ErrorNotice error={error} retry={() => setAttempt((n) => n + 1)} />;
  if (!pages) return <Loading what="events" />;
  if (pages.events.length === 0) {
    return (
      <Empty>
        <p>
          {Object.values(filters).some(Boolean) ? 'No events match these filters.' : 'No events stored yet.'}
        </p>
      </Empty>
    );
  }
  return (
    <>
      <div class="table-wrap">
        <table class="event-table">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Name</th>
              <th scope="col">User</th>
              <th scope="col">Verified</th>
              <th scope="col" class="col-key">
                Key
              </th>
            </tr>
          </thead>
          <tbody>
            {pages.events.map((event, i) => (
              // Ids are unique per sender, not per app: the position keeps rows apart.
              <EventRow
                key={`${i}:${event.id}`}
                event={event}
                open={open === i}
                onToggle={() => setOpen(open === i ? null : i)}
                onUser={onUser}
              />
            ))}
          </tbody>
        </table>
      </div>
      <div class="load-more">
        <span class="muted small" role="status">
          {pages.events.length.toLocaleString()} events shown{pages.nextCursor ? '' : ' (all that match)'}
        </span>
        {pages.nextCursor && (
          <button type="button" class="secondary" disabled={loading} onClick={loadMore}>
            {loading ? 'Loading…' : 'Load more'}
          </button>
        )}
      </div>
      {error && <ErrorNotice error={error} />}
    </>
  );
}

function EventRow(props: {
  event: StoredEvent;
  open: boolean;
  onToggle: () => void;
  onUser: (userId: string) => void;
}) {
  const { event, open } = props;
  const title = event.name ?? (event.type === 'page' ? 'Page view' : event.type);
  return (
    <>
      <tr class={open ? 'event-row open' : 'event-row'} onClick={props.onToggle}>
        <td class="nowrap">
          <button
            type="button"
            class="link row-toggle"
            aria-expanded={open}
            title="Show the event's JSON"
            onClick={(e) => {
              e.stopPropagation();
              props.onToggle();
            }}
          >
            {shortTime(event.receivedAt)}
          </button>
        </td>
        <td class="name-cell">
          {title}
          {event.type !== 'track' && <span class="badge">{event.type}</span>}
        </td>
        <td class={event.userId ? 'mono break' : undefined}>
          {event.userId ? (
            <button
              type="button"
              class="link mono break"
              title="Show only this user's events"
              onClick={(e) => {
                e.stopPropagation();
                props.onUser(event.userId as string);
              }}
            >
              {event.userId}
            </button>
          ) : (
            <span class="muted">anonymous</span>
          )}
        </td>
        <td>
          <Verified value={event.verified} />
        </td>
        <td class="mono break col-key">{event.kid ?? '—'}</td>
      </tr>
      {open && (
        <tr class="event-json">
          <td colSpan={5}>
            <pre class="json">{JSON.stringify(event, null, 2)}</pre>
          </td>
        </tr>
      )}
    </>
  );
}

/** Date and time to the second, in the viewer's locale: short enough for a table cell. */
function shortTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });
}

function Verified({ value }: { value: boolean | null }) {
  if (value === true) return <span class="badge verified">Verified</span>;
  if (value === false) return <span class="badge unverified">Unverified</span>;
  return <span class="badge muted-badge">Not checked</span>;
}

/** The filtered user's attributes: verified, and unverified kept apart. */
function Profile({ appId, userId }: { appId: string; userId: string }) {
  const profile = useResource(async () => {
    try {
      return await api.user(appId, userId);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return null;
      throw err;
    }
  }, [appId, userId]);
  return (
    <Load resource={profile} what="the user's attributes">
      {(p) =>
        p === null ? (
          <p class="muted">No profile stored for this user id.</p>
        ) : (
          <div class="profile">
            <h3>
              Attributes of <span class="mono break">{p.userId}</span>
            </h3>
            <p class="muted small">
              First seen {dateTime(p.firstSeen)} · last seen {dateTime(p.lastSeen)}
            </p>
            <Attributes values={p.attributes} empty="No verified attributes." />
            {Object.keys(p.unverifiedAttributes).length > 0 && (
              <>
                <h4>
                  Unverified attributes <span class="badge unverified">unverified</span>
                </h4>
                <p class="muted small">
                  Sent in batches whose token failed or was not checked: kept apart, never part of the profile
                  above.
                </p>
                <Attributes values={p.unverifiedAttributes} empty="" />
              </>
            )}
          </div>
        )
      }
    </Load>
  );
}

function Attributes({ values, empty }: { values: StoredEvent['attributes']; empty: string }) {
  const entries = Object.entries(values ?? {});
  if (entries.length === 0) return <p class="muted">{empty}</p>;
  return (
    <dl class="attributes">
      {entries.map(([k, v]) => (
        <div key={k}>
          <dt class="mono break">{k}</dt>
          <dd class="mono break">{JSON.stringify(v)}</dd>
        </div>
      ))}
    </dl>
  );
}
