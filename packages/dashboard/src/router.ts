import { useEffect, useState } from 'preact/hooks';

/* Hash routes, so the server serves one file and a reload keeps the page. */

export const APP_TABS = ['overview', 'authentication', 'keys', 'monitor', 'events'] as const;
export type AppTab = (typeof APP_TABS)[number];

export type Route = { page: 'apps' } | { page: 'audit' } | { page: 'app'; appId: string; tab: AppTab };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  if (parts[0] === 'apps' && parts[1]) {
    const tab = (APP_TABS as readonly string[]).includes(parts[2] ?? '') ? (parts[2] as AppTab) : 'overview';
    return { page: 'app', appId: parts[1], tab };
  }
  if (parts[0] === 'audit') return { page: 'audit' };
  return { page: 'apps' };
}

export function href(route: Route): string {
  if (route.page === 'app') return `#/apps/${encodeURIComponent(route.appId)}/${route.tab}`;
  return route.page === 'audit' ? '#/audit' : '#/apps';
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}
