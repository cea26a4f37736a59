import type { EventContext } from '@signet/protocol';

/**
 * The page's `utm_*` parameters as Segment's `context.campaign`: the prefix dropped, and
 * `utm_campaign` named `name`. Undefined when there are none.
 *
 * @example
 * campaignOf('?utm_source=news&utm_campaign=spring'); // { source: 'news', name: 'spring' }
 */
export function campaignOf(search: string): EventContext['campaign'] {
  let campaign: EventContext['campaign'];
  for (const [key, value] of new URLSearchParams(search)) {
    if (!key.startsWith('utm_') || key.length === 4) continue;
    const name = key.slice(4);
    campaign ??= {};
    campaign[name === 'campaign' ? 'name' : name] = value;
  }
  return campaign;
}

/**
 * The browser's part of each event's context: user agent, page, screen and campaign, read when
 * the event is made (a single-page app changes its URL without a reload). The URL goes without
 * its `#fragment`, as Segment sends it: fragments carry OAuth tokens (`#access_token=…`) and
 * in-page state, not the page. In a worker (no document) only what exists is read.
 */
export function pageContext(): EventContext {
  const context: EventContext = {};
  const agent = globalThis.navigator?.userAgent;
  if (agent) context.userAgent = agent;
  const where = globalThis.location;
  if (where && typeof document !== 'undefined') {
    const { href, search } = where;
    const hash = href.indexOf('#');
    context.page = {
      url: hash < 0 ? href : href.slice(0, hash),
      path: where.pathname,
      referrer: document.referrer,
      title: document.title,
      search,
    };
    const campaign = campaignOf(search);
    if (campaign) context.campaign = campaign;
  }
  const display = globalThis.screen;
  if (display) context.screen = { width: display.width, height: display.height };
  return context;
}
