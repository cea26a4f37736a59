import type { EventContext, SdkInfo } from '@signet/protocol';

/**
 * The part of `context` every runtime shares: the library, and the locale and time zone that
 * `Intl` reports. Read once: they change only with the system's settings, and every event
 * shares the one frozen object (nothing is built per event in Node).
 *
 * @example
 * baseContext({ name: 'signet-node', version: '0.1.0' });
 * // { library: { name: 'signet-node', version: '0.1.0' }, locale: 'en-GB', timezone: 'Europe/London' }
 */
export function baseContext(library: SdkInfo): Readonly<EventContext> {
  const context: EventContext = { library: { ...library } };
  try {
    const { locale, timeZone } = Intl.DateTimeFormat().resolvedOptions();
    if (locale) context.locale = locale;
    if (timeZone) context.timezone = timeZone;
  } catch {
    // A runtime without Intl (some React Native builds): the library alone.
  }
  return Object.freeze(context);
}
