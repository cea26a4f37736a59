/**
 * Calls `flush` when the page is hidden or unloaded: the last moment a tab can be sure to run.
 * Returns a function that removes the listeners.
 */
export function onPageHide(flush: () => void): () => void {
  const target = globalThis as unknown as Window;
  if (typeof target.addEventListener !== 'function' || typeof document === 'undefined') return () => {};
  const onVisibility = () => {
    if (document.visibilityState === 'hidden') flush();
  };
  document.addEventListener('visibilitychange', onVisibility);
  target.addEventListener('pagehide', flush);
  return () => {
    document.removeEventListener('visibilitychange', onVisibility);
    target.removeEventListener('pagehide', flush);
  };
}
