import type { JwtErrorCode, JwtErrorReason } from './errors.ts';
import type { JsonObject, JsonValue } from './json.ts';

/** The user a batch belongs to: identified by the app, or anonymous (no token needed). */
export type BatchUser = { id: string } | { anonymousId: string };

/** Fields every event carries. `id` is made once by the SDK and kept across retries. */
interface EventBase {
  id: string;
  /** ISO-8601 time the event happened on the device. */
  timestamp: string;
  sessionId?: string;
}

export interface TrackEvent extends EventBase {
  type: 'track';
  name: string;
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

export type BatchEvent = TrackEvent | AttributesEvent | AliasEvent;
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
