import type {
  AppInfo,
  AppUpdate,
  AuditEntry,
  AuthFailure,
  AuthOutcome,
  AuthStatsRow,
  JwksStatus,
  JwtSettings,
  JwtSettingsUpdate,
  KeyInfo,
  StoredEvent,
  UserProfile,
} from '@signet/protocol';

/*
 * The dashboard's only way to the server: the admin API on its own origin. The session cookie
 * travels by itself (httpOnly, so scripts never see it); every call carries the CSRF header.
 */

/** An admin API refusal, with the registry's code and reason to show or switch on. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

type Listener = () => void;
let onUnauthorized: Listener = () => {};

/** Called when a call answers 401: the session ended, so the app shows the login page. */
export function setUnauthorizedListener(listener: Listener): void {
  onUnauthorized = listener;
}

/**
 * One admin API call.
 * @example
 * const { apps } = await request<{ apps: AppInfo[] }>('GET', '/apps');
 */
export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`/admin/v1${path}`, {
      method,
      credentials: 'same-origin',
      headers: {
        'x-signet-csrf': '1',
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApiError(0, 'NETWORK', 'unreachable', 'The server cannot be reached. Is it running?');
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    // A proxy's HTML error page, for example: reported below with the status.
  }
  if (!res.ok) {
    const error = (data as { error?: { code?: string; reason?: string; message?: string } } | null)?.error;
    if (res.status === 401 && path !== '/session') onUnauthorized();
    throw new ApiError(
      res.status,
      error?.code ?? 'HTTP_ERROR',
      error?.reason ?? 'unexpected',
      error?.message ?? `The server answered ${res.status}`,
    );
  }
  return data as T;
}

export interface ActivityApp {
  appId: string;
  events: number;
  verifiedShare: number | null;
  totals: Record<AuthOutcome, { batches: number; events: number }>;
}
export interface AuthStats {
  since: string;
  hours: number;
  totals: Partial<Record<AuthOutcome, { batches: number; events: number }>>;
  rows: AuthStatsRow[];
}
export interface Overview {
  eventsPerMinute: { since: string; minutes: number; points: { minute: string; events: number }[] };
  sdkVersions: {
    since: string;
    hours: number;
    versions: { name: string | null; version: string | null; events: number; lastSeen: string }[];
  };
}

const app = (id: string) => `/apps/${encodeURIComponent(id)}`;

/** The events API's filters (SPEC §5); empty strings are left out. `from`/`to` are ISO-8601. */
export interface EventFilters {
  userId: string;
  name: string;
  verified: '' | 'true' | 'false';
  from: string;
  to: string;
}
export interface EventsPage {
  events: StoredEvent[];
  nextCursor: string | null;
}

function eventQuery(filters: EventFilters, extra: Record<string, string | null>): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries({ ...filters, ...extra })) if (value) query.set(name, value);
  return query.toString();
}

/** The admin API calls the pages make, typed. */
export const api = {
  session: () => request<{ via: string; expiresAt: string | null }>('GET', '/session'),
  login: (token: string) => request<{ expiresAt: string }>('POST', '/session', { token }),
  logout: () => request<void>('DELETE', '/session'),
  apps: () => request<{ apps: AppInfo[] }>('GET', '/apps'),
  activity: (hours = 24) => request<{ apps: ActivityApp[] }>('GET', `/activity?hours=${hours}`),
  createApp: (name: string) => request<AppInfo>('POST', '/apps', { name }),
  app: (id: string) => request<AppInfo>('GET', app(id)),
  updateApp: (id: string, update: AppUpdate) => request<AppInfo>('PATCH', app(id), update),
  /** Deletes the app and all its data; the API wants the id repeated as `confirm`. */
  deleteApp: (id: string) => request<void>('DELETE', `${app(id)}?confirm=${encodeURIComponent(id)}`),
  audit: (query: { appId?: string; cursor?: string; limit?: number }) => {
    const params = new URLSearchParams({ limit: String(query.limit ?? 50) });
    if (query.appId) params.set('appId', query.appId);
    if (query.cursor) params.set('cursor', query.cursor);
    return request<{ entries: AuditEntry[]; nextCursor: string | null }>('GET', `/audit?${params}`);
  },
  setJwt: (id: string, update: JwtSettingsUpdate) => request<JwtSettings>('PUT', `${app(id)}/jwt`, update),
  /** This instance's view of the keys fetched from the app's identity provider. */
  jwks: (id: string) => request<JwksStatus>('GET', `${app(id)}/jwks`),
  /** "Fetch now": answers after the fetch, with `lastError` set when it failed. */
  refreshJwks: (id: string) => request<JwksStatus>('POST', `${app(id)}/jwks/refresh`, {}),
  keys: (id: string) => request<{ keys: KeyInfo[] }>('GET', `${app(id)}/keys`),
  addKey: (id: string, body: { pem?: string; jwk?: unknown; kid?: string; label?: string }) =>
    request<KeyInfo>('POST', `${app(id)}/keys`, body),
  removeKey: (id: string, kid: string) =>
    request<void>('DELETE', `${app(id)}/keys/${encodeURIComponent(kid)}`),
  overview: (id: string) => request<Overview>('GET', `${app(id)}/overview?minutes=60&hours=24`),
  authStats: (id: string, hours: number) => request<AuthStats>('GET', `${app(id)}/auth/stats?hours=${hours}`),
  failures: (id: string, code: string) =>
    request<{ failures: AuthFailure[] }>(
      'GET',
      `${app(id)}/auth/failures?limit=100${code ? `&code=${encodeURIComponent(code)}` : ''}`,
    ),
  /** One page of events, newest first; pass the previous page's nextCursor for the next. */
  events: (id: string, filters: EventFilters, cursor: string | null = null, limit = 50) =>
    request<EventsPage>('GET', `${app(id)}/events?${eventQuery(filters, { limit: String(limit), cursor })}`),
  /** Where the browser downloads the matching events as NDJSON (the session cookie goes along). */
  exportUrl: (id: string, filters: EventFilters) => {
    const query = eventQuery(filters, {});
    return `/admin/v1${app(id)}/events/export${query ? `?${query}` : ''}`;
  },
  user: (id: string, userId: string) =>
    request<UserProfile>('GET', `${app(id)}/users/${encodeURIComponent(userId)}`),
};
