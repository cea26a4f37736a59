import type { JwtErrorCode, JwtErrorReason } from './errors.ts';
import type { JsonObject, JsonValue } from './json.ts';

/** The user a batch belongs to: identified by the app, or anonymous (no token needed). */
export type BatchUser = { id: string } | { anonymousId: string };

/**
 * Where an event happened, as the SDK saw it. The field names are Segment's, so data moves
 * between the two without renaming. Any JSON object is accepted (a sender may add its own
 * fields); these are the ones Signet's SDKs fill.
 */
export interface EventContext {
  /** The sending library, as in the batch's `sdk`. */
  library?: { name: string; version: string };
  /** BCP 47 language tag, e.g. `en-GB`. */
  locale?: string;
  /** IANA time zone, e.g. `Europe/Paris`. */
  timezone?: string;
  /** Browser only. */
  userAgent?: string;
  /** Browser only: the page the event happened on (the URL without its `#fragment`). */
  page?: { url?: string; path?: string; referrer?: string; title?: string; search?: string };
  /** Browser only: the screen's size in CSS pixels. */
  screen?: { width?: number; height?: number };
  /** The page URL's `utm_*` parameters, present only when it has some: `utm_campaign` is `name`. */
  campaign?: { [key: string]: string };
  [key: string]: JsonValue | undefined;
}

/** Fields every event carries. `id` is made once by the SDK and kept across retries. */
interface EventBase {
  id: string;
  /** ISO-8601 time the event happened on the device. */
  timestamp: string;
  sessionId?: string;
  context?: EventContext;
}

export interface TrackEvent extends EventBase {
  type: 'track';
  name: string;
  properties?: JsonObject;
}

/** A page (or screen) view; the browser SDK puts the page's url, path, referrer, title and search in `properties`. */
export interface PageEvent extends EventBase {
  type: 'page';
  name?: string;
  properties?: JsonObject;
}

/** Merged into the user's profile (last write by event time wins per key). */
export interface AttributesEvent extends EventBase {
  type: 'attributes';
  attributes: { [key: string]: JsonValue };
}

/** Links earlier anonymous data to the identified user; only valid in an identified batch. */
export interface AliasEvent extends EventBase {
  type: 'alias';
  anonymousId: string;
}

export type BatchEvent = TrackEvent | PageEvent | AttributesEvent | AliasEvent;
export type EventType = BatchEvent['type'];

export interface SdkInfo {
  name: string;
  version: string;
}

/** Body of `POST /v1/apps/:appId/batch`. */
export interface Batch {
  batchId: string;
  sentAt?: string;
  sdk?: SdkInfo;
  user: BatchUser;
  events: BatchEvent[];
}

/** 200 answer of the ingestion endpoint. */
export interface BatchResponse {
  accepted: number;
  duplicates: number;
  /** Present in `optional` mode when the token check failed: the data was stored unverified. */
  authWarning?: { code: JwtErrorCode; reason: JwtErrorReason };
}
