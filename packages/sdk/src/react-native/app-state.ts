/**
 * The part of React Native's `AppState` the SDK uses. `addEventListener` returns a subscription
 * with `remove()` (React Native 0.65 and later).
 */
export interface AppStateLike {
  addEventListener(type: 'change', listener: (state: string) => void): { remove(): void } | undefined;
}

/**
 * Calls `flush` when the app leaves the foreground (`background`, or iOS's `inactive` on the way
 * there): the last moment the app can be sure to run before the system suspends or kills it.
 * Returns a function that stops listening.
 *
 * @example
 * const stop = onAppBackground(AppState, () => void signet.flush());
 */
export function onAppBackground(appState: AppStateLike, flush: () => void): () => void {
  const subscription = appState.addEventListener('change', (state) => {
    if (state === 'background' || state === 'inactive') flush();
  });
  return () => subscription?.remove();
}
