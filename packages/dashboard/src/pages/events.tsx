import type { EventContext, StoredEvent } from '@signet/protocol';
import { useState } from 'preact/hooks';
import { ApiError, api } from '../api.ts';
import { Empty, Load } from '../components/status.tsx';
import { dateTime } from '../format.ts';
import { useResource } from '../use-resource.ts';

/** The newest stored events, optionally of one user, with that user's attributes. */
export function EventsPage({ appId }: { appId: string }) {
  const [input, setInput] = useState('');
  const [userId, setUserId] = useState('');
  const events = useResource(() => api.events(appId, userId), [appId, userId]);
  const profile = useResource(async () => {
    if (!userId) return null;
    try {
      return await api.user(appId, userId);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return null;
      throw err;
    }
  }, [appId, userId]);

  const filter = (id: string) => {
    setInput(id);
    setUserId(id);
  };

  return (
    <div class="grid">
      <section class="card wide" aria-labelledby="events-title">
        <div class="section-head">
          <h2 id="events-title">{userId ? 'Events of one user' : 'Newest events'}</h2>
          <form
            class="inline-form"
            onSubmit={(e) => {
              e.preventDefault();
              filter(input.trim());
            }}
          >
            <div class="field inline">
              <label for="user-filter">User id</label>
              <input
                id="user-filter"
                value={input}
                maxLength={128}
                onInput={(e) => setInput(e.currentTarget.value)}
              />
            </div>
            <button type="submit">Filter</button>
            {userId && (
              <button type="button" class="secondary" onClick={() => filter('')}>
                Show all
              </button>
            )}
          </form>
        </div>
        {userId && (
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
                        Sent in batches whose token failed or was not checked: kept apart, never part of the
                        profile above.
                      </p>
                      <Attributes values={p.unverifiedAttributes} empty="" />
                    </>
                  )}
                </div>
              )
            }
          </Load>
        )}
        <Load resource={events} what="events">
          {({ events: rows }) =>
            rows.length === 0 ? (
              <Empty>
                <p>{userId ? 'No events stored for this user id.' : 'No events stored yet.'}</p>
              </Empty>
            ) : (
              <ul class="events">
                {rows.map((e, i) => (
                  // Ids are unique per sender, not per app: two senders may share one.
                  <EventItem key={`${i}:${e.id}`} event={e} onUser={filter} />
                ))}
              </ul>
            )
          }
        </Load>
      </section>
    </div>
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

function EventItem({ event, onUser }: { event: StoredEvent; onUser: (id: string) => void }) {
  const payload = event.type === 'attributes' ? event.attributes : event.properties;
  const title =
    event.type === 'track' ? event.name : event.type === 'page' ? (event.name ?? 'Page view') : event.type;
  return (
    <li class="event">
      <div class="event-head">
        <span class="event-name break">{title}</span>
        <Verified value={event.verified} />
        <span class="muted small">{dateTime(event.receivedAt)}</span>
      </div>
      <div class="small">
        {event.userId ? (
          <button type="button" class="link mono break" onClick={() => onUser(event.userId as string)}>
            {event.userId}
          </button>
        ) : (
          <span class="muted">anonymous{event.anonymousId ? ` ${event.anonymousId}` : ''}</span>
        )}
        {event.type !== 'track' && <span class="badge">{event.type}</span>}
      </div>
      {payload && Object.keys(payload).length > 0 && (
        <pre class="json">{JSON.stringify(payload, null, 2)}</pre>
      )}
      {event.context && Object.keys(event.context).length > 0 && <Context context={event.context} />}
    </li>
  );
}

/** A string field of the context, or nothing: the context is whatever JSON the sender put there. */
const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

/**
 * The context, collapsed to one line (library, locale, time zone, page path, screen); the whole
 * object when opened. Events carry it on every row, so it must not crowd out the properties.
 */
function Context({ context }: { context: EventContext }) {
  const library = context.library;
  const screen = context.screen;
  const summary = [
    library && [text(library.name), text(library.version)].filter(Boolean).join(' '),
    text(context.locale),
    text(context.timezone),
    text(context.page?.path),
    screen && typeof screen.width === 'number' && typeof screen.height === 'number'
      ? `${screen.width}×${screen.height}`
      : null,
  ].filter(Boolean);
  return (
    <details class="context">
      <summary>
        <span class="muted">Context</span>
        {summary.length > 0 && <span class="break"> {summary.join(' · ')}</span>}
      </summary>
      <pre class="json">{JSON.stringify(context, null, 2)}</pre>
    </details>
  );
}

function Verified({ value }: { value: boolean | null }) {
  if (value === true) return <span class="badge verified">Verified</span>;
  if (value === false) return <span class="badge unverified">Unverified</span>;
  return <span class="badge muted-badge">Not checked</span>;
}
