import type { StoredEvent } from '@signet/protocol';
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
                  {Object.keys(p.attributes).length === 0 ? (
                    <p class="muted">No attributes set.</p>
                  ) : (
                    <dl class="attributes">
                      {Object.entries(p.attributes).map(([k, v]) => (
                        <div key={k}>
                          <dt class="mono break">{k}</dt>
                          <dd class="mono break">{JSON.stringify(v)}</dd>
                        </div>
                      ))}
                    </dl>
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
                {rows.map((e) => (
                  <EventItem key={e.id} event={e} onUser={filter} />
                ))}
              </ul>
            )
          }
        </Load>
      </section>
    </div>
  );
}

function EventItem({ event, onUser }: { event: StoredEvent; onUser: (id: string) => void }) {
  const payload = event.type === 'attributes' ? event.attributes : event.properties;
  const title = event.type === 'track' ? event.name : event.type === 'alias' ? 'alias' : 'attributes';
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
    </li>
  );
}

function Verified({ value }: { value: boolean | null }) {
  if (value === true) return <span class="badge verified">Verified</span>;
  if (value === false) return <span class="badge unverified">Unverified</span>;
  return <span class="badge muted-badge">Not checked</span>;
}
