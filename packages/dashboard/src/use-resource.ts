import { useCallback, useEffect, useState } from 'preact/hooks';

export type Resource<T> =
  | { state: 'loading'; reload: () => void }
  | { state: 'error'; error: Error; reload: () => void }
  | { state: 'ready'; data: T; reload: () => void };

/**
 * Loads data for a page and keeps the three states every page shows: loading, error, ready.
 * A newer load wins over an older one still in flight.
 * @example
 * const apps = useResource(() => api.apps(), []);
 */
export function useResource<T>(load: () => Promise<T>, deps: unknown[]): Resource<T> {
  const [state, setState] = useState<
    { state: 'loading' } | { state: 'error'; error: Error } | { state: 'ready'; data: T }
  >({ state: 'loading' });
  const [version, setVersion] = useState(0);
  const reload = useCallback(() => setVersion((v) => v + 1), []);
  // The caller lists what `load` reads in `deps`.
  useEffect(() => {
    let current = true;
    setState((s) => (s.state === 'ready' ? s : { state: 'loading' }));
    load().then(
      (data) => current && setState({ state: 'ready', data }),
      (error: Error) => current && setState({ state: 'error', error }),
    );
    return () => {
      current = false;
    };
  }, [...deps, version]);
  return { ...state, reload } as Resource<T>;
}
